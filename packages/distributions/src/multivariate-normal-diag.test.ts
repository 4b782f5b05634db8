import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectMoments, fixtures } from '../test/helpers.js';
import { MultivariateNormalDiag } from './multivariate-normal-diag.js';

describe('MultivariateNormalDiag', () => {
  it('logProb and entropy match SciPy multivariate_normal', () => {
    for (const c of fixtures.multivariateNormalDiag) {
      tf.tidy(() => {
        const d = new MultivariateNormalDiag({ loc: c.loc, scaleDiag: c.scaleDiag });
        expect(d.eventShape).toEqual([c.loc.length]);
        expectClose(d.logProb(c.x), c.logProb);
        expectClose(d.entropy(), c.entropy);
      });
    }
  });
  it('rsample: moments and gradient d/dσ E[Σ x²] = 2σ', () => {
    tf.tidy(() => {
      const d = new MultivariateNormalDiag({ loc: [1, -1], scaleDiag: [0.5, 2] });
      expectMoments(d.rsample([20000], { seed: 1 }), [1, -1], [0.25, 4]);
      const g = tf.grad((s: tf.Tensor) =>
        tf.mean(
          tf.sum(
            tf.square(new MultivariateNormalDiag({ loc: [0, 0], scaleDiag: s }).rsample([20000], { seed: 2 })),
            -1,
          ),
        ),
      )(tf.tensor([1, 2]));
      expectClose(g, [2, 4], 0.05, 0);
    });
  });
  it('rejects bad input', () => {
    expect(() => new MultivariateNormalDiag({ loc: 0, scaleDiag: 1 })).toThrowError(/at least one axis/);
    expect(() => new MultivariateNormalDiag({ loc: [0, 0], scaleDiag: [1, 0] })).toThrowError(
      /"scaleDiag" must be finite and > 0, got 0 at index \[1\]/,
    );
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () =>
        new MultivariateNormalDiag({
          loc: [
            [0, 1, 2],
            [3, 4, 5],
          ],
          scaleDiag: 1,
        }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
