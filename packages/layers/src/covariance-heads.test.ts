import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { FullCovarianceNormalHead, LowRankNormalHead } from './covariance-heads.js';
import type { Dense } from './dense.js';

const LOG_2PI = Math.log(2 * Math.PI);
const softplus = (x: number): number => Math.log1p(Math.exp(x));

/** Rows of a layer's output at h, on the host. */
function outputs(layer: Dense, h: tf.Tensor): number[][] {
  return tf.tidy(() => layer.apply(h).arraySync() as number[][]);
}

/** Lower Cholesky factor of a symmetric positive-definite matrix (float64). */
function cholesky(a: number[][]): number[][] {
  const n = a.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(s) : s / l[j]![j]!;
    }
  }
  return l;
}

/** log N(x; μ, LLᵀ) in float64 by forward substitution. */
function mvnLogPdf(x: number[], mu: number[], l: number[][]): number {
  const n = x.length;
  const y = new Array<number>(n).fill(0);
  let logDet = 0;
  for (let i = 0; i < n; i++) {
    let s = x[i]! - mu[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
    y[i] = s / l[i]![i]!;
    logDet += Math.log(l[i]![i]!);
  }
  return -0.5 * y.reduce((a, v) => a + v * v, 0) - logDet - (n / 2) * LOG_2PI;
}

describe('FullCovarianceNormalHead', () => {
  it('builds L with a softplus diagonal and a free strictly lower part; logProb matches a float64 reference', () => {
    const head = new FullCovarianceNormalHead({ inputDim: 3, units: 3, seed: 2 });
    const h = tf.randomNormal([2, 3], 0, 1, 'float32', 4);
    const x = [
      [0.5, -1, 2],
      [1, 0, -0.5],
    ];
    const mu = outputs(head.locLayer, h);
    const diag = outputs(head.diagLayer, h);
    const lower = outputs(head.lowerLayer!, h);
    tf.tidy(() => {
      const q = head.apply(h);
      expect(q.batchShape).toEqual([2]);
      expect(q.eventShape).toEqual([3]);
      const lp = q.logProb(tf.tensor2d(x)).dataSync();
      const tril = head.scaleTril(h).arraySync() as number[][][];
      for (let b = 0; b < 2; b++) {
        // row-major strictly lower entries: (1,0), (2,0), (2,1)
        const l = [
          [softplus(diag[b]![0]!) + 1e-4, 0, 0],
          [lower[b]![0]!, softplus(diag[b]![1]!) + 1e-4, 0],
          [lower[b]![1]!, lower[b]![2]!, softplus(diag[b]![2]!) + 1e-4],
        ];
        l.forEach((r, i) => r.forEach((v, j) => expect(tril[b]![i]![j]).toBeCloseTo(v, 5)));
        expect(lp[b]).toBeCloseTo(mvnLogPdf(x[b]!, mu[b]!, l), 4);
      }
      expect(q.rsample([4]).shape).toEqual([4, 2, 3]);
    });
    h.dispose();
    head.dispose();
  });

  it('gradients reach every variable through rsample and logProb; no leaks; D = 1 has no lower layer', () => {
    const head = new FullCovarianceNormalHead({ inputDim: 2, units: 3, seed: 1 });
    const h = tf.randomNormal([4, 2], 0, 1, 'float32', 5);
    const vars = [...head.namedVariables('q').values()];
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const q = head.apply(h);
      const z = q.rsample([2], { seed: 3 });
      return tf.mean(tf.add(q.logProb(z), tf.sum(tf.square(z), -1))) as tf.Scalar;
    }, vars);
    for (const v of vars) expect(tf.tidy(() => tf.norm(grads[v.name]!).dataSync()[0]!)).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => head.apply(tf.ones([4, 3]))).toThrowError(ShapeError);
    h.dispose();
    head.dispose();
    const one = new FullCovarianceNormalHead({ inputDim: 2, units: 1 });
    expect(one.lowerLayer).toBeUndefined();
    expect([...one.namedVariables().keys()]).toEqual(['loc/kernel', 'loc/bias', 'diag/kernel', 'diag/bias']);
    one.dispose();
    expect(() => new FullCovarianceNormalHead({ inputDim: 2, units: 2, minScale: -1 })).toThrowError(ArgumentError);
  });
});

describe('LowRankNormalHead', () => {
  it('gives N(μ, WWᵀ + diag d) whose logProb matches a dense float64 reference; gradients; no leaks', () => {
    const head = new LowRankNormalHead({ inputDim: 3, units: 4, rank: 2, seed: 6 });
    const h = tf.randomNormal([2, 3], 0, 1, 'float32', 7);
    const x = [
      [0.5, -1, 2, 0],
      [1, 0, -0.5, 0.3],
    ];
    const mu = outputs(head.locLayer, h);
    const w = outputs(head.factorLayer, h);
    const d = outputs(head.diagLayer, h).map((r) => r.map((v) => softplus(v) + 1e-4));
    tf.tidy(() => {
      const q = head.apply(h);
      expect(q.batchShape).toEqual([2]);
      expect(q.eventShape).toEqual([4]);
      const lp = q.logProb(tf.tensor2d(x)).dataSync();
      for (let b = 0; b < 2; b++) {
        const sigma = [0, 1, 2, 3].map((i) =>
          [0, 1, 2, 3].map(
            (j) => w[b]![2 * i]! * w[b]![2 * j]! + w[b]![2 * i + 1]! * w[b]![2 * j + 1]! + (i === j ? d[b]![i]! : 0),
          ),
        );
        expect(lp[b]).toBeCloseTo(mvnLogPdf(x[b]!, mu[b]!, cholesky(sigma)), 4);
      }
    });
    const vars = [...head.namedVariables().values()];
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const q = head.apply(h);
      const z = q.rsample([2], { seed: 3 });
      return tf.mean(tf.add(q.logProb(z), tf.sum(tf.square(z), -1))) as tf.Scalar;
    }, vars);
    for (const v of vars) expect(tf.tidy(() => tf.norm(grads[v.name]!).dataSync()[0]!)).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new LowRankNormalHead({ inputDim: 3, units: 4, rank: 0 })).toThrowError(ArgumentError);
    h.dispose();
    head.dispose();
  });
});
