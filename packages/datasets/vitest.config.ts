import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Loading the 10,000 MNIST digits from JSON takes ~1 s alone and several under a loaded CI machine: vitest's
    // 5 s default is too tight for those tests.
    testTimeout: 60_000,
  },
});
