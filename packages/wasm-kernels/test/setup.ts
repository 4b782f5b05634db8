// Test setup: the wasm backend (the one these kernels are for).
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll } from 'vitest';
import { wasmKernelsInfo } from '../src/index.js';

await tf.setBackend('wasm');
await tf.ready();

// Test files share one module state (vitest.config: isolate: false): a file must not leave the kernels enabled.
afterAll(() => {
  if (wasmKernelsInfo() !== undefined)
    throw new Error('this test file left the wasm kernels enabled: call disableWasmKernels() in an afterAll');
});
