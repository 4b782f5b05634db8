import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
    // a hang guard, not a speed check: the bits tests over MNIST-sized products take ~5 s alone but 54–112 s in a
    // clean-clone CI run beside the other packages' tests on 2 vCPUs (60 s timed out twice, on different tests)
    testTimeout: 600_000,
    isolate: false,
  },
});
