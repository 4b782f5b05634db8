import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract } from '../test/helpers.js';
import { expectAllClose, expectMatchesTorch, torch } from '../test/torch.js';
import { positiveDefinite } from './multivariate-normal.js';
import { Wishart, type WishartParams } from './wishart.js';

const c = torch.wishart![0]!;
const cov = c.params.covarianceMatrix as number[][];

describe('Wishart', () => {
  it('matches torch: logProb, mean, variance, mode, entropy', () => {
    expectMatchesTorch([c], (p) => new Wishart(p as unknown as WishartParams), { rtol: 5e-5, atol: 5e-5 });
  });
  it('samples are positive definite with mean νΣ and variance ν(Σᵢⱼ² + ΣᵢᵢΣⱼⱼ); the implicit gradient ∂E[X]/∂ν = Σ', () => {
    tf.tidy(() => {
      const d = new Wishart({ df: 4.5, covarianceMatrix: cov });
      const x = d.sample([20000], { seed: 101 });
      expect(
        Array.from(positiveDefinite.check(tf.slice(x, [0, 0, 0], [200, 2, 2])).dataSync()).every((v) => v === 1),
      ).toBe(true);
      const { mean, variance } = tf.moments(x, 0);
      const want = d.variance().dataSync();
      // mean within 5 standard errors, variance within 15%
      Array.from(mean.dataSync()).forEach((m, i) =>
        expect(Math.abs(m - 4.5 * cov.flat()[i]!)).toBeLessThan(5 * Math.sqrt(want[i]! / 20000)),
      );
      Array.from(variance.dataSync()).forEach((v, i) => expect(Math.abs(v / want[i]! - 1)).toBeLessThan(0.15));
      const g = tf.grad((nu: tf.Tensor) =>
        tf.sum(tf.mean(new Wishart({ df: nu, covarianceMatrix: cov }).rsample([20000], { seed: 102 }), 0)),
      )(tf.scalar(4.5));
      expectAllClose(
        g,
        cov.flat().reduce((a, b) => a + b),
        0.05,
        0,
      );
    });
  });
  it('rejects df ≤ p − 1 and a non-positive-definite scale', () => {
    const before = tf.memory().numTensors;
    expect(() => new Wishart({ df: 0.5, covarianceMatrix: cov })).toThrowError(/"df" must be > p − 1 = 1, got 0.5/);
    expect(
      () =>
        new Wishart({
          df: 3,
          covarianceMatrix: [
            [1, 2],
            [2, 1],
          ],
        }),
    ).toThrowError(/"covarianceMatrix" must be finite and a symmetric positive-definite matrix/);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Wishart({ df: [3, 6], covarianceMatrix: cov }),
      ['mean', 'mode', 'variance', 'entropy'],
      true,
    );
  });
});
