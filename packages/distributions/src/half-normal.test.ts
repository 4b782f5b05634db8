import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectNoLeak } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { HalfCauchy, HalfNormal, type HalfScaleParams } from './half-normal.js';

/** erf in float64 (Abramowitz–Stegun 7.1.26 is too coarse; this is the complementary series of W. J. Cody's form). */
function erf(x: number): number {
  // series for |x| < 3, which is all the test needs (relative error < 1e-12)
  let sum = x;
  let term = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

describe('HalfNormal', () => {
  it('matches torch: logProb, cdf, icdf, mean, variance, mode, entropy', () => {
    expectMatchesTorch(torch.halfNormal!, (p) => new HalfNormal(p as unknown as HalfScaleParams), {
      tolerances: { icdf: [2e-5, 1e-6] },
    });
  });
  it('samples pass a KS test; rsample gradient ∂E[X]/∂σ = √(2/π)', () => {
    const d = new HalfNormal({ scale: 1.5 });
    const x = d.sample([4000], { seed: 4 });
    expectKS(x.dataSync(), (v) => (v <= 0 ? 0 : erf(v / (1.5 * Math.SQRT2))));
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const g = tf.grad((s: tf.Tensor) => tf.mean(new HalfNormal({ scale: s }).rsample([20000], { seed: 6 })))(
        tf.scalar(1),
      );
      expectClose(g, Math.sqrt(2 / Math.PI), 0.02, 0);
    });
  });
  it('rejects bad input; −∞ below 0 without validation', () => {
    expect(() => new HalfNormal({ scale: 0 })).toThrowError(/HalfNormal: "scale" must be finite and > 0, got 0/);
    tf.tidy(() => {
      expect(new HalfNormal({ scale: 1 }, { validateArgs: false }).logProb(-1).dataSync()[0]).toBe(-Infinity);
    });
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new HalfNormal({ scale: [0.5, 3] }), ['mean', 'mode', 'variance', 'stddev', 'entropy'], true);
    const d = new HalfNormal({ scale: [0.5, 3] });
    expectNoLeak(() => d.icdf(0.3));
    d.dispose();
  });
});

describe('HalfCauchy', () => {
  it('matches torch: logProb, cdf, icdf, mean (∞), variance (∞), mode, entropy', () => {
    expectMatchesTorch(torch.halfCauchy!, (p) => new HalfCauchy(p as unknown as HalfScaleParams), {
      tolerances: { icdf: [1e-4, 1e-6] },
    });
  });
  it('samples pass a KS test', () => {
    const d = new HalfCauchy({ scale: 2.5 });
    const x = d.sample([4000], { seed: 8 });
    expectKS(x.dataSync(), (v) => (v <= 0 ? 0 : (2 / Math.PI) * Math.atan(v / 2.5)));
    x.dispose();
    d.dispose();
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new HalfCauchy({ scale: [0.5, 3] }), ['mean', 'mode', 'variance', 'entropy'], true);
  });
});
