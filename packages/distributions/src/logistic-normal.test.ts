import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectMoments } from '../test/helpers.js';
import { expectMatchesTorch, torch } from '../test/torch.js';
import { LogisticNormal, type LogisticNormalParams } from './logistic-normal.js';

describe('LogisticNormal', () => {
  it('matches torch: logProb on the simplex (event shape [K])', () => {
    expectMatchesTorch(torch.logisticNormal!, (p) => new LogisticNormal(p as unknown as LogisticNormalParams), {
      rtol: 2e-5,
      atol: 2e-5,
    });
  });
  it('draws lie on the simplex and their inverse stick-breaking is N(μ, σ²)', () => {
    tf.tidy(() => {
      const d = new LogisticNormal({ loc: [1, -1, 0.5], scale: [0.5, 2, 1] });
      expect(d.eventShape).toEqual([4]);
      const x = d.sample([20000], { seed: 81 });
      expect(Math.max(...Array.from(tf.abs(tf.sub(tf.sum(x, -1), 1)).dataSync()))).toBeLessThan(1e-5);
      expectMoments(d.bijector.inverse(x), [1, -1, 0.5], [0.25, 4, 1]);
    });
  });
  it('a scalar loc is one normal (K = 2); rsample is differentiable', () => {
    tf.tidy(() => {
      const d = new LogisticNormal({ loc: 0, scale: 1 });
      expect(d.eventShape).toEqual([2]);
      const g = tf.grad((m: tf.Tensor) =>
        tf.sum(tf.mul(new LogisticNormal({ loc: m, scale: 1 }).rsample([100], { seed: 1 }), [1, 0, 0])),
      )(tf.tensor1d([0, 0]));
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    });
  });
  it('rejects bad input', () => {
    expect(() => new LogisticNormal({ loc: [0, 0], scale: [1, -1] })).toThrowError(/"scale" must be finite and > 0/);
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () =>
        new LogisticNormal({
          loc: [
            [0, 1],
            [1, 1],
          ],
          scale: 0.5,
        }),
      [],
      true,
    );
  });
});
