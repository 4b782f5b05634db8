// Test setup: the wasm backend (the one these kernels are for), the cpu backend for cross-checks, and gradients.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { hostScans } from '@varia/core';
import { afterAll } from 'vitest';

await tf.setBackend('wasm');
await tf.ready();

// Test files share one module state (vitest.config: isolate: false): a file that leaves the native kernels enabled
// changes what the next file in the same worker finds (its "registers them" checks failed, depending on the order).
afterAll(() => {
  if (hostScans() !== undefined)
    throw new Error('this test file left the native kernels enabled: call disableNativeKernels() in an afterAll');
});
