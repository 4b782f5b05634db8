import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test spawns a Node process that trains a small model; run them one at a time on small CI machines.
    fileParallelism: false,
  },
});
