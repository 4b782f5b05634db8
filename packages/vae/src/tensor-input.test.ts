// A float32 tensor given to fit, evaluate, encode and reconstruct is read through dataSync's array as it is (on cpu: the
// backend's stored values, no copy): nothing may write into it, and the tensor stays the caller's.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkTensorLeaksPerTest, counts, weightValues } from './test-utils/helpers.js';
import { VAE, type VAEConfig } from './index.js';

checkTensorLeaksPerTest();

describe('a float32 tensor as data (cpu: its stored values are read in place)', () => {
  it('keeps its values and stays usable through fit, evaluate, encode and reconstruct; the same weights as a Matrix', async () => {
    const x = counts(64, 6, 4);
    const config: VAEConfig = { inputDim: 6, latentDim: 2, hiddenUnits: [5], likelihood: 'poisson', seed: 1 };
    const tensor = tf.tensor2d(x.data, [x.rows, x.cols]);
    const before = Float32Array.from(tensor.dataSync());
    const [a, b] = [new VAE(config), new VAE(config)];
    await a.fit(tensor, { epochs: 2, batchSize: 16, seed: 3 });
    await b.fit(x, { epochs: 2, batchSize: 16, seed: 3 });
    expect(weightValues(a)).toEqual(weightValues(b));
    await a.evaluate(tensor);
    for (const out of [a.encode(tensor), a.encode(tensor, { sparseInput: true }), a.reconstruct(tensor)]) out.dispose();
    expect(tensor.isDisposed).toBe(false);
    expect(tensor.dataSync()).toEqual(before);
    tensor.dispose();
    a.dispose();
    b.dispose();
  });
});
