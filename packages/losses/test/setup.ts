// Test setup: the CPU backend and the gradient registrations (the user's tfjs bundle provides these in real use).
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';

await tf.setBackend('cpu');
