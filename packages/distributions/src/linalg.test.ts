// Gradients through 1 × 1 matrices: tfjs 4.22's gradient of unstack on a size-1 axis threw a raw "Argument tensors
// passed to stack must be a `Tensor[]`" (and leaked the tape's tensors) for every D = 1 multivariate normal, rank-1
// low-rank covariance and 1 × 1 Wishart. References are closed forms: for D = 1, N(x; μ, s²) with s the scale.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { klDivergence } from './kl.js';
import { cholesky, triangularSolve } from './linalg.js';
import { LowRankMultivariateNormal } from './low-rank-multivariate-normal.js';
import { MultivariateNormal } from './multivariate-normal.js';
import { Normal } from './normal.js';
import { Wishart } from './wishart.js';

/** Runs f on tensors of the given values inside a tidy, and returns its outputs' numbers (everything freed). */
function run(values: number[][][], f: (...inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): number[][] {
  return tf.tidy(() => {
    const out = f(...values.map((v) => tf.tensor(v)));
    return (Array.isArray(out) ? out : [out]).map((t) => [...t.dataSync()]);
  });
}

describe('1 × 1 matrices are differentiable', () => {
  it('MultivariateNormal with D = 1: ∂ log p / ∂s = −1/s + x²/s³, through scaleTril and covarianceMatrix', () => {
    const [g] = run([[[2]]], (s) =>
      tf.grad((t: tf.Tensor) => new MultivariateNormal({ loc: [0], scaleTril: t }).logProb([0.5]))(s!),
    );
    expect(g![0]).toBeCloseTo(-1 / 2 + 0.25 / 8, 6);
    // Σ = s²: ∂/∂Σ = −1/(2Σ) + x²/(2Σ²) at Σ = 4
    const [gc] = run([[[4]]], (v) =>
      tf.grad((t: tf.Tensor) => new MultivariateNormal({ loc: [0], covarianceMatrix: t }).logProb([0.5]))(v!),
    );
    expect(gc![0]).toBeCloseTo(-1 / 8 + 0.25 / 32, 6);
    // the entropy ½ log(2πe Σ) and the KL to N(0, 1) as a Normal gives them
    const [ge] = run([[[2]]], (s) =>
      tf.grad((t: tf.Tensor) => new MultivariateNormal({ loc: [0], scaleTril: t }).entropy())(s!),
    );
    expect(ge![0]).toBeCloseTo(0.5, 6);
    const [kl, gk] = run([[[2]]], (s) => {
      const f = (t: tf.Tensor) =>
        klDivergence(
          new MultivariateNormal({ loc: [1], scaleTril: t }),
          new MultivariateNormal({ loc: [0], scaleTril: [[1]] }),
        );
      return [f(s!), tf.grad(f)(s!)];
    });
    const normal = run([], () => klDivergence(new Normal({ loc: 1, scale: 2 }), new Normal({ loc: 0, scale: 1 })));
    expect(kl![0]).toBeCloseTo(normal[0]![0]!, 5);
    expect(gk![0]).toBeCloseTo(2 - 1 / 2, 5); // ∂/∂s (s²/2 − log s) = s − 1/s
  });

  it('LowRankMultivariateNormal with a rank-1 factor and Wishart 1 × 1 give finite gradients that match differences', () => {
    const lowRank = (w: tf.Tensor) =>
      new LowRankMultivariateNormal({ loc: [0, 0], covFactor: w, covDiag: [1, 1] }).logProb([0.5, -1]);
    const w0 = [[0.7], [0.2]];
    const [g] = run([w0], (w) => tf.grad(lowRank)(w!));
    const h = 1e-2;
    for (let i = 0; i < 2; i++) {
      const at = (d: number) => run([w0.map((r, k) => [r[0]! + (k === i ? d : 0)])], (w) => lowRank(w!))[0]![0]!;
      expect(g![i]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 2);
    }
    const wishart = (s: tf.Tensor) => new Wishart({ df: 3, scaleTril: s }).logProb([[2]]);
    const [gw] = run([[[1.5]]], (s) => tf.grad(wishart)(s!));
    const at = (v: number) => run([[[v]]], (s) => wishart(s!))[0]![0]!;
    expect(gw![0]).toBeCloseTo((at(1.5 + h) - at(1.5 - h)) / (2 * h), 2);
  });

  it('cholesky and triangularSolve free what they make, called outside a tidy', () => {
    const a = tf.tensor([
      [4, 2],
      [2, 3],
    ]);
    const b = tf.tensor([[1], [2]]);
    const before = tf.memory().numTensors;
    const l = cholesky(a);
    const x = triangularSolve(l, b);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect([...x.dataSync()]).toEqual([0.5, expect.closeTo((2 - 0.5) / Math.sqrt(2), 6)]);
    tf.dispose([a, b, l, x]);
  });

  it('cholesky and triangularSolve of 1 × 1 matrices: √a and b/l, with their derivatives', () => {
    const [c, gc] = run([[[9]]], (a) => [cholesky(a!), tf.grad((t: tf.Tensor) => cholesky(t))(a!)]);
    expect([c![0], gc![0]]).toEqual([3, expect.closeTo(1 / 6, 6)]);
    const [x, gl] = run([[[4]], [[2]]], (l, b) => [
      triangularSolve(l!, b!),
      tf.grad((t: tf.Tensor) => triangularSolve(t, b!))(l!),
    ]);
    expect([x![0], gl![0]]).toEqual([0.5, expect.closeTo(-2 / 16, 6)]);
  });
});
