// Boundary values of the discrete families (issue 14, item 1): exact values at the edges of the parameter space
// and no NaN gradient from a tf.where whose unused branch overflows. References: the mathematics (0·log 0 = 0) and
// PyTorch 1.13 in float64 where it agrees (its Bernoulli clamps probs, so there the mathematics is the reference).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '../test/helpers.js';
import { Bernoulli } from './bernoulli.js';
import { Categorical } from './categorical.js';
import { klDivergence } from './kl.js';
import { OneHotCategorical } from './one-hot-categorical.js';

/** The entries, with −0 read as 0. */
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync(), (v) => v + 0);

describe('Bernoulli at p = 0 and 1 (logits ∓∞)', () => {
  const cases: [string, () => Bernoulli][] = [
    ['probs [0, 1]', () => new Bernoulli({ probs: [0, 1] })],
    [
      'logits [−∞, +∞], validation off',
      () => new Bernoulli({ logits: [-Infinity, Infinity] }, { validateArgs: false }),
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name}: logProb, entropy and KL against Bernoulli(½) are exact`, () => {
      const d = make();
      const half = new Bernoulli({ probs: 0.5 });
      expectNoLeak(() => {
        const out = [d.logProb([0, 0]), d.logProb([1, 1]), d.entropy(), klDivergence(d, half)];
        expect(values(out[0]!)).toEqual([0, -Infinity]);
        expect(values(out[1]!)).toEqual([-Infinity, 0]);
        expect(values(out[2]!)).toEqual([0, 0]);
        expectClose(out[3]!, [Math.LN2, Math.LN2], 1e-6, 0);
        return out;
      });
      d.dispose();
      half.dispose();
    });
  }
  it('entropy and KL gradients at logits ±∞ are finite (0), not NaN', () => {
    expectNoLeak(() => {
      const l = tf.tensor([-Infinity, Infinity]);
      const opts = { validateArgs: false };
      const gH = tf.grad((x: tf.Tensor) => tf.sum(new Bernoulli({ logits: x }, opts).entropy()))(l);
      const gKL = tf.grad((x: tf.Tensor) =>
        tf.sum(klDivergence(new Bernoulli({ logits: x }, opts), new Bernoulli({ logits: 0.3 }, opts))),
      )(l);
      expect(values(gH)).toEqual([0, 0]);
      expect(values(gKL)).toEqual([0, 0]);
      // KL(Bernoulli(0.2) ‖ Bernoulli(q)) vs q = 0 is +∞
      const kl = tf.tidy(() => klDivergence(new Bernoulli({ probs: 0.2 }), new Bernoulli({ probs: 0 })));
      expect(values(kl)).toEqual([Infinity]);
      return [l, gH, gKL, kl];
    });
  });
});

describe('Categorical / OneHotCategorical', () => {
  it('entropy gradient with a −∞ logit matches torch: [0, 0.197, −0.197]', () => {
    for (const Family of [Categorical, OneHotCategorical]) {
      expectNoLeak(() => {
        const l = tf.tensor([-Infinity, 0, 1]);
        const h = tf.tidy(() => new Family({ logits: l }).entropy());
        const g = tf.grad((x: tf.Tensor) => new Family({ logits: x }).entropy())(l);
        // torch.distributions.Categorical(logits=[-inf, 0, 1]) in float64
        expectClose(h, 0.582203108888218, 1e-6, 0);
        expectClose(g, [0, 0.19661193324148185, -0.19661193324148185], 1e-5, 1e-7);
        return [l, h, g];
      });
    }
  });
  it('K = 1 category: logProb 0, entropy 0, samples 0 (torch returns 0), no raw tfjs error', () => {
    const c = new Categorical({ logits: [[0.3], [2]] });
    const o = new OneHotCategorical({ probs: [[1], [5]] });
    expectNoLeak(() => {
      const out = [
        c.logProb([0, 0]),
        c.entropy(),
        c.sample([3], { seed: 1 }),
        c.mode(),
        o.logProb([[1], [1]]),
        o.entropy(),
        o.sample([2], { seed: 1 }),
        o.mode(),
      ];
      expect(values(out[0]!)).toEqual([0, 0]);
      expect(values(out[1]!)).toEqual([0, 0]);
      expect(out[2]!.shape).toEqual([3, 2]);
      expect(values(out[2]!)).toEqual([0, 0, 0, 0, 0, 0]);
      expect(values(out[3]!)).toEqual([0, 0]);
      expect(values(out[4]!)).toEqual([0, 0]);
      expect(values(out[5]!)).toEqual([0, 0]);
      expect(values(out[6]!)).toEqual([1, 1, 1, 1]);
      expect(values(out[7]!)).toEqual([1, 1]);
      return out;
    });
    c.dispose();
    o.dispose();
  });
});
