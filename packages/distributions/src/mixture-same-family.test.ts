import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectMoments, fixtures } from '../test/helpers.js';
import { Categorical } from './categorical.js';
import { MixtureSameFamily } from './mixture-same-family.js';
import { MultivariateNormalDiag } from './multivariate-normal-diag.js';
import { Normal } from './normal.js';

describe('MixtureSameFamily', () => {
  it('logProb (logSumExp), mean and variance (law of total variance) match SciPy', () => {
    for (const c of fixtures.mixtureNormal) {
      tf.tidy(() => {
        const d = new MixtureSameFamily({
          mixture: new Categorical({ probs: c.weights }),
          components: new Normal({ loc: c.locs, scale: c.scales }),
        });
        expect(d.batchShape).toEqual([]);
        expectClose(d.logProb(c.x), c.logProb);
        expectClose(d.mean(), c.mean);
        expectClose(d.variance(), c.variance);
        const { mean, variance } = { mean: [c.mean], variance: [c.variance] };
        expectMoments(tf.reshape(d.sample([20000], { seed: 3 }), [20000, 1]), mean, variance, 5, false);
        d.dispose();
      });
    }
  });
  it('supports event-shaped components and rejects mismatched shapes', () => {
    tf.tidy(() => {
      const d = new MixtureSameFamily({
        mixture: new Categorical({
          logits: [
            [0, 1],
            [1, 0],
          ],
        }),
        components: new MultivariateNormalDiag({ loc: tf.zeros([2, 2, 3]), scaleDiag: 1 }),
      });
      expect(d.batchShape).toEqual([2]);
      expect(d.eventShape).toEqual([3]);
      expect(d.logProb(tf.zeros([4, 2, 3])).shape).toEqual([4, 2]);
      expect(d.mean().shape).toEqual([2, 3]);
      expect(
        () =>
          new MixtureSameFamily({
            mixture: new Categorical({ logits: [0, 0, 0] }),
            components: new Normal({ loc: [0, 1], scale: 1 }),
          }),
      ).toThrowError(ShapeError);
    });
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () =>
        new MixtureSameFamily({
          mixture: new Categorical({
            logits: [
              [0, 1],
              [1, 0],
            ],
          }),
          components: new Normal({
            loc: [
              [0, 5],
              [1, 2],
            ],
            scale: 1,
          }),
        }),
      ['mean', 'variance', 'stddev'],
    );
  });
});
