import * as tf from '@tensorflow/tfjs-core';
import { logGamma } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../test/helpers.js';
import { Beta } from './beta.js';
import { Dirichlet } from './dirichlet.js';
import { Gamma } from './gamma.js';
import { gammaP, gammaPInv } from './incomplete-gamma-float64.js';
import { StudentT } from './student-t.js';

const N = 20000;
/** ∂/∂θ of the sample mean of f(rsample) — a Monte-Carlo estimate of ∂/∂θ E[f(X)] by the pathwise gradient. */
function pathwise(make: (theta: tf.Tensor) => tf.Tensor, theta: number[]): number[] {
  return tf.tidy(() =>
    Array.from(
      tf
        .grad((t: tf.Tensor) => tf.sum(make(t)))(tf.tensor(theta))
        .dataSync(),
    ),
  );
}
/** |got − want| ≤ rel·|want| per element. */
function expectRel(got: number[], want: number[], rel: number): void {
  got.forEach((g, i) => {
    if (!(Math.abs(g - want[i]!) <= rel * Math.abs(want[i]!)))
      throw new Error(`element ${i}: got ${g}, expected ${want[i]} ± ${rel * 100}%`);
  });
}

describe('implicit reparameterization (Figurnov, Mohamed & Mnih 2018)', () => {
  it('Gamma: rsample has hasRsample, the same draws as sample for a seed, and d/dα E[X] = 1/β, d/dβ E[X] = −α/β²', () => {
    const alpha = [0.05, 0.7, 3, 40];
    const beta = [2, 1, 0.5, 4];
    expect(new Gamma({ concentration: 1, rate: 1 }).hasRsample).toBe(true);
    tf.tidy(() => {
      const d = new Gamma({ concentration: alpha, rate: beta });
      expect(Array.from(d.rsample([50], { seed: 9 }).dataSync())).toEqual(
        Array.from(d.sample([50], { seed: 9 }).dataSync()),
      );
    });
    const gA = pathwise(
      (a) => tf.div(new Gamma({ concentration: a, rate: beta }).rsample([N], { seed: 11 }), N),
      alpha,
    );
    expectRel(
      gA,
      beta.map((b) => 1 / b),
      0.03,
    );
    const gB = pathwise(
      (b) => tf.div(new Gamma({ concentration: alpha, rate: b }).rsample([N], { seed: 12 }), N),
      beta,
    );
    expectRel(
      gB,
      alpha.map((a, i) => -a / beta[i]! ** 2),
      0.03,
    );
  });
  it('Gamma: d/dα E[log X] = ψ′(α) (trigamma), down to α = 1e-3 where X underflows float32', () => {
    // ψ′(1e-3) = 1e6 + π²/6 − 2.404·1e-3…, ψ′(½) = π²/2, ψ′(3) = π²/6 − 5/4
    const want = [1e6 + 1.6449340668 - 2.4041138 * 1e-3, Math.PI ** 2 / 2, Math.PI ** 2 / 6 - 1.25];
    const g = pathwise(
      (a) =>
        tf.div(tf.log(new Gamma({ concentration: a, rate: 1 }, { validateArgs: false }).rsample([N], { seed: 13 })), N),
      [1e-3, 0.5, 3],
    );
    // the first: log X is clamped at the smallest float32 only where X < 1e-38, i.e. log X < −87.3, which for
    // α = 1e-3 is most draws: there the gradient is cut; compare the other two and check the first is finite
    expect(Number.isFinite(g[0]!)).toBe(true);
    expectRel(g.slice(1), want.slice(1), 0.03);
  });
  it('Gamma: each draw’s gradient equals the derivative of the quantile at its cdf level (float64 central differences)', () => {
    tf.tidy(() => {
      const a = 2.5;
      const x = new Gamma({ concentration: a, rate: 1 }).rsample([20], { seed: 3 });
      const g = tf.grad((c: tf.Tensor) => tf.sum(new Gamma({ concentration: c, rate: 1 }).rsample([20], { seed: 3 })))(
        tf.scalar(a),
      );
      const xs = Array.from(x.dataSync());
      const h = 1e-4;
      const fd = xs.reduce((s, xi) => {
        const u = gammaP(a, xi);
        return s + (gammaPInv(a + h, u) - gammaPInv(a - h, u)) / (2 * h);
      }, 0);
      expect(Math.abs(g.dataSync()[0]! - fd) / Math.abs(fd)).toBeLessThan(1e-5);
    });
  });
  it('Beta: d/da E[X] = b/(a + b)², d/db E[X] = −a/(a + b)²', () => {
    const a = [0.5, 2, 30];
    const b = [3, 2, 10];
    const ga = pathwise(
      (t) => tf.div(new Beta({ concentration1: t, concentration0: b }).rsample([N], { seed: 21 }), N),
      a,
    );
    expectRel(
      ga,
      a.map((ai, i) => b[i]! / (ai + b[i]!) ** 2),
      0.04,
    );
    const gb = pathwise(
      (t) => tf.div(new Beta({ concentration1: a, concentration0: t }).rsample([N], { seed: 22 }), N),
      b,
    );
    expectRel(
      gb,
      a.map((ai, i) => -ai / (ai + b[i]!) ** 2),
      0.04,
    );
  });
  it('Dirichlet: d/dαᵢ E[X₀] = (α₀ − αᵢ)/α₀²·[i = 0] − α_0/α₀²·[i ≠ 0] (α₀ the total)', () => {
    const alpha = [0.8, 2, 5];
    const total = 7.8;
    const g = pathwise(
      (t) => tf.div(tf.slice(new Dirichlet({ concentration: t }).rsample([N], { seed: 31 }), [0, 0], [N, 1]), N),
      alpha,
    );
    expectRel(g, [(total - alpha[0]!) / total ** 2, -alpha[0]! / total ** 2, -alpha[0]! / total ** 2], 0.05);
  });
  it('StudentT: rsample is differentiable in df, d/dν E|X| matches the closed form 2√ν Γ((ν+1)/2)/(√π (ν − 1) Γ(ν/2))', () => {
    const meanAbs = (nu: number): number =>
      (2 * Math.sqrt(nu) * Math.exp(logGamma((nu + 1) / 2) - logGamma(nu / 2))) / (Math.sqrt(Math.PI) * (nu - 1));
    const nus = [3, 8];
    const want = nus.map((nu) => (meanAbs(nu + 1e-4) - meanAbs(nu - 1e-4)) / 2e-4);
    const g = pathwise(
      (df) => tf.div(tf.abs(new StudentT({ df, loc: 0, scale: 1 }).rsample([4 * N], { seed: 41 })), 4 * N),
      nus,
    );
    expectRel(g, want, 0.1);
  });
  it('no tensor leaks in rsample and its gradient', () => {
    const c = tf.tensor([1.5, 0.3]);
    expectNoLeak(() => {
      const d = new Dirichlet({ concentration: [1, 2, 3] });
      const x = d.rsample([4], { seed: 1 });
      const g = tf.grad((t: tf.Tensor) => tf.sum(new Gamma({ concentration: t, rate: 2 }).rsample([3], { seed: 2 })))(
        c,
      );
      const gb = tf.grad((t: tf.Tensor) =>
        tf.sum(new Beta({ concentration1: t, concentration0: 2 }).rsample([3], { seed: 2 })),
      )(c);
      d.dispose();
      return [x, g, gb];
    });
    c.dispose();
  });
});
