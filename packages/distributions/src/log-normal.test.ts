import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectMoments, fixtures } from '../test/helpers.js';
import { LogNormal } from './log-normal.js';

describe('LogNormal', () => {
  it('logProb, cdf, entropy, mean and variance match SciPy lognorm', () => {
    for (const c of fixtures.lognormal) {
      tf.tidy(() => {
        const d = new LogNormal({ loc: c.loc, scale: c.scale });
        expectClose(d.logProb(c.x), c.logProb);
        expectClose(d.cdf(c.x), c.cdf, 1e-4, 1e-6);
        expectClose(d.entropy(), c.entropy);
        expectClose(d.mean(), c.mean);
        expectClose(d.variance(), c.variance, 2e-5);
        d.dispose();
      });
    }
  });
  it('samples match the moments; rsample gradient d/dμ E[X] = E[X]', () => {
    tf.tidy(() => {
      const d = new LogNormal({ loc: [0, 1], scale: [0.25, 0.1] });
      expectMoments(
        d.sample([20000], { seed: 2 }),
        Array.from(d.mean().dataSync()),
        Array.from(d.variance().dataSync()),
      );
      const g = tf.grad((m: tf.Tensor) =>
        tf.mean(new LogNormal({ loc: m, scale: 0.25 }, { validateArgs: false }).rsample([20000], { seed: 4 })),
      )(tf.scalar(0.3));
      expectClose(g, Math.exp(0.3 + 0.25 ** 2 / 2), 0.02, 0);
    });
  });
  it('rejects bad input; −∞ outside the support without validation', () => {
    expect(() => new LogNormal({ loc: 0, scale: 0 })).toThrowError(/LogNormal: "scale" must be finite and > 0, got 0/);
    const d = new LogNormal({ loc: 0, scale: 1 });
    expect(() => d.logProb(-1)).toThrowError(/"value" must be finite and > 0, got -1/);
    d.dispose();
    tf.tidy(() => {
      expect(new LogNormal({ loc: 0, scale: 1 }, { validateArgs: false }).logProb(-1).dataSync()[0]).toBe(-Infinity);
    });
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new LogNormal({ loc: [0, 1], scale: 0.5 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
