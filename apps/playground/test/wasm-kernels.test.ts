/**
 * `@varia/wasm-kernels` on the plain wasm backend (what the page and `--backend wasm` run): a VAE trains to the same
 * bits with them as with tfjs-backend-wasm's own kernels (products, the dense layers' backward passes) and tfjs's own
 * Adam — every epoch's loss and every weight.
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { mnist } from '@varia/datasets';
import { VAE } from '@varia/vae';
import { disableWasmKernels, enableWasmKernels, wasmKernelCalls } from '@varia/wasm-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(() => {
  disableWasmKernels();
});

/** Trains a small MNIST VAE (the page's 784-400-20 network, a ReLU encoder and decoder); its losses and weights' bits. */
async function train(): Promise<{ losses: number[]; weights: Uint32Array[] }> {
  const all = mnist({ split: 'train' }).x;
  const rows = 384;
  const x = { data: all.data.subarray(0, rows * 784), rows, cols: 784 };
  const vae = new VAE({
    inputDim: 784,
    latentDim: 20,
    hiddenUnits: [400],
    likelihood: 'bernoulli',
    activation: 'relu',
    seed: 3,
  });
  try {
    const history = await vae.fit(x, { epochs: 2, batchSize: 128, learningRate: 1e-3, seed: 5 });
    const weights = [...vae.namedVariables().values()].map(
      (w) => new Uint32Array(new Float32Array(w.dataSync()).buffer),
    );
    return { losses: history.epochs.map((e) => e.loss), weights };
  } finally {
    vae.dispose();
  }
}

describe('@varia/wasm-kernels on the plain wasm backend', () => {
  it('trains a VAE to the same losses and weights, bit for bit, as the backend’s own kernels and tfjs’s Adam', async () => {
    disableWasmKernels();
    const before = tf.memory().numTensors;
    const own = await train();
    await enableWasmKernels();
    const before2 = wasmKernelCalls();
    const ours = await train();
    const after = wasmKernelCalls();
    // every step's forward products (XNNPACK's order); the backward ones are in VariaDenseBackward
    expect(after.products - before2.products).toBeGreaterThanOrEqual(6 * 2);
    // Adam: the VAE's 10 variables in each of the 6 steps, by the module's VariaAdamUpdate
    expect(after.adamSteps - before2.adamSteps).toBe(10 * 6);
    // the backward pass of each of its 5 dense layers in each step, by VariaDenseBackward
    expect(after.denseBackwards - before2.denseBackwards).toBe(5 * 6);
    // the encoder's first layer, forward and dW, over the pixels' non-zeros (MNIST: 19 %), in each step
    expect(after.zeroSkipped - before2.zeroSkipped).toBeGreaterThanOrEqual(2 * 6);
    expect(ours.losses).toEqual(own.losses);
    expect(ours.weights.length).toBe(own.weights.length);
    ours.weights.forEach((w, i) => expect(w, `weight ${i}`).toEqual(own.weights[i]));
    expect(tf.memory().numTensors).toBe(before);
  });
});
