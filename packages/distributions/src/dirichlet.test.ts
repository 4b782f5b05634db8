import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectMoments, fixtures } from '../test/helpers.js';
import { Dirichlet } from './dirichlet.js';

describe('Dirichlet', () => {
  it('logProb, entropy, mean and variance match SciPy dirichlet', () => {
    for (const c of fixtures.dirichlet) {
      tf.tidy(() => {
        const d = new Dirichlet({ concentration: c.concentration });
        expect(d.eventShape).toEqual([c.concentration.length]);
        expectClose(d.logProb(c.x), c.logProb, 1e-5, 2e-5);
        expectClose(d.entropy(), c.entropy, 1e-5, 2e-5);
        expectClose(d.mean(), c.mean);
        expectClose(d.variance(), c.variance);
        d.dispose();
      });
    }
  });
  it('samples lie on the simplex and match the moments', () => {
    tf.tidy(() => {
      const d = new Dirichlet({ concentration: [0.5, 2, 5] });
      const x = d.sample([20000], { seed: 4 });
      expectClose(tf.slice(tf.sum(x, -1), [0], [5]), [1, 1, 1, 1, 1], 1e-5, 1e-5);
      expectMoments(x, Array.from(d.mean().dataSync()), Array.from(d.variance().dataSync()));
    });
  });
  it('rejects bad input', () => {
    expect(
      () =>
        new Dirichlet({
          concentration: [
            [1, 2],
            [1, -1],
          ],
        }),
    ).toThrowError(/Dirichlet: "concentration" must be finite and > 0, got \[1, -1\] at index \[1\]/);
    const d = new Dirichlet({ concentration: [1, 1] });
    expect(() => d.logProb([0.5, 0.6])).toThrowError(/"value" must be finite and non-negative and summing to 1/);
    d.dispose();
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () =>
        new Dirichlet({
          concentration: [
            [1, 2, 3],
            [4, 5, 6],
          ],
        }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
