import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectNoLeak } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { Exponential, type ExponentialParams } from './exponential.js';

describe('Exponential', () => {
  it('matches torch: logProb, cdf, icdf, mean, variance, mode, entropy', () => {
    expectMatchesTorch(torch.exponential!, (p) => new Exponential(p as unknown as ExponentialParams));
  });
  it('samples pass a KS test; rsample gradient ∂E[X]/∂λ = −1/λ²', () => {
    const d = new Exponential({ rate: 2.5 });
    const x = d.sample([4000], { seed: 5 });
    expectKS(x.dataSync(), (v) => (v < 0 ? 0 : 1 - Math.exp(-2.5 * v)));
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const g = tf.grad((r: tf.Tensor) => tf.mean(new Exponential({ rate: r }).rsample([20000], { seed: 3 })))(
        tf.scalar(2),
      );
      expectClose(g, -0.25, 0.03, 0);
    });
  });
  it('rejects a non-positive rate and negative values', () => {
    expect(() => new Exponential({ rate: [1, 0] })).toThrowError(
      /Exponential: "rate" must be finite and > 0, got 0 at index \[1\]/,
    );
    const d = new Exponential({ rate: 1 });
    expect(() => d.logProb(-1)).toThrowError(/"value" must be/);
    d.dispose();
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new Exponential({ rate: [0.5, 3] }), ['mean', 'mode', 'variance', 'stddev', 'entropy'], true);
    const d = new Exponential({ rate: [0.5, 3] });
    expectNoLeak(() => d.icdf(0.3));
    d.dispose();
  });
});
