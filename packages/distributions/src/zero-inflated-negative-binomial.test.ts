import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectFixture, expectMoments, fixtures } from '../test/helpers.js';
import { ZeroInflatedNegativeBinomial } from './zero-inflated-negative-binomial.js';

describe('ZeroInflatedNegativeBinomial', () => {
  it('logProb, mean and variance match SciPy nbinom mixed with a point mass at 0 (scVI ZINB)', () => {
    tf.tidy(() => {
      const c = fixtures.zeroInflatedNegativeBinomial;
      const d = new ZeroInflatedNegativeBinomial({
        mean: c.map((v) => v.mean),
        dispersion: c.map((v) => v.dispersion),
        gate: c.map((v) => v.gate),
      });
      expectFixture(d, c, { logProb: [1e-5, 1e-5], mean: { field: 'meanValue' }, variance: true });
    });
  });
  it('is differentiable in mean, dispersion and gate logits (finite gradients)', () => {
    tf.tidy(() => {
      const grads = tf.grads((m: tf.Tensor, t: tf.Tensor, g: tf.Tensor) =>
        tf.sum(
          new ZeroInflatedNegativeBinomial({ mean: m, dispersion: t, gateLogits: g }, { validateArgs: false }).logProb([
            0, 3, 5000,
          ]),
        ),
      )([tf.tensor([2, 3, 4000]), tf.tensor([1, 0.5, 20]), tf.tensor([-1, 0, 2])]);
      for (const g of grads) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    });
  });
  it('samples match the moments', () => {
    tf.tidy(() => {
      const d = new ZeroInflatedNegativeBinomial({ mean: [3, 40], dispersion: [2, 5], gate: [0.3, 0.6] });
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
    expect(() => new ZeroInflatedNegativeBinomial({ mean: 1, dispersion: 0, gate: 0.1 })).toThrowError(
      /"dispersion" must be finite and > 0, got 0/,
    );
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new ZeroInflatedNegativeBinomial({ mean: [1, 10], dispersion: 2, gateLogits: -1 }),
      ['mean', 'variance', 'stddev'],
    );
  });
});
