import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectFixture, expectMoments, fixtures } from '../test/helpers.js';
import { ZeroInflatedPoisson } from './zero-inflated-poisson.js';

describe('ZeroInflatedPoisson', () => {
  it('logProb, mean and variance match SciPy poisson mixed with a point mass at 0', () => {
    tf.tidy(() => {
      const c = fixtures.zeroInflatedPoisson;
      const d = new ZeroInflatedPoisson({ rate: c.map((v) => v.rate), gate: c.map((v) => v.gate) });
      expectFixture(d, c, { logProb: [1e-5, 1e-5], mean: true, variance: true });
      const g = new ZeroInflatedPoisson({ rate: 3, gateLogits: [-100, 100] });
      expectClose(g.logProb(0), [-3, 0], 1e-6, 1e-6);
    });
  });
  it('samples match the moments', () => {
    tf.tidy(() => {
      const d = new ZeroInflatedPoisson({ rate: [3, 50], gate: [0.3, 0.8] });
      expectMoments(
        d.sample([20000], { seed: 5 }),
        Array.from(d.mean().dataSync()),
        Array.from(d.variance().dataSync()),
        5,
        false,
      );
    });
  });
  it('rejects bad input', () => {
    expect(() => new ZeroInflatedPoisson({ rate: 1, gate: 1.5 })).toThrowError(
      /ZeroInflatedPoisson: "gate" must be finite and in \[0, 1\], got 1.5/,
    );
    expect(() => new ZeroInflatedPoisson({ rate: 1 } as never)).toThrowError(
      /exactly one of \{ rate, gate \} or \{ rate, gateLogits \}/,
    );
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new ZeroInflatedPoisson({ rate: [1, 10], gateLogits: 0 }), ['mean', 'variance', 'stddev']);
  });
});
