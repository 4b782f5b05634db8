import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import special from '../test/fixtures/special.json' with { type: 'json' };
import { expectClose, expectNoLeak } from '../test/helpers.js';
import { Beta } from './beta.js';
import { Gamma } from './gamma.js';
import { NegativeBinomial } from './negative-binomial.js';
import { Poisson } from './poisson.js';
import { ZeroInflatedNegativeBinomial } from './zero-inflated-negative-binomial.js';
import { ZeroInflatedPoisson } from './zero-inflated-poisson.js';

const rel = (got: ArrayLike<number>, want: number[], tol: number): void =>
  want.forEach((w, i) => {
    if (!(Math.abs(got[i]! - w) <= tol * Math.abs(w)))
      throw new Error(`element ${i}: got ${got[i]}, expected ${w} (rel ${tol})`);
  });

describe('cdfs and icdfs through the incomplete gamma and beta functions (SciPy)', () => {
  it('Gamma and Beta cdf (1e-6) and icdf (1e-6), icdf exact at 0 and 1', () => {
    tf.tidy(() => {
      const g = special.gammaCdf;
      const gd = new Gamma({ concentration: g.map((c) => c.concentration), rate: g.map((c) => c.rate) });
      rel(
        gd.cdf(g.map((c) => c.x)).dataSync(),
        g.map((c) => c.cdf),
        1e-6,
      );
      rel(
        gd.icdf(g.map((c) => c.icdfP)).dataSync(),
        g.map((c) => c.icdf),
        1e-6,
      );
      expect(Array.from(new Gamma({ concentration: 2, rate: 3 }).icdf([0, 1]).dataSync())).toEqual([0, Infinity]);
      expect(Array.from(new Gamma({ concentration: 2, rate: 3 }).cdf([0, Infinity]).dataSync())).toEqual([0, 1]);
      const b = special.betaCdf;
      const bd = new Beta({
        concentration1: b.map((c) => c.concentration1),
        concentration0: b.map((c) => c.concentration0),
      });
      rel(
        bd.cdf(b.map((c) => c.x)).dataSync(),
        b.map((c) => c.cdf),
        1e-6,
      );
      rel(
        bd.icdf(b.map((c) => c.icdfP)).dataSync(),
        b.map((c) => c.icdf),
        1e-6,
      );
      expect(Array.from(new Beta({ concentration1: 2, concentration0: 3 }).icdf([0, 1]).dataSync())).toEqual([0, 1]);
    });
  });
  it('Gamma cdf gradients: ∂F/∂x is the density, ∂F/∂β = x·f(βx)', () => {
    tf.tidy(() => {
      const [gx, gb] = tf.grads((x: tf.Tensor, b: tf.Tensor) => new Gamma({ concentration: 3, rate: b }).cdf(x))([
        tf.scalar(1.3),
        tf.scalar(2),
      ]);
      const pdf = new Gamma({ concentration: 3, rate: 2 }).prob(1.3);
      expectClose(gx!, Array.from(pdf.dataSync()), 1e-5, 0);
      expectClose(gb!, [(1.3 * pdf.dataSync()[0]!) / 2], 1e-5, 0);
    });
  });
  it('Poisson cdf matches SciPy (1e-6), floors non-integers, is 0 below 0; ∂F/∂λ = −p(⌊x⌋)', () => {
    tf.tidy(() => {
      const p = special.poissonCdf;
      const rate = tf.tensor(p.map((c) => c.rate));
      const x = p.map((c) => c.x);
      rel(
        new Poisson({ rate }).cdf(x).dataSync(),
        p.map((c) => c.cdf),
        1e-6,
      );
      const g = tf
        .grad((r: tf.Tensor) => tf.sum(new Poisson({ rate: r }).cdf(x)))(rate)
        .dataSync();
      p.forEach((c, i) =>
        expect(Math.abs(g[i]! - c.dCdfDrate)).toBeLessThanOrEqual(1e-5 * Math.abs(c.dCdfDrate) + 1e-30),
      );
    });
  });
  it('NegativeBinomial cdf matches SciPy nbinom (1e-6), also in scVI’s parameterization', () => {
    tf.tidy(() => {
      const n = special.negativeBinomialCdf;
      const d = new NegativeBinomial({ totalCount: n.map((c) => c.totalCount), logits: n.map((c) => c.logits) });
      rel(
        d.cdf(n.map((c) => c.x)).dataSync(),
        n.map((c) => c.cdf),
        1e-5,
      );
      const md = NegativeBinomial.fromMeanDispersion({ mean: 5 * Math.exp(0.5), dispersion: 5 });
      rel(md.cdf([3]).dataSync(), [n[1]!.cdf], 1e-5);
    });
  });
});

describe('count entropies by truncated summation (mpmath sums)', () => {
  it('NegativeBinomial, ZeroInflatedPoisson and ZINB entropies within 1e-5 relative', () => {
    tf.tidy(() => {
      const nb = special.negativeBinomialEntropy;
      rel(
        new NegativeBinomial({ totalCount: nb.map((c) => c.totalCount), logits: nb.map((c) => c.logits) })
          .entropy()
          .dataSync(),
        nb.map((c) => c.entropy),
        1e-5,
      );
      const zp = special.zeroInflatedPoissonEntropy;
      rel(
        new ZeroInflatedPoisson({ rate: zp.map((c) => c.rate), gate: zp.map((c) => c.gate) }).entropy().dataSync(),
        zp.map((c) => c.entropy),
        1e-5,
      );
      const zn = special.zeroInflatedNegativeBinomialEntropy;
      const d = new ZeroInflatedNegativeBinomial({
        mean: zn.map((c) => c.mean),
        dispersion: zn.map((c) => c.dispersion),
        gate: zn.map((c) => c.gate),
      });
      rel(
        d.entropy().dataSync(),
        zn.map((c) => c.entropy),
        1e-5,
      );
    });
  });
  it('entropy is exactly 0 for a ZIP with gate 1, and differentiable (finite gradients) in every parameter', () => {
    tf.tidy(() => {
      expect(new ZeroInflatedPoisson({ rate: 3, gate: 1 }).entropy().dataSync()[0] === 0).toBe(true);
      const [gr, gg] = tf.grads((r: tf.Tensor, g: tf.Tensor) =>
        new ZeroInflatedPoisson({ rate: r, gate: g }).entropy(),
      )([tf.tensor([3, 0.5]), tf.tensor([0.2, 0])]);
      expect([...gr!.dataSync(), ...gg!.dataSync()].every(Number.isFinite)).toBe(true);
      const gm = tf.grad((m: tf.Tensor) =>
        tf.sum(NegativeBinomial.fromMeanDispersion({ mean: m, dispersion: 2 }).entropy()),
      )(tf.tensor([0.5, 20]));
      expect(Array.from(gm.dataSync()).every(Number.isFinite)).toBe(true);
    });
  });
});

describe('gradients at the edges (issue 14)', () => {
  it('Poisson entropy gradient at rate 1e-9 is 20.72 (and matches mpmath at 1e-6, 1e-3, 0.5)', () => {
    tf.tidy(() => {
      const pe = special.poissonEntropyGrad;
      const g = tf.grad((r: tf.Tensor) => tf.sum(new Poisson({ rate: r }).entropy()))(tf.tensor(pe.map((c) => c.rate)));
      rel(
        g.dataSync(),
        pe.map((c) => c.dEntropy),
        1e-4,
      );
      expect(g.dataSync()[0]).toBeCloseTo(20.72, 2);
    });
  });
  it('ZIP(rate 3, gate 0): ∂logProb(1)/∂gate = −1, ∂mean/∂gate = −3; at gate 1 too, and no NaN at x = 0', () => {
    tf.tidy(() => {
      const lp1 = (g: tf.Tensor): tf.Tensor => new ZeroInflatedPoisson({ rate: 3, gate: g }).logProb(1);
      expectClose(tf.grad(lp1)(tf.scalar(0)), -1, 1e-6, 0);
      expectClose(
        tf.grad((g: tf.Tensor) => new ZeroInflatedPoisson({ rate: 3, gate: g }).mean())(tf.scalar(0)),
        -3,
        1e-6,
        0,
      );
      expectClose(
        tf.grad((g: tf.Tensor) => new ZeroInflatedPoisson({ rate: 3, gate: g }).mean())(tf.scalar(1)),
        -3,
        1e-6,
        0,
      );
      // log p(0) = log(π + (1 − π)e^{−λ}): ∂/∂π = (1 − e^{−λ})/p(0): e^{3} − 1 at π = 0, 1 − e^{−3} at π = 1
      const lp0 = (g: tf.Tensor): tf.Tensor => new ZeroInflatedPoisson({ rate: 3, gate: g }).logProb(0);
      expectClose(tf.grad(lp0)(tf.scalar(0)), Math.exp(3) - 1, 1e-5, 0);
      expectClose(tf.grad(lp0)(tf.scalar(1)), 1 - Math.exp(-3), 1e-5, 0);
      // a batch mixing x = 0 and x = 1 at gate 1: the x = 1 row is −∞ with gradient −∞, the x = 0 row stays finite
      const v = tf.grad((g: tf.Tensor) => tf.sum(new ZeroInflatedPoisson({ rate: 3, gate: g }).logProb([0, 0])))(
        tf.scalar(1),
      );
      expect(Number.isFinite(v.dataSync()[0]!)).toBe(true);
      expect(Array.from(new ZeroInflatedPoisson({ rate: 3, gate: 1 }).logProb([0, 1]).dataSync())).toEqual([
        0,
        -Infinity,
      ]);
    });
  });
  it('ZINB(μ 5, θ 2, gate 0): ∂logProb(1)/∂gate = −1, ∂mean/∂gate = −5, ∂variance/∂gate finite', () => {
    tf.tidy(() => {
      const make = (g: tf.Tensor): ZeroInflatedNegativeBinomial =>
        new ZeroInflatedNegativeBinomial({ mean: 5, dispersion: 2, gate: g });
      expectClose(tf.grad((g: tf.Tensor) => make(g).logProb(1))(tf.scalar(0)), -1, 1e-6, 0);
      expectClose(tf.grad((g: tf.Tensor) => make(g).mean())(tf.scalar(0)), -5, 1e-6, 0);
      // Var = (1 − π)(μ + μ²/θ + πμ²): ∂/∂π at 0 = −(μ + μ²/θ) + μ² = −17.5 + 25
      expectClose(tf.grad((g: tf.Tensor) => make(g).variance())(tf.scalar(0)), 7.5, 1e-6, 0);
      const p0 = (2 / 7) ** 2;
      expectClose(tf.grad((g: tf.Tensor) => make(g).logProb(0))(tf.scalar(0)), (1 - p0) / p0, 1e-5, 0);
    });
  });
  it('no tensor leaks in cdf, icdf, entropy and their gradients', () => {
    const r = tf.tensor([3, 0.5]);
    expectNoLeak(() => {
      const zip = new ZeroInflatedPoisson({ rate: [3, 0.5], gate: [0, 0.3] });
      const nb = new NegativeBinomial({ totalCount: [2, 5], logits: [0.1, -1] });
      const gamma = new Gamma({ concentration: 2, rate: 1 });
      const out = [zip.cdf([1, 2]), zip.entropy(), nb.cdf([0, 4]), nb.entropy(), gamma.icdf([0.5])];
      gamma.dispose();
      const g = tf.grad((t: tf.Tensor) => tf.sum(new Poisson({ rate: t }).cdf([1, 2])))(r);
      zip.dispose();
      nb.dispose();
      return [...out, g];
    });
    r.dispose();
  });
});
