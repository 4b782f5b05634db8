import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../test/helpers.js';
import { Bernoulli } from './bernoulli.js';
import { Binomial } from './binomial.js';
import { Categorical } from './categorical.js';
import type { Distribution } from './distribution.js';
import { Geometric } from './geometric.js';
import { Multinomial } from './multinomial.js';
import { Normal } from './normal.js';
import { OneHotCategorical } from './one-hot-categorical.js';
import { Poisson } from './poisson.js';

/** Upper 0.1 % points of χ²(df) (scipy.stats.chi2.ppf(0.999, df)). */
const CHI2_999: Record<number, number> = { 2: 13.8155, 3: 16.2662, 8: 26.1245 };

/** Pearson's χ² of observed counts against expected probabilities (n draws). */
function chi2(counts: number[], probs: number[], n: number): number {
  return counts.reduce((s, c, i) => s + (c - n * probs[i]!) ** 2 / (n * probs[i]!), 0);
}

/** Category indices of a Categorical sample, or of a OneHotCategorical sample (argmax of the one-hot axis). */
function indices(x: tf.Tensor, oneHot: boolean): Int32Array | Float32Array {
  return tf.tidy(() => (oneHot ? tf.argMax(x, -1) : x).dataSync() as Int32Array | Float32Array);
}

describe('categorical sampling draws every batch row independently', () => {
  for (const oneHot of [false, true]) {
    const make = (probs: number[][]) => (oneHot ? new OneHotCategorical({ probs }) : new Categorical({ probs }));
    const name = oneHot ? 'OneHotCategorical' : 'Categorical';

    it(`${name}: rows with identical probabilities are not identical (seeded and unseeded)`, () => {
      const rows = 64;
      const d = make(Array.from({ length: rows }, () => [0.5, 0.5]));
      for (const seed of [7, undefined]) {
        const x = indices(
          tf.tidy(() => d.sample([], { seed })),
          oneHot,
        );
        // 64 fair coins all equal: probability 2⁻⁶³
        expect(new Set(Array.from(x)).size).toBe(2);
      }
      d.dispose();
    });

    it(`${name}: the joint of two rows' draws factorizes (χ² independence) and the marginals match probs (χ²)`, () => {
      const p = [0.2, 0.3, 0.5];
      const n = 6000;
      for (const seed of [11, 12]) {
        const d = make([p, p]);
        const x = indices(
          tf.tidy(() => d.sample([n], { seed })),
          oneHot,
        ); // [n, 2] row-major
        d.dispose();
        const joint = new Array<number>(9).fill(0);
        const marginal = new Array<number>(3).fill(0);
        for (let i = 0; i < n; i++) {
          joint[x[2 * i]! * 3 + x[2 * i + 1]!]! += 1;
          marginal[x[2 * i]!]! += 1;
        }
        const expectedJoint = p.flatMap((a) => p.map((b) => a * b));
        expect(chi2(joint, expectedJoint, n)).toBeLessThan(CHI2_999[8]!);
        expect(chi2(marginal, p, n)).toBeLessThan(CHI2_999[2]!);
      }
    });

    it(`${name}: the same seed gives the same sample, zero-probability categories are never drawn`, () => {
      const d = make([
        [0, 1, 3],
        [2, 0, 0],
      ]);
      const a = indices(
        tf.tidy(() => d.sample([500], { seed: 5 })),
        oneHot,
      );
      const b = indices(
        tf.tidy(() => d.sample([500], { seed: 5 })),
        oneHot,
      );
      expect(Array.from(a)).toEqual(Array.from(b));
      for (let i = 0; i < 500; i++) {
        expect(a[2 * i]).not.toBe(0);
        expect(a[2 * i + 1]).toBe(0);
      }
      expectNoLeak(() => d.sample([3], { seed: 1 }).dispose());
      d.dispose();
    });
  }
});

describe('sample() under a gradient tape', () => {
  // Each family built from a parameter θ inside the taped function; f(θ) = (Σ sample)·(Σ θ) has ∂f/∂θᵢ = Σ sample
  // when no gradient flows through the draw.
  const families: [string, (theta: tf.Tensor) => Distribution, number[]][] = [
    ['Bernoulli', (t) => new Bernoulli({ logits: t }), [0.3, -0.2, 1]],
    ['Categorical', (t) => new Categorical({ logits: t }), [0.3, -0.2, 1]],
    ['OneHotCategorical', (t) => new OneHotCategorical({ logits: t }), [0.3, -0.2, 1]],
    ['Poisson', (t) => new Poisson({ rate: t }), [2, 0.5, 4]],
    ['Binomial', (t) => new Binomial({ totalCount: 5, logits: t }), [0.3, -0.2, 1]],
    ['Geometric', (t) => new Geometric({ logits: t }), [0.3, -0.2, 1]],
    ['Multinomial', (t) => new Multinomial({ totalCount: 4, logits: t }), [0.3, -0.2, 1]],
    ['Normal (sample, not rsample)', (t) => new Normal({ loc: t, scale: 1 }), [0.3, -0.2, 1]],
  ];
  for (const [name, make, values] of families) {
    it(`${name}: tf.grads works and the draw carries a zero gradient`, () => {
      const theta = tf.tensor1d(values);
      const drawn = tf.tidy(() => {
        const d = make(theta);
        const s = d.sample([], { seed: 9 });
        d.dispose();
        return s;
      });
      const before = tf.memory().numTensors;
      const [g] = tf.grads((t: tf.Tensor) => {
        const d = make(t);
        const s = d.sample([], { seed: 9 });
        const f = tf.mul(tf.sum(s), tf.sum(t));
        d.dispose();
        return f;
      })([theta]);
      const total = tf.tidy(() => tf.sum(drawn).dataSync()[0]!);
      expect(Array.from(g!.dataSync())).toEqual([total, total, total]);
      g!.dispose();
      expect(tf.memory().numTensors).toBe(before);
      drawn.dispose();
      theta.dispose();
    });
  }
});
