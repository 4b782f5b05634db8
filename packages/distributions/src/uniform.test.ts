import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectNoLeak } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { Uniform, type UniformParams } from './uniform.js';

describe('Uniform', () => {
  it('matches torch: logProb, cdf, icdf, mean, variance, mode (NaN), entropy', () => {
    expectMatchesTorch(torch.uniform!, (p) => new Uniform(p as unknown as UniformParams), {
      tolerances: { variance: [1e-5, 1e-12] },
    });
  });
  it('samples pass a KS test; rsample gradients ∂x/∂a = 1 − u, ∂x/∂b = u', () => {
    const d = new Uniform({ low: -2, high: 3 });
    const x = d.sample([4000], { seed: 11 });
    expectKS(x.dataSync(), (v) => Math.min(Math.max((v + 2) / 5, 0), 1));
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const [ga, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.mean(new Uniform({ low: a, high: b }).rsample([20000], { seed: 2 })),
      )([tf.scalar(0), tf.scalar(1)]);
      expectClose(ga!, 0.5, 0, 0.01);
      expectClose(gb!, 0.5, 0, 0.01);
    });
  });
  it('rejects low ≥ high and values outside [low, high); −∞ there without validation', () => {
    const before = tf.memory().numTensors;
    expect(() => new Uniform({ low: [0, 2], high: [1, 2] })).toThrowError(
      /Uniform: "high" must be > "low", got low 2 and high 2 at flat index 1/,
    );
    expect(tf.memory().numTensors).toBe(before);
    const d = new Uniform({ low: 0, high: 1 });
    expect(() => d.logProb(1)).toThrowError(/"value" must be/);
    expect(() => d.icdf(1.5)).toThrowError(/"q" must be/);
    d.dispose();
    tf.tidy(() => {
      expect(
        Array.from(new Uniform({ low: 0, high: 1 }, { validateArgs: false }).logProb([-0.1, 0.5, 1]).dataSync()),
      ).toEqual([-Infinity, 0, -Infinity]);
    });
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Uniform({ low: [0, 1], high: 2 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
    const d = new Uniform({ low: [0, 1], high: 2 });
    expectNoLeak(() => d.icdf([0.1, 0.9]));
    expectNoLeak(() => d.cdf([0.1, 0.9]));
    d.dispose();
  });
});
