import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectNoLeak, fixtures, moments } from '../test/helpers.js';
import { Normal } from './normal.js';

describe('Normal', () => {
  it('logProb, cdf and entropy match SciPy', () => {
    for (const c of fixtures.normal) {
      const d = new Normal({ loc: c.loc, scale: c.scale });
      expectClose(d.logProb(c.x), c.logProb, 1e-5, 1e-5);
      expectClose(d.cdf(c.x), c.cdf, 1e-4, 1e-6);
      expectClose(d.entropy(), c.entropy, 1e-5, 1e-5);
      d.dispose();
    }
  });

  it('broadcasts parameters and values: sample [n, m] → [n, m, ...batch], logProb → [n, m, ...batch]', () => {
    tf.tidy(() => {
      const d = new Normal({ loc: [[0], [1]], scale: [1, 2, 3] });
      expect(d.batchShape).toEqual([2, 3]);
      expect(d.eventShape).toEqual([]);
      const x = d.sample([4, 5]);
      expect(x.shape).toEqual([4, 5, 2, 3]);
      expect(d.logProb(x).shape).toEqual([4, 5, 2, 3]);
      expect(d.logProb(0).shape).toEqual([2, 3]);
      expect(d.mean().shape).toEqual([2, 3]);
    });
  });

  it('has sample moments matching loc and scale², within 5 standard errors', () => {
    tf.tidy(() => {
      const d = new Normal({ loc: [-1, 3], scale: [0.5, 2] });
      const n = 20000;
      const { mean, variance } = moments(d.sample([n], { seed: 1 }));
      expect(Math.abs(mean[0]! + 1)).toBeLessThan((5 * 0.5) / Math.sqrt(n));
      expect(Math.abs(mean[1]! - 3)).toBeLessThan((5 * 2) / Math.sqrt(n));
      expect(Math.abs(variance[0]! - 0.25)).toBeLessThan(5 * 0.25 * Math.sqrt(2 / n));
      expect(Math.abs(variance[1]! - 4)).toBeLessThan(5 * 4 * Math.sqrt(2 / n));
    });
  });

  it('seeded samples are reproducible', () => {
    tf.tidy(() => {
      const d = new Normal({ loc: 0, scale: 1 });
      expect(Array.from(d.sample([5], { seed: 7 }).dataSync())).toEqual(
        Array.from(d.sample([5], { seed: 7 }).dataSync()),
      );
    });
  });

  it('rsample is differentiable: d/dμ E[x] = 1, d/dσ E[x²] = 2σ (Monte Carlo)', () => {
    tf.tidy(() => {
      const loc = tf.scalar(0.5);
      const scale = tf.scalar(1.5);
      const grads = tf.grads((m: tf.Tensor, s: tf.Tensor) => {
        const x = new Normal({ loc: m, scale: s }, { validateArgs: false }).rsample([20000], { seed: 3 });
        return tf.mean(tf.square(x));
      })([loc, scale]);
      // E[x²] = μ² + σ²: d/dμ = 2μ = 1, d/dσ = 2σ = 3
      expectClose(grads[0]!, 1, 0, 0.05);
      expectClose(grads[1]!, 3, 0, 0.08);
    });
  });

  it('rejects bad parameters with a typed error naming the argument', () => {
    expect(() => new Normal({ loc: 0, scale: -1 })).toThrowError(ArgumentError);
    expect(() => new Normal({ loc: 0, scale: [1, 0, 2] })).toThrowError(
      /Normal: "scale" must be finite and > 0, got 0 at index \[1\]/,
    );
    expect(() => new Normal({ loc: NaN, scale: 1 })).toThrowError(/"loc"/);
    expect(() => new Normal({ loc: [0, 1], scale: [1, 1, 1] })).toThrowError(ShapeError);
    const d = new Normal({ loc: [0, 1], scale: 1 });
    expect(() => d.logProb([1, 2, 3])).toThrowError(ShapeError);
    expect(() => d.sample([-1])).toThrowError(ShapeError);
    d.dispose();
  });

  it('does not leak tensors from any public method', () => {
    const before = tf.memory().numTensors;
    const d = new Normal({ loc: [0, 1], scale: [1, 2] });
    expectNoLeak(() => d.logProb([0.1, 0.2]));
    expectNoLeak(() => d.prob([0.1, 0.2]));
    expectNoLeak(() => d.sample([3]));
    expectNoLeak(() => d.rsample([3]));
    expectNoLeak(() => [d.mean(), d.mode(), d.variance(), d.stddev(), d.entropy(), d.cdf(0)]);
    expectNoLeak(() => {
      try {
        new Normal({ loc: [0, 1], scale: [1, -1] });
      } catch {
        /* expected */
      }
    });
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('knownConstant: parameters given as host data with one value everywhere, never from tensors', () => {
    tf.tidy(() => {
      const q = new Normal({
        loc: 0.1,
        scale: [
          [2, 2],
          [2, 2],
        ],
      });
      expect(q.knownConstant('loc')).toBe(Math.fround(0.1)); // the float32 value the tensor holds
      expect(q.knownConstant('scale')).toBe(2);
      expect(new Normal({ loc: new Float32Array(3), scale: [1, 2, 1] }).knownConstant('loc')).toBe(0);
      expect(new Normal({ loc: new Float32Array(3), scale: [1, 2, 1] }).knownConstant('scale')).toBeUndefined();
      expect(new Normal({ loc: [NaN, NaN], scale: 1 }, { validateArgs: false }).knownConstant('loc')).toBeUndefined();
      expect(new Normal({ loc: tf.zeros([2]), scale: tf.ones([2]) }).knownConstant('loc')).toBeUndefined();
      expect(q.knownConstant('rate')).toBeUndefined();
    });
  });

  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Normal({ loc: [0, 1], scale: 2 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});

describe('Normal rsample as one op', () => {
  it('gives μ + σ·ε and the gradients dy and dy·ε bit for bit as the formula under autodiff, with fewer kernels', async () => {
    const before = tf.memory().numTensors;
    const loc = tf.tensor2d([0.3, -1.7, 2.2, 0, 1e-3, -40], [2, 3]);
    const scale = tf.tensor2d([0.5, 1.3, 1e-3, 1, 7, 0.9], [2, 3]);
    const w = tf.tensor2d([1, -2, 0.5, 3, 0.25, -1], [2, 3]);
    const fused = (m: tf.Tensor, s: tf.Tensor) =>
      tf.sum(tf.mul(w, new Normal({ loc: m, scale: s }, { validateArgs: false }).rsample([], { seed: 7 })));
    const eps = tf.randomNormal([2, 3], 0, 1, 'float32', 7); // the draw rsample makes with this seed
    const formula = (m: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(w, tf.add(m, tf.mul(s, eps))));
    const a = tf.valueAndGrads(fused)([loc, scale]);
    const b = tf.valueAndGrads(formula)([loc, scale]);
    expect(a.value.dataSync()[0]).toBe(b.value.dataSync()[0]);
    for (let i = 0; i < 2; i++) expect(Array.from(a.grads[i]!.dataSync())).toEqual(Array.from(b.grads[i]!.dataSync()));
    expect(Array.from(a.grads[0]!.dataSync())).toEqual(Array.from(w.dataSync()));
    const count = async (f: (m: tf.Tensor, s: tf.Tensor) => tf.Tensor): Promise<number> => {
      const info = await tf.profile(() => tf.grads(f)([loc, scale]));
      tf.dispose(info.result as tf.Tensor[]);
      return info.kernels.length;
    };
    expect(await count(fused)).toBeLessThan(await count(formula));
    tf.dispose([loc, scale, w, eps, a.value, ...a.grads, b.value, ...b.grads]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
