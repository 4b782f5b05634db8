// log q(z|h) of each posterior family of the latent registry against independent references: closed forms in float64
// JavaScript (Gaussians through their own Cholesky, Concrete, Poisson, Dirichlet with a Lanczos log-gamma), the
// flow's log-determinant against a finite-difference Jacobian, and simplex densities integrating to 1.
import * as tf from '@tensorflow/tfjs-core';
import type {
  Dense,
  DirichletHead,
  FlowPosteriorHead,
  FullCovarianceNormalHead,
  LowRankNormalHead,
} from '@varia/layers';
import { klDivergence } from '@varia/distributions';
import { describe, expect, it } from 'vitest';
import { LatentModule } from './latent.js';
import { type LatentConfig, resolveLatentConfig } from './latent-config.js';
import type { RelaxedOneHotHead } from './latent-heads.js';

const H = 5;

function latent(config: LatentConfig, d: number, seed = 2): LatentModule {
  return new LatentModule({
    config: resolveLatentConfig(config, d),
    inputDim: H,
    latentDim: d,
    init: 'torch',
    headSeed: seed,
    priorSeed: seed + 7,
  });
}

/** Rows of features h [n, H], deterministic. */
function features(n: number): tf.Tensor2D {
  return tf.tensor2d(
    Array.from({ length: n * H }, (_, i) => Math.sin(1.7 * i + 0.3) * 1.5),
    [n, H],
  );
}

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
const dense = (layer: Dense, h: tf.Tensor): number[] => tf.tidy(() => values(layer.apply(h)));

/** Cholesky of a symmetric positive-definite d×d matrix (row-major arrays), float64. */
function cholesky(a: number[][]): number[][] {
  const d = a.length;
  const l = a.map(() => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(s) : s / l[j]![j]!;
    }
  return l;
}

/** log N(z; μ, LLᵀ) in float64: −½‖L⁻¹(z − μ)‖² − Σ log Lᵢᵢ − (d/2) log 2π. */
function gaussianLogDensity(z: number[], mu: number[], l: number[][]): number {
  const d = z.length;
  const y = new Array<number>(d).fill(0);
  let quad = 0;
  let logDet = 0;
  for (let i = 0; i < d; i++) {
    let s = z[i]! - mu[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
    y[i] = s / l[i]![i]!;
    quad += y[i]! ** 2;
    logDet += Math.log(l[i]![i]!);
  }
  return -0.5 * quad - logDet - (d / 2) * Math.log(2 * Math.PI);
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const xm = x - 1;
  let a = c[0]!;
  const t = xm + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (xm + i);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

const softplus = (u: number): number => Math.log1p(Math.exp(u));

describe('log q(z|h) against independent references', () => {
  it('full covariance: the head places the free values below the diagonal; density = float64 closed form', () => {
    const d = 3;
    const m = latent({ posterior: 'fullCovariance' }, d);
    const head = m.head.module as FullCovarianceNormalHead;
    const h = features(4);
    const q = m.posterior(h);
    const z = q.sample([], { seed: 3 });
    const logQ = values(q.logProb(z));
    const mu = dense(head.locLayer, h);
    const diag = dense(head.diagLayer, h);
    const free = dense(head.lowerLayer!, h);
    const zs = values(z);
    for (let r = 0; r < 4; r++) {
      let next = 0;
      const l = Array.from({ length: d }, (_, i) =>
        Array.from({ length: d }, (_, j) =>
          j < i ? free[r * 3 + next++]! : j === i ? softplus(diag[r * d + i]!) + 1e-4 : 0,
        ),
      );
      const ref = gaussianLogDensity(zs.slice(r * d, r * d + d), mu.slice(r * d, r * d + d), l);
      expect(logQ[r]).toBeCloseTo(ref, 4);
    }
    tf.dispose([h, z]);
    q.dispose();
    m.dispose();
  });

  it('low rank: density of N(μ, WWᵀ + diag d) = float64 closed form through its own Cholesky', () => {
    const d = 4;
    const rank = 2;
    const m = latent({ posterior: { lowRank: { rank } } }, d);
    const head = m.head.module as LowRankNormalHead;
    const h = features(3);
    const q = m.posterior(h);
    const z = q.sample([], { seed: 4 });
    const logQ = values(q.logProb(z));
    const mu = dense(head.locLayer, h);
    const w = dense(head.factorLayer, h);
    const dg = dense(head.diagLayer, h);
    const zs = values(z);
    for (let r = 0; r < 3; r++) {
      const cov = Array.from({ length: d }, (_, i) =>
        Array.from({ length: d }, (_, j) => {
          let s = i === j ? softplus(dg[r * d + i]!) + 1e-4 : 0;
          for (let k = 0; k < rank; k++) s += w[r * d * rank + i * rank + k]! * w[r * d * rank + j * rank + k]!;
          return s;
        }),
      );
      const ref = gaussianLogDensity(zs.slice(r * d, r * d + d), mu.slice(r * d, r * d + d), cholesky(cov));
      expect(logQ[r]).toBeCloseTo(ref, 4);
    }
    tf.dispose([h, z]);
    q.dispose();
    m.dispose();
  });

  for (const kind of ['iaf', 'realnvp'] as const) {
    it(`flow (${kind}): log|det ∂f/∂ε| = the finite-difference Jacobian's; log q = log q₀(ε) − log|det| on both paths`, () => {
      const d = 3;
      const m = latent({ posterior: { flow: { kind, steps: 3, hiddenUnits: [12] } } }, d, 5);
      const head = m.head.module as FlowPosteriorHead;
      const h = features(1);
      const context = head.contextLayer?.apply(h);
      const eps0 = [0.3, -0.7, 1.1];
      const f = (e: number[]): number[] =>
        tf.tidy(() => values(head.flow.forward(tf.tensor2d([e], [1, d]), context).y));
      const logDet = tf.tidy(() => head.flow.forward(tf.tensor2d([eps0], [1, d]), context).logDet.dataSync()[0]!);
      // central differences, step 1e-2 (float32 forward passes)
      const step = 1e-2;
      const jac = Array.from({ length: d }, () => new Array<number>(d).fill(0));
      for (let j = 0; j < d; j++) {
        const plus = f(eps0.map((v, k) => (k === j ? v + step : v)));
        const minus = f(eps0.map((v, k) => (k === j ? v - step : v)));
        for (let i = 0; i < d; i++) jac[i]![j] = (plus[i]! - minus[i]!) / (2 * step);
      }
      // det by cofactors (3×3)
      const [a, b, c] = jac as [number[], number[], number[]];
      const det =
        a[0]! * (b[1]! * c[2]! - b[2]! * c[1]!) -
        a[1]! * (b[0]! * c[2]! - b[2]! * c[0]!) +
        a[2]! * (b[0]! * c[1]! - b[1]! * c[0]!);
      expect(logDet).toBeCloseTo(Math.log(Math.abs(det)), 3);

      // log q(z) at z = f(ε): base N(μ, σ) at ε minus log|det|, via a fresh tensor (inverse path) and via rsample's draw
      const q = m.posterior(h);
      const base = (q as unknown as { base: { logProb(x: tf.Tensor): tf.Tensor } }).base;
      const z = tf.tensor2d([f(eps0)], [1, d]);
      const expected = tf.tidy(() => base.logProb(tf.tensor2d([eps0], [1, d])).dataSync()[0]!) - logDet;
      expect(q.logProb(z).dataSync()[0]).toBeCloseTo(expected, 3);
      const draw = q.rsample([2], { seed: 8 });
      const remembered = values(q.logProb(draw));
      const inverted = values(q.logProb(tf.clone(draw))); // a new tensor: the inverse path
      for (let i = 0; i < 2; i++) expect(remembered[i]).toBeCloseTo(inverted[i]!, 3);
      tf.dispose([h, z, draw]);
      context?.dispose();
      q.dispose();
      m.dispose();
    });
  }

  it('relaxed one-hot: the Concrete density in float64 at the step-annealed temperature', () => {
    const k = 3;
    const schedule = { initial: 2, minimum: 0.5, rate: 0.1 };
    const m = latent({ posterior: { relaxedOneHot: { temperature: schedule } } }, k);
    const head = m.head.module as RelaxedOneHotHead;
    const h = features(3);
    for (const step of [0, 5, 100, undefined]) {
      const tau = step === undefined ? 0.5 : Math.max(0.5, 2 * Math.exp(-0.1 * step));
      const q = m.posterior(h, step);
      const x = q.sample([], { seed: 2 });
      const logQ = values(q.logProb(x));
      const logits = dense(head.layer, h);
      const xs = values(x);
      for (let r = 0; r < 3; r++) {
        const l = logits.slice(r * k, r * k + k);
        const v = xs.slice(r * k, r * k + k);
        const s = l.map((li, i) => li - tau * Math.log(v[i]!));
        const lse = Math.log(s.reduce((acc, si) => acc + Math.exp(si), 0));
        const ref =
          logGamma(k) +
          (k - 1) * Math.log(tau) +
          l.reduce((acc, li, i) => acc + li - (tau + 1) * Math.log(v[i]!), 0) -
          k * lse;
        expect(logQ[r]).toBeCloseTo(ref, 2);
      }
      x.dispose();
      q.dispose();
    }
    h.dispose();
    m.dispose();
  });

  it('poisson: Σ z log λ − λ − log z!, λ = exp(clip(hW + b, −6, 4)); the mean is λ', () => {
    const m = latent({ posterior: 'poisson' }, 3);
    const head = m.head.module as unknown as { layer: Dense };
    const h = features(4);
    const q = m.posterior(h);
    const z = q.sample([], { seed: 5 });
    const logQ = values(q.logProb(z));
    const raw = dense(head.layer, h);
    const zs = values(z);
    const mean = values(m.posteriorMean(h));
    for (let r = 0; r < 4; r++) {
      let ref = 0;
      for (let j = 0; j < 3; j++) {
        const logRate = Math.min(4, Math.max(-6, raw[r * 3 + j]!));
        ref += zs[r * 3 + j]! * logRate - Math.exp(logRate) - logGamma(zs[r * 3 + j]! + 1);
        expect(mean[r * 3 + j]).toBeCloseTo(Math.exp(logRate), 4);
      }
      expect(logQ[r]).toBeCloseTo(ref, 3);
    }
    tf.dispose([h, z]);
    q.dispose();
    m.dispose();
  });

  it('dirichlet: log Γ(α₀) − Σ log Γ(αᵢ) + Σ (αᵢ − 1) log zᵢ with α = softplus(hW + b) + 1e-4', () => {
    const k = 4;
    const m = latent({ posterior: 'dirichlet' }, k);
    const head = m.head.module as DirichletHead;
    const h = features(3);
    const q = m.posterior(h);
    const z = q.sample([], { seed: 6 });
    const logQ = values(q.logProb(z));
    const raw = dense(head.layer, h);
    const zs = values(z);
    for (let r = 0; r < 3; r++) {
      const alpha = raw.slice(r * k, r * k + k).map((u) => softplus(u) + 1e-4);
      const a0 = alpha.reduce((s, a) => s + a, 0);
      const ref =
        logGamma(a0) -
        alpha.reduce((s, a) => s + logGamma(a), 0) +
        alpha.reduce((s, a, i) => s + (a - 1) * Math.log(zs[r * k + i]!), 0);
      expect(logQ[r]).toBeCloseTo(ref, 2);
    }
    tf.dispose([h, z]);
    q.dispose();
    m.dispose();
  });

  for (const posterior of ['dirichlet', 'logisticNormal', 'relaxedOneHot'] as const) {
    it(`${posterior}: q(z|h) integrates to 1 over the 3-simplex (midpoint rule on a 300×300 grid)`, () => {
      const config: LatentConfig =
        posterior === 'relaxedOneHot' ? { posterior: { relaxedOneHot: { temperature: 1.5 } } } : { posterior };
      const m = latent(config, 3, 11);
      const h = tf.tensor2d([[0.2, -0.1, 0.05, 0.1, -0.2]]);
      const q = m.posterior(h);
      const g = 300;
      const points: number[] = [];
      for (let i = 0; i < g; i++)
        for (let j = 0; j < g - i; j++) {
          const x1 = (i + 1 / 3) / g;
          const x2 = (j + 1 / 3) / g;
          if (x1 + x2 < 1) points.push(x1, x2, 1 - x1 - x2);
        }
      const n = points.length / 3;
      const density = tf.tidy(() => {
        const x = tf.tensor3d(points, [n, 1, 3]);
        return tf.sum(tf.exp(q.logProb(x))).dataSync()[0]!;
      });
      // one point per grid square inside the triangle, each standing for the square's area 1/g²
      const integral = density / (g * g);
      expect(integral).toBeGreaterThan(0.97);
      expect(integral).toBeLessThan(1.03);
      h.dispose();
      q.dispose();
      m.dispose();
    });
  }
});

describe('KL: analytic where a pair is registered', () => {
  for (const posterior of ['fullCovariance', { lowRank: { rank: 2 } }] as const) {
    it(`${JSON.stringify(posterior)} against N(0, I): ½(tr Σ + μᵀμ − d − log det Σ) in float64`, () => {
      const d = 3;
      const m = latent({ posterior }, d);
      const h = features(2);
      const q = m.posterior(h);
      const p = m.prior();
      const kl = values(klDivergence(q, p));
      const mu = values(q.mean());
      const cov = tf.tidy(() =>
        (q as unknown as { covarianceMatrixParameter(): tf.Tensor }).covarianceMatrixParameter(),
      );
      const c = values(cov);
      for (let r = 0; r < 2; r++) {
        const s = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => c[r * d * d + i * d + j]!));
        const l = cholesky(s);
        let trace = 0;
        let logDet = 0;
        let mm = 0;
        for (let i = 0; i < d; i++) {
          trace += s[i]![i]!;
          logDet += 2 * Math.log(l[i]![i]!);
          mm += mu[r * d + i]! ** 2;
        }
        expect(kl[r]).toBeCloseTo(0.5 * (trace + mm - d - logDet), 4);
      }
      tf.dispose([h, cov]);
      q.dispose();
      p.dispose();
      m.dispose();
    });
  }
});
