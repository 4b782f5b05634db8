// Binomial log-masses against float64 (log C(n, k) from log-gamma in double precision, @varia/core's logGamma, plus
// k·log p + (n − k)·log q): the lgamma form in float32 was off by ~0.1 nat at n = 10⁵ and ~1 nat at n = 10⁶ (torch
// float32 too); Loader's saddle-point form stays within float32 rounding of the result. Entropy and ∂/∂logits too.
import * as tf from '@tensorflow/tfjs-core';
import { logGamma } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { Binomial } from './binomial.js';

const log1pexp = (l: number) => (l > 0 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l)));

/** log p(k) in float64 for logits ℓ. */
function exact(n: number, l: number, k: number): number {
  const logChoose = logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
  const a = k === 0 ? 0 : -k * log1pexp(-l);
  const b = n - k === 0 ? 0 : -(n - k) * log1pexp(l);
  return logChoose + a + b;
}

describe('Binomial log-mass (saddle-point form)', () => {
  it('matches float64 at n up to 10⁶, at the ends, and for tiny probabilities', () => {
    const cases: [number, number, number[]][] = [
      [1e6, 0, [5e5, 499000, 0, 1e6, 1]],
      [1e6, Math.log(0.3 / 0.7), [3e5, 301234]],
      [1e5, 0, [5e4, 50100]],
      [20, 0.5, [0, 1, 7, 19, 20]],
      [3, -30, [0, 1, 3]],
      [1000, -20, [0, 1, 2]],
      [1, 2, [0, 1]],
    ];
    for (const [n, l, ks] of cases) {
      const lp = tf.tidy(() => [...new Binomial({ totalCount: n, logits: l }).logProb(ks).dataSync()]);
      ks.forEach((k, i) => {
        const e = exact(n, Math.fround(l), k);
        // float32: a few roundings of numbers of e's size (or of order 10), plus the rounding of np (relative 1.2e-7,
        // the same in any float32 evaluation), whose effect on log p grows with |k − np|
        const np = n / (1 + Math.exp(-Math.fround(l)));
        const tol = 4e-6 * Math.max(Math.abs(e), 10) + 2e-7 * Math.abs(k - np);
        expect(Math.abs(lp[i]! - e), `n ${n}, ℓ ${l}, k ${k}: ${lp[i]} against ${e}`).toBeLessThanOrEqual(tol);
      });
    }
  });

  it('n = 0 gives log p(0) = 0 also at p ∈ {0, 1}; p ∈ {0, 1} are exact', () => {
    const lp = tf.tidy(() => [
      ...new Binomial({ totalCount: 0, probs: [1, 0, 0.5] }).logProb([0, 0, 0]).dataSync(),
      ...new Binomial({ totalCount: 5, probs: [1, 0, 1, 0] }).logProb([5, 0, 4, 1]).dataSync(),
    ]);
    expect(lp).toEqual([0, 0, 0, 0, 0, -Infinity, -Infinity]);
  });

  it('∂/∂ℓ = k − nσ(ℓ) through every branch, and the entropy at n = 10⁵ matches float64', () => {
    const ks = [0, 3, 10];
    const g = tf.tidy(() => [
      ...tf
        .grad((l: tf.Tensor) => new Binomial({ totalCount: 10, logits: l }).logProb(tf.tensor1d(ks)))(tf.fill([3], 0.4))
        .dataSync(),
    ]);
    const s = 1 / (1 + Math.exp(-Math.fround(0.4)));
    ks.forEach((k, i) => expect(g[i]).toBeCloseTo(k - 10 * s, 5));
    const n = 1e5;
    const h = tf.tidy(() => new Binomial({ totalCount: n, logits: 0 }).entropy().dataSync()[0]!);
    let reference = 0;
    for (let k = 0; k <= n; k++) {
      const lp = exact(n, 0, k);
      if (lp > -800) reference -= Math.exp(lp) * lp;
    }
    expect(h).toBeCloseTo(reference, 2);
  });
});
