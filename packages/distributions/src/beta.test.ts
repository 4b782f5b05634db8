import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectFixture, expectMoments, fixtures } from '../test/helpers.js';
import { Beta } from './beta.js';

describe('Beta', () => {
  it('logProb, entropy, mean and variance match SciPy beta', () => {
    tf.tidy(() => {
      const c = fixtures.beta;
      const d = new Beta({
        concentration1: c.map((v) => v.concentration1),
        concentration0: c.map((v) => v.concentration0),
      });
      expectFixture(d, c, { logProb: [1e-5, 2e-5], entropy: [1e-5, 2e-5], mean: true, variance: true });
    });
  });
  it('samples match the moments and stay inside (0, 1) for tiny concentrations', () => {
    tf.tidy(() => {
      const d = new Beta({ concentration1: [0.5, 2, 30], concentration0: [0.5, 5, 10] });
      const mean = Array.from(d.mean().dataSync());
      expectMoments(d.sample([20000], { seed: 2 }), mean, Array.from(d.variance().dataSync()));
      const x = new Beta({ concentration1: 1e-3, concentration0: 1e-3 }).sample([500], { seed: 3 });
      expect(tf.min(x).dataSync()[0]!).toBeGreaterThan(0);
      expect(tf.max(x).dataSync()[0]!).toBeLessThan(1);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Beta({ concentration1: 0, concentration0: 1 })).toThrowError(
      /Beta: "concentration1" must be finite and > 0, got 0/,
    );
    const d = new Beta({ concentration1: 2, concentration0: 2 });
    expect(() => d.logProb(1)).toThrowError(/"value" must be finite and in \(0, 1\), got 1/);
    d.dispose();
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Beta({ concentration1: [2, 3], concentration0: 4 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
