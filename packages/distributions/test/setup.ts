// Test setup: the CPU backend and the gradient registrations (the user's tfjs bundle provides these in real use).
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';

await tf.setBackend('cpu');
// The cpu backend prints tfjs's "Hi, looks like you are running TensorFlow.js in Node.js" banner on first use: noise.
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
