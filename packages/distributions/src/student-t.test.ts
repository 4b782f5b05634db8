import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectFixture, fixtures, moments } from '../test/helpers.js';
import { StudentT } from './student-t.js';

describe('StudentT', () => {
  it('logProb, entropy, mean and variance match SciPy t', () => {
    tf.tidy(() => {
      const c = fixtures.studentT;
      const d = new StudentT({ df: c.map((v) => v.df), loc: c.map((v) => v.loc), scale: c.map((v) => v.scale) });
      expectFixture(d, c, { logProb: true, entropy: [2e-5, 1e-5] });
      const mean = d.mean().dataSync();
      const variance = d.variance().dataSync();
      c.forEach((v, i) => {
        if (v.mean === null) expect(mean[i]).toBeNaN();
        else expectClose(mean[i]!, v.mean);
        if (v.variance !== null) expectClose(variance[i]!, v.variance);
      });
    });
  });
  it('variance is +∞ for 1 < ν ≤ 2; samples have mean μ and variance σ²ν/(ν − 2)', () => {
    tf.tidy(() => {
      expect(new StudentT({ df: 1.5, loc: 0, scale: 1 }).variance().dataSync()[0]).toBe(Infinity);
      const d = new StudentT({ df: 8, loc: 2, scale: 0.5 });
      const m = moments(d.rsample([20000], { seed: 6 }));
      const v = (0.25 * 8) / 6;
      expect(Math.abs(m.mean[0]! - 2)).toBeLessThan(5 * Math.sqrt(v / 20000));
      expect(Math.abs(m.variance[0]! - v)).toBeLessThan(0.1 * v);
    });
  });
  it('rsample is differentiable in loc and scale: d/dσ E|X − μ| = E|T_ν|', () => {
    tf.tidy(() => {
      const g = tf.grad((s: tf.Tensor) =>
        tf.mean(
          tf.abs(new StudentT({ df: 5, loc: 0, scale: s }, { validateArgs: false }).rsample([20000], { seed: 8 })),
        ),
      )(tf.scalar(2));
      // E|T₅| = 2√5 Γ(3)/(√π Γ(2.5)·4) = 0.9490
      expectClose(g, 0.949, 0, 0.03);
    });
  });
  it('rejects bad input', () => {
    expect(() => new StudentT({ df: 0, loc: 0, scale: 1 })).toThrowError(
      /StudentT: "df" must be finite and > 0, got 0/,
    );
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new StudentT({ df: [3, 10], loc: 0, scale: 1 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
