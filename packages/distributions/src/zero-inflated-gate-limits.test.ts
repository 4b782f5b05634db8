// ZIP and ZINB given gate logits ±∞ (π = 0 or 1 exactly; allowed with validateArgs: false, as heads build them): every
// value and gradient is the limit — at −∞ the base family (Poisson(2), NB(μ = 2, θ = 2)), at +∞ a point mass at 0.
// References: mpmath at 30 digits (sums over the support, mp.diff for the entropy gradients) and closed forms.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ZeroInflatedNegativeBinomial } from './zero-inflated-negative-binomial.js';
import { ZeroInflatedPoisson } from './zero-inflated-poisson.js';

const off = { validateArgs: false } as const;

/** |a − e| ≤ atol + rtol·|e| element-wise (host numbers). */
function expectClose(actual: number[], expected: number[], rtol: number, atol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    expect(Math.abs(a - e), `element ${i}: got ${a}, expected ${e}`).toBeLessThanOrEqual(atol + rtol * Math.abs(e));
  });
}
const xs = [0, 1, 3];
type Make = (mean: tf.Tensor, gateLogits: tf.Tensor) => ZeroInflatedPoisson | ZeroInflatedNegativeBinomial;

const families: {
  name: string;
  make: Make;
  base: { logProb: number[]; cdf: number[]; entropy: number; dEntropy: number; dLogProb: number[] };
}[] = [
  {
    name: 'ZeroInflatedPoisson(rate 2)',
    make: (rate, gateLogits) => new ZeroInflatedPoisson({ rate, gateLogits }, off),
    base: {
      logProb: [-2, -1.3068528194400546, -1.7123179275482192],
      cdf: [0.1353352832366127, 0.4060058497098381, 0.857123460498547],
      entropy: 1.7048826439329838,
      dEntropy: 0.2848509604217358,
      dLogProb: xs.map((x) => x / 2 - 1), // ∂/∂λ (x log λ − λ)
    },
  },
  {
    name: 'ZeroInflatedNegativeBinomial(mean 2, dispersion 2)',
    make: (mean, gateLogits) => new ZeroInflatedNegativeBinomial({ mean, dispersion: 2, gateLogits }, off),
    base: {
      logProb: [-1.3862943611198906, -1.3862943611198906, -2.0794415416798357],
      cdf: [0.25, 0.5, 0.8125],
      entropy: 1.8794469013699886,
      dEntropy: 0.39109913504353844,
      dLogProb: xs.map((x) => x / 2 - (x + 2) / 4), // ∂/∂μ (x log μ − (x + θ) log(θ + μ))
    },
  },
];

/** Values and gradients (in the mean and in the gate logits) of `f` at mean 2 and gate logits g, per count in xs. */
function withGradients(make: Make, g: number, f: (d: ZeroInflatedPoisson | ZeroInflatedNegativeBinomial) => tf.Tensor) {
  return tf.tidy(() => {
    const value = Array.from(f(make(tf.scalar(2), tf.scalar(g))).dataSync());
    const perElement = value.map((_, i) => {
      const [dMean, dGate] = tf.grads((m: tf.Tensor, l: tf.Tensor) =>
        tf.sum(tf.slice(tf.reshape(f(make(m, l)), [-1]), i, 1)),
      )([tf.scalar(2), tf.scalar(g)]);
      return [dMean!.dataSync()[0]!, dGate!.dataSync()[0]!];
    });
    return { value, dMean: perElement.map((d) => d[0]!), dGate: perElement.map((d) => d[1]!) };
  });
}

describe('zero-inflated families at gate logits ±∞', () => {
  for (const { name, make, base } of families) {
    it(`${name}, gate logits −∞: exactly the base family, gate gradients 0`, () => {
      const lp = withGradients(make, -Infinity, (d) => d.logProb(xs));
      expectClose(lp.value, base.logProb, 1e-6, 1e-6);
      expectClose(lp.dMean, base.dLogProb, 1e-5, 1e-6);
      expect(lp.dGate).toEqual([0, 0, 0]);
      const cdf = withGradients(make, -Infinity, (d) => d.cdf(xs));
      expectClose(cdf.value, base.cdf, 1e-6, 1e-7);
      expect(cdf.dGate).toEqual([0, 0, 0]);
      expect(cdf.dMean.every(Number.isFinite)).toBe(true);
      const h = withGradients(make, -Infinity, (d) => d.entropy());
      expectClose(h.value, [base.entropy], 1e-6, 0);
      expectClose(h.dMean, [base.dEntropy], 1e-5, 0);
      expect(h.dGate).toEqual([0]);
    });

    it(`${name}, gate logits +∞: a point mass at 0 — log p = [0, −∞, −∞], cdf 1, entropy 0, finite gradients`, () => {
      const lp = withGradients(make, Infinity, (d) => d.logProb(xs));
      expect(lp.value).toEqual([0, -Infinity, -Infinity]);
      // ∂/∂g log p(0) = σ'(g)(1 − f₀)/p(0) → 0; ∂/∂g log p(x ≥ 1) = ∂/∂g (−softplus(g)) = −σ(g) = −1
      expect(lp.dGate).toEqual([0, -1, -1]);
      // log p(x ≥ 1) = log(1 − π) + log f(x): its mean-gradient is the base one; log p(0) = 0 does not depend on it
      expectClose(lp.dMean, [0, base.dLogProb[1]!, base.dLogProb[2]!], 1e-5, 1e-6);
      const cdf = withGradients(make, Infinity, (d) => d.cdf(xs));
      expect(cdf.value).toEqual([1, 1, 1]);
      expect([...cdf.dMean, ...cdf.dGate]).toEqual([0, 0, 0, 0, 0, 0]);
      const h = withGradients(make, Infinity, (d) => d.entropy());
      expect(h.value).toEqual([0]);
      expect([...h.dMean, ...h.dGate]).toEqual([0, 0]);
      tf.tidy(() => {
        const d = make(tf.scalar(2), tf.scalar(Infinity));
        expect(Array.from(d.sample([50], { seed: 1 }).dataSync()).every((v) => v === 0)).toBe(true);
        expect([d.mean().dataSync()[0], d.variance().dataSync()[0]]).toEqual([0, 0]);
      });
    });
  }
});
