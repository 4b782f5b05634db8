import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
    testTimeout: 60_000,
    // One module graph per worker: tfjs and its gradient registrations load once, not once per test file.
    isolate: false,
  },
});
