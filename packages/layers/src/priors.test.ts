import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import type { Independent } from '@varia/distributions';
import { describe, expect, it } from 'vitest';
import { GaussianMixturePrior, StandardNormalPrior } from './priors.js';

const LOG_2PI = Math.log(2 * Math.PI);

describe('priors', () => {
  it('standard normal: log p(0) = −(d/2) log 2π', () => {
    const p = new StandardNormalPrior(3);
    tf.tidy(() => {
      const d = p.distribution();
      expect(d.eventShape).toEqual([3]);
      expect(d.logProb(tf.zeros([3])).dataSync()[0]).toBeCloseTo(-1.5 * LOG_2PI, 5);
      // its Normal knows it is N(0, 1) without a tensor read, so the analytic KL against it skips σ = 1 and μ = 0
      const base = (d as Independent).base;
      expect([base.knownConstant('loc'), base.knownConstant('scale')]).toEqual([0, 1]);
    });
    expect(p.namedVariables().size).toBe(0);
  });

  it('standard normal: dispose() frees the tensors its distribution made', () => {
    const before = tf.memory().numTensors;
    const d = new StandardNormalPrior(4).distribution();
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mixture of one component at the origin equals the standard normal; gradients reach every variable', () => {
    const m = new GaussianMixturePrior({ latentDim: 2, components: 1 });
    m.locs.assign(tf.zeros([1, 2]));
    tf.tidy(() => {
      const x = tf.tensor2d([
        [0.3, -1],
        [2, 0.5],
      ]);
      const ref = [0.3 ** 2 + 1, 4 + 0.25].map((s) => -0.5 * s - LOG_2PI);
      const lp = m.distribution().logProb(x).dataSync();
      ref.forEach((r, i) => expect(lp[i]).toBeCloseTo(r, 3));
    });
    const k = new GaussianMixturePrior({ latentDim: 2, components: 3, seed: 1 });
    tf.tidy(() => {
      const vars = [...k.namedVariables('prior').values()];
      const { grads } = tf.variableGrads(
        () => tf.neg(tf.sum(k.distribution().logProb(tf.tensor2d([[0.3, -1]])))) as tf.Scalar,
        vars,
      );
      expect(Object.keys(grads).length).toBe(3);
    });
    expect(() => new GaussianMixturePrior({ latentDim: 2, components: 0 })).toThrowError(ArgumentError);
    m.dispose();
    k.dispose();
  });

  it('does not leak', () => {
    const k = new GaussianMixturePrior({ latentDim: 2, components: 3 });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      k.distribution().logProb(tf.zeros([4, 2]));
    });
    expect(tf.memory().numTensors).toBe(before);
    k.dispose();
    expect(tf.memory().numTensors).toBe(before - 3);
  });
});
