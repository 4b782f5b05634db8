import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
    // a hang guard, not a speed check: the bits property runs the backend's own scalar loop on transposed products
    // (~5 s alone, more beside the other packages' tests in a clean-clone CI run on 2 vCPUs)
    testTimeout: 600_000,
    isolate: false,
  },
});
