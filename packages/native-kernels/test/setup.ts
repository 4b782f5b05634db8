// Test setup: the wasm backend (the one these kernels are for), the cpu backend for cross-checks, and gradients.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';

await tf.setBackend('wasm');
await tf.ready();
