import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectFixture, expectMoments, fixtures } from '../test/helpers.js';
import { Laplace } from './laplace.js';

describe('Laplace', () => {
  it('logProb, cdf, entropy, mean and variance match SciPy', () => {
    tf.tidy(() => {
      const c = fixtures.laplace;
      const d = new Laplace({ loc: c.map((v) => v.loc), scale: c.map((v) => v.scale) });
      expectFixture(d, c, { logProb: true, cdf: [1e-5, 1e-6], entropy: true, mean: true, variance: true });
    });
  });
  it('samples match 2b²; rsample gradient d/db E|X − μ| = 1', () => {
    tf.tidy(() => {
      const d = new Laplace({ loc: [1, -2], scale: [0.5, 2] });
      expectMoments(d.sample([20000], { seed: 3 }), [1, -2], [0.5, 8]);
      const g = tf.grad((b: tf.Tensor) =>
        tf.mean(tf.abs(tf.sub(new Laplace({ loc: 0, scale: b }).rsample([20000], { seed: 5 }), 0))),
      )(tf.scalar(1.5));
      expectClose(g, 1, 0, 0.03);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Laplace({ loc: [0, NaN], scale: 1 })).toThrowError(
      /Laplace: "loc" must be a finite real number, got NaN at index \[1\]/,
    );
    expect(() => new Laplace({ loc: 0, scale: -2 })).toThrowError(/"scale"/);
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Laplace({ loc: [0, 1], scale: 2 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
