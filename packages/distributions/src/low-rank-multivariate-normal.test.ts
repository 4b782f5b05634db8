import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectMoments, expectNoLeak } from '../test/helpers.js';
import { expectAllClose, expectMatchesTorch, torch } from '../test/torch.js';
import { LowRankMultivariateNormal, type LowRankMultivariateNormalParams } from './low-rank-multivariate-normal.js';

const c = torch.lowRankMultivariateNormal![0]!;
const params = c.params as unknown as { loc: number[]; covFactor: number[][]; covDiag: number[] };

describe('LowRankMultivariateNormal', () => {
  it('matches torch: logProb, mean, variance, mode, entropy', () => {
    expectMatchesTorch([c], (p) => new LowRankMultivariateNormal(p as unknown as LowRankMultivariateNormalParams), {
      rtol: 2e-5,
      atol: 2e-5,
    });
  });
  it('its covariance is WWᵀ + diag(d); samples have that mean and covariance', () => {
    const d = new LowRankMultivariateNormal(params);
    const cov = params.covFactor.map((wi, i) =>
      params.covFactor.map((wj, j) => wi.reduce((s, v, r) => s + v * wj[r]!, 0) + (i === j ? params.covDiag[i]! : 0)),
    );
    expectNoLeak(() => {
      const s = d.covarianceMatrixParameter();
      expectAllClose(s, cov, 1e-5, 1e-6);
      const l = d.scaleTrilParameter();
      const llt = tf.matMul(l, l, false, true);
      expectAllClose(llt, cov, 1e-5, 1e-6);
      return [s, l, llt];
    });
    tf.tidy(() => {
      const x = d.sample([20000], { seed: 41 });
      expectMoments(
        x,
        params.loc,
        cov.map((r, i) => r[i]!),
      );
      // a cross term: Cov(x₀, x₂)
      const centered = tf.sub(x, params.loc);
      const c02 = tf
        .mean(tf.mul(tf.slice(centered, [0, 0], [-1, 1]), tf.slice(centered, [0, 2], [-1, 1])))
        .dataSync()[0]!;
      expect(Math.abs(c02 - cov[0]![2]!)).toBeLessThan(0.05);
    });
    d.dispose();
  });
  it('rejects bad input', () => {
    expect(() => new LowRankMultivariateNormal({ ...params, covDiag: [1, 0, 1] })).toThrowError(
      /"covDiag" must be finite and > 0/,
    );
    expect(() => new LowRankMultivariateNormal({ ...params, covFactor: [[1], [2]] })).toThrowError(
      /ShapeError|cannot be broadcast|must be \[\.\.\., D, R\]/,
    );
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () =>
        new LowRankMultivariateNormal({
          loc: [
            [0, 1, 2],
            [1, 1, 1],
          ],
          covFactor: params.covFactor,
          covDiag: params.covDiag,
        }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
