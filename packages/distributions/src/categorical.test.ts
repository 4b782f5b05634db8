import * as tf from '@tensorflow/tfjs-core';
import { NotImplementedError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, fixtures } from '../test/helpers.js';
import { Categorical } from './categorical.js';
import { OneHotCategorical } from './one-hot-categorical.js';

describe('Categorical and OneHotCategorical', () => {
  it('logProb and entropy match SciPy log_softmax, without overflow for logits ±100', () => {
    for (const c of fixtures.categorical) {
      tf.tidy(() => {
        const d = new Categorical({ logits: c.logits });
        expectClose(d.logProb(c.x), c.logProb);
        expectClose(d.entropy(), c.entropy, 1e-5, 1e-6);
        const oneHot = new OneHotCategorical({ logits: c.logits });
        const x = c.logits.map((_, k) => (k === c.x ? 1 : 0));
        expectClose(oneHot.logProb(x), c.logProb);
        expectClose(oneHot.entropy(), c.entropy, 1e-5, 1e-6);
      });
    }
  });
  it('probs (unnormalized, with zeros) and sample frequencies', () => {
    tf.tidy(() => {
      const d = new Categorical({
        probs: [
          [2, 0, 6],
          [1, 1, 2],
        ],
      });
      expectClose(d.probsParameter(), [0.25, 0, 0.75, 0.25, 0.25, 0.5]);
      expect(d.logProb([1, 1]).dataSync()[0]).toBe(-Infinity);
      const n = 20000;
      const x = d.sample([n], { seed: 3 });
      expect(x.shape).toEqual([n, 2]);
      const freq = tf.mean(tf.oneHot(tf.cast(x, 'int32'), 3), 0).dataSync();
      [0.25, 0, 0.75, 0.25, 0.25, 0.5].forEach((p, i) =>
        expect(Math.abs(freq[i]! - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 1e-9),
      );
      const oh = new OneHotCategorical({ probs: [0.1, 0.9] });
      expectClose(tf.mean(oh.sample([n], { seed: 4 }), 0), [0.1, 0.9], 0, 5 * Math.sqrt(0.09 / n));
      expectClose(oh.variance(), [0.09, 0.09]);
      expect(() => d.mean()).toThrowError(NotImplementedError);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Categorical({ probs: [0.5, -0.5] })).toThrowError(
      /Categorical: "probs" must be finite and >= 0, got \[0.5, -0.5\]/,
    );
    expect(() => new Categorical({ logits: 1 })).toThrowError(/last axis/);
    const d = new Categorical({ logits: [0, 0, 0] });
    expect(() => d.logProb(3)).toThrowError(/"value" must be finite and an integer in \[0, 2\], got 3/);
    d.dispose();
    const o = new OneHotCategorical({ logits: [0, 0] });
    expect(() => o.logProb([1, 1])).toThrowError(/one-hot/);
    o.dispose();
    tf.tidy(() => {
      expect(new Categorical({ logits: [0, 0] }, { validateArgs: false }).logProb([2, -1]).dataSync()).toEqual(
        new Float32Array([-Infinity, -Infinity]),
      );
    });
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () =>
        new Categorical({
          logits: [
            [0, 1, 2],
            [2, 1, 0],
          ],
        }),
      ['mode', 'entropy'],
    );
    expectContract(
      () =>
        new OneHotCategorical({
          logits: [
            [0, 1, 2],
            [2, 1, 0],
          ],
        }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
    );
  });
});
