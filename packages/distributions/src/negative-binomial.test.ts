import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectFixture, expectMoments, fixtures } from '../test/helpers.js';
import { NegativeBinomial } from './negative-binomial.js';

describe('NegativeBinomial', () => {
  it('logProb matches SciPy nbinom (torch convention), counts to 1e6, logits ±100', () => {
    tf.tidy(() => {
      const c = fixtures.negativeBinomial;
      const d = new NegativeBinomial({ totalCount: c.map((v) => v.totalCount), logits: c.map((v) => v.logits) });
      expectFixture(d, c, { logProb: [1e-5, 1e-5] });
      const withMoments = c.filter((v) => v.mean !== null && v.mean > 1e-30);
      const m = new NegativeBinomial({
        totalCount: withMoments.map((v) => v.totalCount),
        logits: withMoments.map((v) => v.logits),
      });
      expectFixture(m, withMoments, { mean: [1e-5, 1e-6], variance: [1e-5, 1e-6] });
    });
  });
  it('fromMeanDispersion matches SciPy (scVI: var = μ + μ²/θ)', () => {
    tf.tidy(() => {
      const c = fixtures.negativeBinomialMeanDispersion;
      const d = NegativeBinomial.fromMeanDispersion({
        mean: c.map((v) => v.mean),
        dispersion: c.map((v) => v.dispersion),
      });
      expectFixture(d, c, { logProb: [1e-5, 1e-5], mean: [1e-6, 0], variance: [1e-5, 0] });
    });
  });
  it('gradients of logProb w.r.t. mean and dispersion match central finite differences (float64 formula)', () => {
    tf.tidy(() => {
      const mu = 7.5,
        theta = 2.5,
        x = 4;
      const [gMu, gTheta] = tf.grads((m: tf.Tensor, t: tf.Tensor) =>
        NegativeBinomial.fromMeanDispersion({ mean: m, dispersion: t }, { validateArgs: false }).logProb(x),
      )([tf.scalar(mu), tf.scalar(theta)]);
      // d/dμ = x/μ − (x + θ)/(θ + μ);  d/dθ = log θ + 1 − log(θ+μ) − (x+θ)/(θ+μ) + ψ(x+θ) − ψ(θ), ψ(x+θ) − ψ(θ) = Σ_{j<x} 1/(θ+j)
      const dMu = x / mu - (x + theta) / (theta + mu);
      let harmonic = 0;
      for (let j = 0; j < x; j++) harmonic += 1 / (theta + j);
      const dTheta = Math.log(theta) + 1 - Math.log(theta + mu) - (x + theta) / (theta + mu) + harmonic;
      expectClose(gMu!, dMu, 1e-4, 1e-5);
      expectClose(gTheta!, dTheta, 1e-3, 1e-4);
    });
  });
  it('samples (Poisson–Gamma) have mean μ and variance μ + μ²/r, for tiny and huge means', () => {
    tf.tidy(() => {
      const mean = [0.05, 3, 500];
      const r = [0.5, 2, 10];
      const d = NegativeBinomial.fromMeanDispersion({ mean, dispersion: r });
      const x = d.sample([20000], { seed: 9 });
      expectMoments(
        x,
        mean,
        mean.map((m, i) => m + (m * m) / r[i]!),
        5,
        false,
      );
      expect(Array.from(x.dataSync()).every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
    });
  });
  it('rejects bad input with typed errors naming the argument; −∞ outside the support without validation', () => {
    expect(() => new NegativeBinomial({ totalCount: -1, logits: 0 })).toThrowError(
      /NegativeBinomial: "totalCount" must be finite and > 0, got -1/,
    );
    expect(() => NegativeBinomial.fromMeanDispersion({ mean: [1, 0], dispersion: 1 })).toThrowError(
      /"mean" must be finite and > 0, got 0 at index \[1\]/,
    );
    expect(() => new NegativeBinomial({ totalCount: 1, mean: 1 } as never)).toThrowError(ArgumentError);
    const d = new NegativeBinomial({ totalCount: 2, logits: 0 });
    expect(() => d.logProb(2.5)).toThrowError(/"value" must be finite and a non-negative integer, got 2.5/);
    d.dispose();
    tf.tidy(() => {
      const lax = new NegativeBinomial({ totalCount: 2, logits: 0 }, { validateArgs: false });
      expect(Array.from(lax.logProb([-1, 0.5]).dataSync())).toEqual([-Infinity, -Infinity]);
    });
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => NegativeBinomial.fromMeanDispersion({ mean: [[1, 20]], dispersion: [3, 0.5] }),
      ['mean', 'mode', 'variance', 'stddev'],
    );
    expectContract(() => new NegativeBinomial({ totalCount: [2, 3], logits: 0.5 }), ['mean', 'variance']);
  });
});
