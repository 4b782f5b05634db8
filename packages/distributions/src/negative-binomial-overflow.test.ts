// NegativeBinomial where the mean overflows float32 (logits 100): accepted, as in torch and TFP; the moments are the
// float32 values of the true ones (+∞ above 3.4e38, finite and accurate below), logProb of representable counts exact.
// References: mpmath at 50 digits (log p(x) = lgamma(x+r) − lgamma(r) − lgamma(x+1) + xℓ − (x+r)·log(1+e^ℓ)).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../test/helpers.js';
import { NegativeBinomial } from './negative-binomial.js';

describe('NegativeBinomial beyond the float32 range of its mean', () => {
  it('{ totalCount: 1, logits: 100 }: mean and variance +∞ (their float32 values), mode 0, draws +∞, never NaN', () => {
    tf.tidy(() => {
      const d = new NegativeBinomial({ totalCount: 1, logits: 100 });
      expect(d.mean().dataSync()[0]).toBe(Infinity); // true mean e^100 ≈ 2.7e43
      expect(d.variance().dataSync()[0]).toBe(Infinity);
      expect(d.mode().dataSync()[0]).toBe(0); // r ≤ 1: mode 0 (torch gives NaN)
      const draws = Array.from(d.sample([200], { seed: 3 }).dataSync());
      // P(X ≤ 3.4e38) = 1 − σ(100)^(3.4e38+1) ≈ 1.3e-5: every one of 200 draws is beyond float32 (torch: −9.2e18)
      expect(draws.every((v) => v === Infinity)).toBe(true);
    });
  });

  it('logProb of counts up to 3e38 and its logits-gradient match mpmath where μ > e^80', () => {
    const cases: [number, number, number, number, number][] = [
      // r, ℓ, x, log p(x), ∂ log p / ∂ℓ
      [1, 100, 1e30, -100.00000000000004, -0.9999999999999628],
      [1, 100, 3e38, -100.00001116021303, -0.999988839772072],
      [3, 100, 1e38, -125.69668383309909, -2.999996279924024],
      [0.5, 95, 1e20, -71.09821587286515, -0.5],
      [2, 88.5, 1e38, -89.86899663442455, -1.6327698318084958],
    ];
    tf.tidy(() => {
      const r = tf.tensor1d(cases.map((c) => c[0]));
      const l = tf.tensor1d(cases.map((c) => c[1]));
      const x = cases.map((c) => c[2]);
      expectClose(
        new NegativeBinomial({ totalCount: r, logits: l }).logProb(x),
        cases.map((c) => c[3]),
        1e-6,
        0,
      );
      const g = tf.grad((t: tf.Tensor) => tf.sum(new NegativeBinomial({ totalCount: r, logits: t }).logProb(x)))(l);
      expectClose(
        g,
        cases.map((c) => c[4]),
        1e-4,
        1e-6,
      );
    });
  });

  it('logProb where the mean is below e^-80 (tiny totalCount, very negative logits) matches the exact form', () => {
    // log p(x) = log r − log x + Σ_{k<x} log1p(r/k) − r·softplus(ℓ) + x·(ℓ − softplus(ℓ)) for integer x ≥ 1, in
    // float64; ∂/∂ℓ = x − (x + r)σ(ℓ). A 1/μ capped at e^80 gave −81.0 for (1e-30, −30, 1) and −81 for (1e-30, −1e4, 1).
    const softplus = (l: number) => (l > 0 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l)));
    const exact = (r: number, l: number, x: number) => {
      let s = Math.log(r) - Math.log(x);
      for (let k = 1; k < x; k++) s += Math.log1p(r / k);
      return s - r * softplus(l) + x * (l - softplus(l));
    };
    const cases: [number, number, number[]][] = [
      [1e-30, -1e4, [1, 10]],
      [1e-30, -30, [1, 5]],
      [1e-10, -80, [3]],
      [0.5, -100, [2, 7]],
    ];
    for (const [r, l, xs] of cases) {
      const [lp, g] = tf.tidy(() => {
        const x = tf.tensor1d(xs);
        const f = (logits: tf.Tensor) => new NegativeBinomial({ totalCount: r, logits }).logProb(x);
        const lp = [...f(tf.scalar(l)).dataSync()];
        const g = tf
          .grad((logits: tf.Tensor) => tf.sum(f(logits)))(tf.scalar(l))
          .dataSync()[0]!;
        return [lp, g] as const;
      });
      xs.forEach((x, i) => {
        const e = exact(r, l, x);
        expect(Math.abs(lp[i]! - e), `(${r}, ${l}, ${x}): ${lp[i]} against ${e}`).toBeLessThanOrEqual(
          1e-5 * Math.abs(e),
        );
      });
      const sigma = 1 / (1 + Math.exp(-l));
      const dl = xs.reduce((s, x) => s + x - (x + r) * sigma, 0);
      expect(g, `∂/∂ℓ at (${r}, ${l})`).toBeCloseTo(dl, 3);
    }
  });

  it('moments inside the float32 range are finite and accurate (no overflow of μ² or e^ℓ on the way)', () => {
    tf.tidy(() => {
      // μ ≈ 1e20, r = 1e10: Var = μ + μ²/r ≈ 1e30 (μ² = 1e40 alone overflows float32). The reference is the closed
      // form in float64 at the float32 parameters (ℓ = fround(ln 1e10)): μ = r·e^ℓ.
      const logits = Math.fround(Math.log(1e10));
      const mu = 1e10 * Math.exp(logits);
      const big = new NegativeBinomial({ totalCount: 1e10, logits });
      expectClose(big.mean(), [mu], 1e-6, 0);
      expectClose(big.variance(), [mu + (mu * mu) / 1e10], 1e-6, 0);
      // μ = e^ℓ ≈ 3.3e38 at ℓ = fround(88.7), just inside float32: finite mean, +∞ variance (μ²/r ≈ 1.1e77)
      const edge = new NegativeBinomial({ totalCount: 1, logits: 88.7 });
      expectClose(edge.mean(), [Math.exp(Math.fround(88.7))], 1e-6, 0);
      expect(edge.variance().dataSync()[0]).toBe(Infinity);
      // mode ⌊(r − 1)e^ℓ⌋ at r = 2, ℓ = 88: e^88 = 1.6516362549940018e+38
      expectClose(new NegativeBinomial({ totalCount: 2, logits: 88 }).mode(), [1.6516362549940018e38], 1e-6, 0);
      // small cases as before: mode ⌊(5 − 1)·e^0.5⌋ = 6, r < 1 → 0
      expectClose(new NegativeBinomial({ totalCount: [5, 0.5], logits: [0.5, 3] }).mode(), [6, 0], 0, 0);
    });
  });
});
