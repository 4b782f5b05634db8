import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectNoLeak } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { Weibull, type WeibullParams } from './weibull.js';

describe('Weibull', () => {
  it('matches torch: logProb, cdf, icdf, mean, variance, entropy; mode 0 for k ≤ 1 (the mathematics, not torch)', () => {
    expectMatchesTorch(torch.weibull!, (p) => new Weibull(p as unknown as WeibullParams), { rtol: 2e-5 });
  });
  it('samples pass a KS test; no NaN gradient of the mode at k ≤ 1', () => {
    const d = new Weibull({ scale: 2, concentration: 0.7 });
    const x = d.sample([4000], { seed: 14 });
    expectKS(x.dataSync(), (v) => (v <= 0 ? 0 : 1 - Math.exp(-((v / 2) ** 0.7))));
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const g = tf.grad((k: tf.Tensor) => tf.sum(new Weibull({ scale: 1, concentration: k }).mode()))(
        tf.tensor1d([0.5, 1, 3]),
      );
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Weibull({ scale: 1, concentration: -1 })).toThrowError(
      /Weibull: "concentration" must be finite and > 0, got -1/,
    );
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Weibull({ scale: [0.5, 3], concentration: 2 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
    const d = new Weibull({ scale: [0.5, 3], concentration: 2 });
    expectNoLeak(() => d.icdf(0.3));
    d.dispose();
  });
});
