import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectFixture, expectMoments, fixtures } from '../test/helpers.js';
import { Gamma } from './gamma.js';

describe('Gamma', () => {
  it('logProb, entropy, mean and variance match SciPy gamma', () => {
    tf.tidy(() => {
      const c = fixtures.gamma;
      const d = new Gamma({ concentration: c.map((v) => v.concentration), rate: c.map((v) => v.rate) });
      // α = 1e3: α log β and log Γ(α) are O(6e3) and cancel to O(1): float32 leaves ~1e-4 absolute there.
      expectFixture(d, c, { logProb: [1e-5, 5e-4], entropy: [1e-5, 5e-4], mean: true, variance: true });
    });
  });
  it('samples match α/β and α/β², including tiny α (no underflow to 0)', () => {
    tf.tidy(() => {
      const d = new Gamma({ concentration: [0.5, 3, 200], rate: [2, 0.5, 10] });
      expectMoments(d.sample([20000], { seed: 7 }), [0.25, 6, 20], [0.125, 12, 2]);
      const tiny = new Gamma({ concentration: 1e-3, rate: 1 }).sample([1000], { seed: 1 });
      expect(tf.min(tiny).dataSync()[0]!).toBeGreaterThan(0);
    });
  });
  it('rejects bad input (rsample: see implicit-reparam.test.ts)', () => {
    const d = new Gamma({ concentration: 1, rate: 1 });
    expect(d.hasRsample).toBe(true);
    expect(() => d.logProb(0)).toThrowError(/"value" must be finite and > 0, got 0/);
    d.dispose();
    expect(() => new Gamma({ concentration: [1, -1], rate: 1 })).toThrowError(
      /Gamma: "concentration" must be finite and > 0, got -1 at index \[1\]/,
    );
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Gamma({ concentration: [0.5, 2], rate: 3 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
