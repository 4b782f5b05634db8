import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract } from '../test/helpers.js';
import { Deterministic } from './deterministic.js';

describe('Deterministic', () => {
  it('logProb is 0 at loc (within atol) and −∞ elsewhere; cdf is a step', () => {
    tf.tidy(() => {
      const d = new Deterministic({ loc: [1, 2] });
      expect(Array.from(d.logProb([1, 2.001]).dataSync())).toEqual([0, -Infinity]);
      const loose = new Deterministic({ loc: [1, 2] }, { atol: 0.01 });
      expect(Array.from(loose.logProb([1.005, 2.02]).dataSync())).toEqual([0, -Infinity]);
      expectClose(d.cdf([0.5, 2]), [0, 1], 0, 0);
      expectClose(d.variance(), [0, 0], 0, 0);
      expectClose(d.entropy(), [0, 0], 0, 0);
    });
  });
  it('rsample returns loc with gradient 1', () => {
    tf.tidy(() => {
      const g = tf.grad((l: tf.Tensor) => tf.sum(new Deterministic({ loc: l }).rsample([3])))(tf.tensor([1, 2]));
      expectClose(g, [3, 3], 0, 0);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Deterministic({ loc: NaN })).toThrowError(
      /Deterministic: "loc" must be a finite real number, got NaN/,
    );
    expect(() => new Deterministic({ loc: 0 }, { atol: -1 })).toThrowError(/"atol"/);
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new Deterministic({ loc: [1, 2] }), ['mean', 'mode', 'variance', 'stddev', 'entropy'], true);
  });
});
