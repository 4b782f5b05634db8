import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectNoLeak } from '../test/helpers.js';
import { expectAllClose, expectKS, expectMatchesTorch, torch, type Value } from '../test/torch.js';
import { MultivariateNormal, type MultivariateNormalParams } from './multivariate-normal.js';

const c = torch.multivariateNormal![0]!;
const loc = c.params.loc as number[];
const cov = c.params.covarianceMatrix as number[][];

/** Φ in float64 (Zelen–Severo 26.2.17 is too coarse for a KS test at n = 4000; the erfc continued fraction is not). */
function normalCdf(z: number): number {
  // W. J. Cody-style rational approximation via erf series / continued fraction
  const x = Math.abs(z) / Math.SQRT2;
  let erfc: number;
  if (x < 2.5) {
    let sum = x;
    let term = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    erfc = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = 0;
    for (let n = 60; n >= 1; n--) f = n / 2 / (x + f);
    erfc = Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
  }
  return z < 0 ? erfc / 2 : 1 - erfc / 2;
}

describe('MultivariateNormal', () => {
  it('matches torch with covarianceMatrix, scaleTril and precisionMatrix: logProb, mean, variance, mode, entropy', () => {
    for (const name of ['covarianceMatrix', 'scaleTril', 'precisionMatrix'] as const) {
      const matrix = (name === 'covarianceMatrix' ? cov : c[name]) as Value;
      expectMatchesTorch(
        [c],
        () => new MultivariateNormal({ loc, [name]: matrix } as unknown as MultivariateNormalParams),
        { rtol: 2e-5, atol: 2e-5 },
      );
    }
    const d = new MultivariateNormal({ loc, covarianceMatrix: cov });
    expectNoLeak(() => {
      const s = d.covarianceMatrixParameter();
      expectAllClose(s, cov, 1e-5, 1e-6);
      const p = d.precisionMatrixParameter();
      expectAllClose(p, c.precisionMatrix as Value, 1e-4, 1e-5);
      return [s, p];
    });
    d.dispose();
  });
  it('samples: each marginal and a projection pass KS tests; rsample gradient ∂E[x]/∂μ = I', () => {
    const d = new MultivariateNormal({ loc, covarianceMatrix: cov });
    const x = d.sample([4000], { seed: 31 });
    const a = [0.5, -1, 2];
    const proj = tf.tidy(() => tf.sum(tf.mul(x, a), -1).dataSync());
    let m = 0;
    let v = 0;
    for (let i = 0; i < 3; i++) {
      m += a[i]! * loc[i]!;
      for (let j = 0; j < 3; j++) v += a[i]! * a[j]! * cov[i]![j]!;
    }
    expectKS(proj, (t) => normalCdf((t - m) / Math.sqrt(v)));
    for (let i = 0; i < 3; i++) {
      const xi = tf.tidy(() => tf.slice(x, [0, i], [-1, 1]).dataSync());
      expectKS(xi, (t) => normalCdf((t - loc[i]!) / Math.sqrt(cov[i]![i]!)));
    }
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const g = tf.grad((mu: tf.Tensor) =>
        tf.sum(tf.mean(new MultivariateNormal({ loc: mu, covarianceMatrix: cov }).rsample([10], { seed: 2 }), 0)),
      )(tf.tensor1d(loc));
      expectAllClose(g, [1, 1, 1], 1e-5);
    });
  });
  it('gradients of logProb with respect to the covariance are finite and match a central difference', () => {
    const x = [0.3, -0.2, 1];
    const f = (s: number): number =>
      tf.tidy(() => {
        const m = cov.map((r, i) => r.map((v, j) => v + (i === j && i === 0 ? s : 0)));
        return new MultivariateNormal({ loc, covarianceMatrix: m }).logProb(x).dataSync()[0]!;
      });
    const h = 1e-2;
    const fd = (f(h) - f(-h)) / (2 * h);
    tf.tidy(() => {
      const g = tf.grad((m: tf.Tensor) => new MultivariateNormal({ loc, covarianceMatrix: m }).logProb(x))(
        tf.tensor2d(cov),
      );
      // only the lower triangle is read: ∂/∂Σ₀₀ is the (0, 0) entry
      expect(g.dataSync()[0]!).toBeCloseTo(fd, 2);
    });
  });
  it('rejects a non-positive-definite covariance, mismatched shapes and two parameterizations', () => {
    const before = tf.memory().numTensors;
    expect(
      () =>
        new MultivariateNormal({
          loc: [0, 0],
          covarianceMatrix: [
            [1, 2],
            [2, 1],
          ],
        }),
    ).toThrowError(/"covarianceMatrix" must be finite and a symmetric positive-definite matrix/);
    expect(
      () =>
        new MultivariateNormal({
          loc: [0, 0],
          scaleTril: [
            [1, 1],
            [0, 1],
          ],
        }),
    ).toThrowError(/"scaleTril" must be finite and lower-triangular/);
    expect(
      () =>
        new MultivariateNormal({
          loc: [0, 0, 0],
          covarianceMatrix: [
            [1, 0],
            [0, 1],
          ],
        }),
    ).toThrowError(/\[\.\.\., D, D\] with "loc" \[\.\.\., D\]/);
    expect(
      () =>
        new MultivariateNormal({
          loc: [0, 0],
          covarianceMatrix: [
            [1, 0],
            [0, 1],
          ],
          scaleTril: [
            [1, 0],
            [0, 1],
          ],
        } as unknown as MultivariateNormalParams),
    ).toThrowError(/exactly one/);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('shape, expand, seeding and memory contract (batch of 2)', () => {
    expectContract(
      () =>
        new MultivariateNormal({
          loc: [
            [0, 1, 2],
            [1, 1, 1],
          ],
          covarianceMatrix: cov,
        }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
