import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { DirichletHead, LogisticNormalHead } from './simplex-heads.js';

const softplus = (x: number): number => Math.log1p(Math.exp(x));

describe('DirichletHead', () => {
  it('α = softplus(hW + b) + minValue: the mean is α/Σα (host reference); samples lie on the simplex', () => {
    const head = new DirichletHead({ inputDim: 3, units: 4, seed: 1 });
    const h = tf.randomNormal([2, 3], 0, 1, 'float32', 2);
    const raw = tf.tidy(() => head.layer.apply(h).arraySync() as number[][]);
    tf.tidy(() => {
      const q = head.apply(h);
      expect(q.batchShape).toEqual([2]);
      expect(q.eventShape).toEqual([4]);
      const mean = q.mean().arraySync() as number[][];
      raw.forEach((r, b) => {
        const alpha = r.map((v) => softplus(v) + 1e-4);
        const total = alpha.reduce((a, v) => a + v, 0);
        alpha.forEach((a, k) => expect(mean[b]![k]).toBeCloseTo(a / total, 5));
      });
      const z = q.rsample([5], { seed: 3 });
      expect(z.shape).toEqual([5, 2, 4]);
      tf.sum(z, -1)
        .dataSync()
        .forEach((s) => expect(s).toBeCloseTo(1, 5));
    });
    h.dispose();
    head.dispose();
  });
});

describe('LogisticNormalHead', () => {
  it('gives LogisticNormal(μ, σ) over K categories: K − 1 wide layers, σ = softplus + minValue, simplex samples', () => {
    const head = new LogisticNormalHead({ inputDim: 3, units: 4, seed: 1 });
    const h = tf.randomNormal([2, 3], 0, 1, 'float32', 2);
    const rawScale = tf.tidy(() => head.scaleLayer.apply(h).arraySync() as number[][]);
    tf.tidy(() => {
      const q = head.apply(h) as unknown as {
        scale: tf.Tensor;
        batchShape: number[];
        eventShape: number[];
        rsample: (s: number[], o: object) => tf.Tensor;
      };
      expect(q.batchShape).toEqual([2]);
      expect(q.eventShape).toEqual([4]);
      const scale = q.scale.arraySync() as number[][];
      rawScale.forEach((r, b) => r.forEach((v, k) => expect(scale[b]![k]).toBeCloseTo(softplus(v) + 1e-4, 5)));
      const z = q.rsample([5], { seed: 3 });
      expect(z.shape).toEqual([5, 2, 4]);
      tf.sum(z, -1)
        .dataSync()
        .forEach((s) => expect(s).toBeCloseTo(1, 5));
      expect(Math.min(...z.dataSync())).toBeGreaterThan(0);
    });
    h.dispose();
    head.dispose();
  });
});

describe('simplex heads', () => {
  it('train by the pathwise gradient (implicit reparameterization for Dirichlet): every variable gets one; no leaks', () => {
    for (const head of [
      new DirichletHead({ inputDim: 3, units: 3, seed: 4 }),
      new LogisticNormalHead({ inputDim: 3, units: 3, seed: 4 }),
    ]) {
      const h = tf.randomNormal([4, 3], 0, 1, 'float32', 5);
      const target = tf.tensor1d([0.7, 0.2, 0.1]);
      const vars = [...head.namedVariables('topics').values()];
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => {
        const q = head.apply(h);
        const theta = q.rsample([3], { seed: 6 });
        // a reconstruction-style term through the sample plus the entropy-style term through logProb
        return tf.mean(tf.add(tf.sum(tf.square(tf.sub(theta, target)), -1), q.logProb(theta))) as tf.Scalar;
      }, vars);
      for (const v of vars) expect(tf.tidy(() => tf.norm(grads[v.name]!).dataSync()[0]!)).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      expect(() => head.apply(tf.ones([4, 2]))).toThrowError(ShapeError);
      tf.dispose([h, target]);
      head.dispose();
    }
  });

  it('reject K < 2 and negative minValue', () => {
    expect(() => new DirichletHead({ inputDim: 3, units: 1 })).toThrowError(ArgumentError);
    expect(() => new LogisticNormalHead({ inputDim: 3, units: 1 })).toThrowError(ArgumentError);
    expect(() => new DirichletHead({ inputDim: 3, units: 3, minValue: -1 })).toThrowError(ArgumentError);
  });
});
