import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, torch, type Value } from '../test/torch.js';
import { Bernoulli } from './bernoulli.js';
import { Beta } from './beta.js';
import { Binomial } from './binomial.js';
import * as D from './bijectors/elementwise.js';
import { Cauchy } from './cauchy.js';
import { ContinuousBernoulli } from './continuous-bernoulli.js';
import type { Distribution } from './distribution.js';
import { Exponential } from './exponential.js';
import { Gamma } from './gamma.js';
import { Geometric } from './geometric.js';
import { Gumbel } from './gumbel.js';
import { HalfNormal } from './half-normal.js';
import { klDivergence } from './kl.js';
import { Laplace } from './laplace.js';
import { LogNormal } from './log-normal.js';
import { LowRankMultivariateNormal } from './low-rank-multivariate-normal.js';
import { MultivariateNormal } from './multivariate-normal.js';
import { Normal } from './normal.js';
import { Pareto } from './pareto.js';
import { Poisson } from './poisson.js';
import { TransformedDistribution } from './transformed-distribution.js';
import { Uniform } from './uniform.js';

type Ctor = new (params: never) => Distribution;
const families: Record<string, Ctor> = {
  Uniform,
  Normal,
  Gumbel,
  Exponential,
  Gamma,
  Beta,
  Pareto,
  Geometric,
  Binomial,
  HalfNormal,
  ContinuousBernoulli,
  LogNormal,
  Laplace,
  Bernoulli,
  Poisson,
  Cauchy,
};

/** torch's parameter names → varia's. */
const rename = (params: Record<string, Value>): Record<string, Value> => {
  const out: Record<string, Value> = {};
  for (const [k, v] of Object.entries(params)) out[k === 'total_count' ? 'totalCount' : k] = v;
  return out;
};

const mvnCov = [
  [2, 0.3, -0.4],
  [0.3, 1, 0.2],
  [-0.4, 0.2, 0.5],
];
const mvnQCov = [
  [1, 0.2, 0],
  [0.2, 2, 0.5],
  [0, 0.5, 1],
];
const gaussians = {
  MultivariateNormal: () => new MultivariateNormal({ loc: [1, -1, 0.5], covarianceMatrix: mvnCov }),
  LowRankMultivariateNormal: () =>
    new LowRankMultivariateNormal({
      loc: [1, -1, 0.5],
      covFactor: [
        [1, 0.5],
        [-0.3, 0.8],
        [0.2, -1],
      ],
      covDiag: [0.5, 1, 0.3],
    }),
  MultivariateNormalQ: () => new MultivariateNormal({ loc: [0, 0.5, -0.5], covarianceMatrix: mvnQCov }),
  LowRankMultivariateNormalQ: () =>
    new LowRankMultivariateNormal({
      loc: [0, 0.5, -0.5],
      covFactor: [
        [0.3, 0.1],
        [0, -0.4],
        [0.5, 0.2],
      ],
      covDiag: [1, 0.7, 1.2],
    }),
};

describe('KL pairs of the transform-era families (against torch.distributions.kl_divergence)', () => {
  const univariate = torch.kl.filter((e) => e.p !== undefined);
  it.each(univariate.map((e) => [e.pair, e] as const))('%s', (pair, e) => {
    const [pn, qn] = pair.replace(/\(.*\)$/, '').split('|') as [string, string];
    const before = tf.memory().numTensors;
    const p = new families[pn]!(rename(e.p!) as never);
    const q = new families[qn]!(rename(e.q!) as never);
    const kl = klDivergence(p, q);
    expectAllClose(kl, e.kl, 2e-5, 2e-5, pair);
    kl.dispose();
    p.dispose();
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  it.each(torch.kl.filter((e) => e.p === undefined).map((e) => [e.pair, e] as const))('%s', (pair, e) => {
    const [pn, qn] = pair.split('|') as [keyof typeof gaussians, string];
    const before = tf.memory().numTensors;
    const p = gaussians[pn]();
    const q = gaussians[`${qn}Q` as keyof typeof gaussians]();
    const kl = klDivergence(p, q);
    expectAllClose(kl, e.kl, 1e-4, 1e-5, pair);
    kl.dispose();
    p.dispose();
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  it('KL(p ‖ p) = 0 for the Gaussians; gradients stay finite where a KL is +∞', () => {
    tf.tidy(() => {
      const p = gaussians.MultivariateNormal();
      expectAllClose(klDivergence(p, p), 0, 0, 1e-5);
      const g = tf.grad((a: tf.Tensor) => {
        const kl = klDivergence(new Pareto({ scale: 1, alpha: a }), new Normal({ loc: 0, scale: 1 }));
        return tf.sum(tf.minimum(kl, 1e6));
      })(tf.tensor1d([1.5, 3]));
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    });
  });
  it('TransformedDistribution pairs with the same bijector reduce to the base pair (LogNormal as exp of a Normal)', () => {
    tf.tidy(() => {
      const exp = new D.Exp();
      const p = new TransformedDistribution(new Normal({ loc: [0, 1], scale: [1, 0.5] }), exp.retain());
      const q = new TransformedDistribution(new Normal({ loc: [0.5, -1], scale: [1.5, 2] }), exp);
      const want = torch.kl.find((e) => e.pair === 'LogNormal|LogNormal')!.kl;
      expectAllClose(klDivergence(p, q), want, 2e-5, 2e-5);
      const other = new TransformedDistribution(new Normal({ loc: 0, scale: 1 }), new D.Exp());
      expectAllClose(klDivergence(other, other), 0, 0, 1e-6);
    });
  });
  it('a pair that declines its arguments falls back to the requested Monte-Carlo estimate (flows with different bijectors)', () => {
    tf.tidy(() => {
      const p = new TransformedDistribution(new Normal({ loc: 0, scale: 1 }), new D.Affine({ shift: 1, scale: 2 }));
      const q = new TransformedDistribution(new Normal({ loc: 0, scale: 1 }), new D.Affine({ shift: 0, scale: 1 }));
      expect(() => klDivergence(p, q)).toThrowError(/needs the same bijector/);
      // p = N(1, 4), q = N(0, 1): KL = log(1/2) + (4 + 1)/2 − ½ = 2 − log 2
      expectAllClose(klDivergence(p, q, { monteCarlo: 40000, seed: 3 }), 2 - Math.LN2, 0, 0.05);
    });
  });
  it('Binomial with fewer trials in p than in q has no closed form: a typed error', () => {
    const p = new Binomial({ totalCount: 3, probs: 0.5 });
    const q = new Binomial({ totalCount: 5, probs: 0.5 });
    expect(() => klDivergence(p, q)).toThrowError(/p.totalCount < q.totalCount/);
    p.dispose();
    q.dispose();
  });
});
