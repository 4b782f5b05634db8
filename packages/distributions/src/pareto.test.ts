import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectNoLeak } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { Pareto, type ParetoParams } from './pareto.js';

describe('Pareto', () => {
  it('matches torch: logProb, cdf, icdf, mean, variance (∞ where undefined), mode, entropy', () => {
    expectMatchesTorch(torch.pareto!, (p) => new Pareto(p as unknown as ParetoParams), { rtol: 2e-5 });
  });
  it('samples pass a KS test; no NaN gradient where the mean is infinite', () => {
    const d = new Pareto({ scale: 0.5, alpha: 1.5 });
    const x = d.sample([4000], { seed: 15 });
    expectKS(x.dataSync(), (v) => (v < 0.5 ? 0 : 1 - (0.5 / v) ** 1.5));
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const g = tf.grad((a: tf.Tensor) =>
        tf.sum(tf.where(tf.isInf(a), tf.zerosLike(a), new Pareto({ scale: 1, alpha: a }).mean())),
      )(tf.tensor1d([0.5, 3]));
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    });
  });
  it('support starts at the scale: rejects x < scale, −∞ without validation', () => {
    const d = new Pareto({ scale: 2, alpha: 1 });
    expect(() => d.logProb(1.5)).toThrowError(/"value" must be finite and >= scale, got 1.5/);
    d.dispose();
    tf.tidy(() => {
      expect(new Pareto({ scale: 2, alpha: 1 }, { validateArgs: false }).logProb(1.5).dataSync()[0]).toBe(-Infinity);
    });
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Pareto({ scale: [0.5, 3], alpha: 3 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
    const d = new Pareto({ scale: [0.5, 3], alpha: 3 });
    expectNoLeak(() => d.icdf(0.3));
    d.dispose();
  });
});
