import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ArgumentError, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import {
  Bernoulli,
  Beta,
  Binomial,
  Cauchy,
  Chi2,
  ContinuousBernoulli,
  Dirichlet,
  type Distribution,
  Exponential,
  FisherSnedecor,
  Gamma,
  Geometric,
  Gumbel,
  HalfNormal,
  Kumaraswamy,
  Laplace,
  LogNormal,
  MAX_SAMPLE_VALUES,
  Multinomial,
  MultivariateNormal,
  NegativeBinomial,
  Normal,
  Pareto,
  Poisson,
  StudentT,
  Uniform,
  Weibull,
  ZeroInflatedNegativeBinomial,
  ZeroInflatedPoisson,
} from './index.js';

/** Runs `f`, expects it to throw `type` naming `argument`, and checks no tensor leaked (also on the error path). */
function expectThrows(f: () => unknown, type: typeof ArgumentError | typeof ShapeError, argument: string): Error {
  const before = tf.memory().numTensors;
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(type);
  expect((error as ArgumentError).argument).toBe(argument);
  expect(tf.memory().numTensors).toBe(before);
  return error as Error;
}

describe('logProb: the value’s trailing event dims must equal eventShape exactly', () => {
  it('a length-1 event axis is not broadcast (Dirichlet, Multinomial, MultivariateNormal)', () => {
    const cases: [Distribution, number[], number[]][] = [
      [new Dirichlet({ concentration: [1, 2] }), [1], [0.25, 0.75]],
      [new Multinomial({ totalCount: 5, probs: [0.3, 0.7] }), [5], [2, 3]],
      [
        new MultivariateNormal({
          loc: [0, 0],
          covarianceMatrix: [
            [1, 0],
            [0, 1],
          ],
        }),
        [0],
        [0, 0],
      ],
    ];
    for (const [d, bad, good] of cases) {
      const e = expectThrows(() => d.logProb(bad), ShapeError, 'value');
      expect(e.message).toContain('[2]'); // the event shape
      expect(e.message).toContain('[1]'); // the value's shape
      const lp = d.logProb(good); // the exact event shape still works
      expect(Number.isFinite(lp.dataSync()[0])).toBe(true);
      lp.dispose();
      d.dispose();
    }
  });

  it('batch dims still broadcast against an exact event', () => {
    const d = new Dirichlet({
      concentration: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    });
    const lp = d.logProb([0.5, 0.5]);
    expect(lp.shape).toEqual([3]);
    // Dirichlet(α) at (½, ½): log Γ(α₁+α₂) − log Γ(α₁) − log Γ(α₂) − (α₁+α₂−2) log 2; for α = (1, 2): log 2 − log 2 = 0.
    expect(lp.dataSync()[0]).toBeCloseTo(Math.log(2) - Math.log(2), 5);
    lp.dispose();
    d.dispose();
  });
});

/** One instance of every family with a closed-form cdf, scalar events. */
function cdfFamilies(): Distribution[] {
  return [
    new Bernoulli({ probs: 0.3 }),
    new Binomial({ totalCount: 5, probs: 0.3 }),
    new Poisson({ rate: 1 }),
    new NegativeBinomial({ totalCount: 5, logits: -0.5 }),
    new ZeroInflatedPoisson({ rate: 1, gate: 0.2 }),
    new ZeroInflatedNegativeBinomial({ mean: 2, dispersion: 3, gate: 0.2 }),
    new Geometric({ probs: 0.3 }),
    new Normal({ loc: 0, scale: 1 }),
    new LogNormal({ loc: 0, scale: 1 }),
    new Cauchy({ loc: 0, scale: 1 }),
    new Laplace({ loc: 0, scale: 1 }),
    new Gumbel({ loc: 0, scale: 1 }),
    new HalfNormal({ scale: 1 }),
    new Exponential({ rate: 2 }),
    new Gamma({ concentration: 2, rate: 1 }),
    new Chi2({ df: 3 }),
    new Beta({ concentration1: 2, concentration0: 3 }),
    new Kumaraswamy({ concentration1: 2, concentration0: 3 }),
    new ContinuousBernoulli({ probs: 0.3 }),
    new Uniform({ low: 0, high: 1 }),
    new Pareto({ scale: 1, alpha: 2 }),
    new Weibull({ scale: 1, concentration: 2 }),
    new StudentT({ df: 3, loc: 0, scale: 1 }),
    new FisherSnedecor({ df1: 3, df2: 5 }),
  ];
}

describe('cdf at NaN and ±∞, every family', () => {
  it('−∞ gives exactly 0 and +∞ exactly 1', () => {
    for (const d of cdfFamilies()) {
      const c = d.cdf([-Infinity, Infinity]);
      expect([d.constructor.name, ...c.dataSync()]).toEqual([d.constructor.name, 0, 1]);
      c.dispose();
      d.dispose();
    }
  });

  it('NaN is an ArgumentError naming value with validateArgs (as logProb), NaN without', () => {
    for (const d of cdfFamilies()) {
      const e = expectThrows(() => d.cdf([0.5, Number.NaN]), ArgumentError, 'value');
      expect(e.message).toContain('index [1]');
      expectThrows(() => d.logProb(Number.NaN), ArgumentError, 'value');
      d.dispose();
    }
    for (const d of [
      new Bernoulli({ probs: 0.3 }, { validateArgs: false }),
      new Binomial({ totalCount: 5, probs: 0.3 }, { validateArgs: false }),
    ]) {
      const c = d.cdf(Number.NaN);
      expect(c.dataSync()[0]).toBeNaN();
      c.dispose();
      d.dispose();
    }
  });
});

describe('sample size cap', () => {
  it('refuses more than MAX_SAMPLE_VALUES values before allocating, naming sampleShape', () => {
    expect(MAX_SAMPLE_VALUES).toBe(2 ** 28);
    const d = new Normal({ loc: 0, scale: 1 });
    const e = expectThrows(() => d.sample([1e6, 1e6]), ArgumentError, 'sampleShape');
    expect(e.message).toContain('2^28');
    expectThrows(() => d.rsample([2 ** 14, 2 ** 14 + 1]), ArgumentError, 'sampleShape');
    const batched = new Normal({ loc: [0, 0, 0, 0], scale: 1 });
    expectThrows(() => batched.sample([2 ** 26 + 1]), ArgumentError, 'sampleShape'); // × batch 4 > 2²⁸
    d.dispose();
    batched.dispose();
  });
});
