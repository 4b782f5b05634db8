import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { lowerCholesky } from './bijectors/matrix.js';
import { type Constraint, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { logGammaRsample } from './implicit-reparam.js';
import { cholesky, diagMatrix, diagPart, triangularSolve } from './linalg.js';
import { mvlgamma } from './lkj-cholesky.js';
import { halfLogDet, positiveDefinite, type ScaleMatrixParams, toScaleTril } from './multivariate-normal.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { subSeed } from './sampling.js';
import { digamma, gradFreeMask } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Wishart}: `df` and exactly one of the three matrix parameterizations of the scale Σ. */
export type WishartParams = {
  /** Degrees of freedom ν > p − 1. */
  df: TensorLike;
} & ScaleMatrixParams;

/** Σ_{i=0}^{p−1} ψ(a − i/2), the multivariate digamma function. */
function mvdigamma(a: tf.Tensor, p: number): tf.Tensor {
  let sum = tf.zerosLike(a);
  for (let i = 0; i < p; i++) sum = tf.add(sum, digamma(tf.sub(a, i / 2)));
  return sum;
}

/**
 * The Wishart distribution over p×p symmetric positive-definite matrices with ν > p − 1 degrees of freedom and scale Σ
 * (torch's `Wishart`; Σ given as `covarianceMatrix`, `scaleTril` L or `precisionMatrix` Σ⁻¹):
 *
 * log p(X) = ((ν − p − 1)/2) log |X| − tr(Σ⁻¹X)/2 − (νp/2) log 2 − (ν/2) log |Σ| − log Γ_p(ν/2).
 *
 * Reparameterized by the Bartlett decomposition X = (LA)(LA)ᵀ, A lower-triangular with Aᵢᵢ² ~ χ²(ν − i) (implicit
 * reparameterization gradients to ν) and standard-normal entries below the diagonal.
 */
export class Wishart extends Distribution {
  /** The parameters: `df` (positive, > p − 1) with `covarianceMatrix`, `scaleTril` or `precisionMatrix`. */
  static readonly parameters = declareParameters(
    {
      df: { constraint: positive },
      covarianceMatrix: { constraint: positiveDefinite, eventRank: 2 },
      scaleTril: { constraint: lowerCholesky, eventRank: 2 },
      precisionMatrix: { constraint: positiveDefinite, eventRank: 2 },
    },
    [
      ['df', 'covarianceMatrix'],
      ['df', 'scaleTril'],
      ['df', 'precisionMatrix'],
    ],
  );
  /** ν, broadcast to the batch shape. */
  readonly df: tf.Tensor;
  /** L, Σ = LLᵀ, `[...batchShape, p, p]`. */
  readonly scaleTril: tf.Tensor;

  constructor(params: WishartParams, options: DistributionOptions = {}) {
    const validate = resolveValidateArgs('Wishart', options);
    const p = prepareParameters('Wishart', Wishart.parameters, params, validate);
    const name = p.given.find((n) => n !== 'df')!;
    const matrix = p.tensors[name];
    const dim = matrix.shape[matrix.rank - 1]!;
    const fail = (e: Error): never => {
      for (const t of p.owned) t.dispose();
      throw e;
    };
    if (matrix.shape[matrix.rank - 2] !== dim)
      fail(new ShapeError(name, `Wishart: "${name}" must be [..., p, p], got [${matrix.shape.join(', ')}]`));
    if (validate) {
      const low = tf.tidy(() => tf.min(p.tensors.df).dataSync()[0]!);
      if (!(low > dim - 1)) fail(new ArgumentError('df', `Wishart: "df" must be > p − 1 = ${dim - 1}, got ${low}`));
    }
    const scaleTril = toScaleTril(name, matrix, p.owned);
    super({ ...p, eventShape: [dim, dim] }, options);
    this.df = p.tensors.df;
    this.scaleTril = scaleTril;
  }
  override get support(): Constraint {
    return positiveDefinite;
  }
  override get hasRsample(): boolean {
    return true;
  }
  private get p(): number {
    return this.eventShape[0]!;
  }
  /** Σ = LLᵀ (a new tensor). */
  covarianceMatrixParameter(): tf.Tensor {
    return this.run(() => tf.matMul(this.scaleTril, this.scaleTril, false, true));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const p = this.p;
    const nu = this.df;
    const lx = cholesky(x);
    const logDetX = tf.mul(2, halfLogDet(lx));
    const trace = tf.sum(tf.square(triangularSolve(this.scaleTril, lx)), [-2, -1]);
    const norm = tf.add(
      tf.mul(nu, tf.add((p * Math.LN2) / 2, halfLogDet(this.scaleTril))),
      mvlgamma(tf.mul(0.5, nu), p),
    );
    return tf.sub(tf.sub(tf.mul(tf.div(tf.sub(nu, p + 1), 2), logDetX), tf.mul(0.5, trace)), norm);
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const p = this.p;
    const lead = shape.slice(0, -2);
    const chi2Df = tf.sub(tf.expandDims(this.df, -1), tf.tensor1d(Array.from({ length: p }, (_, i) => i)));
    const diag = tf.sqrt(tf.mul(2, tf.exp(logGammaRsample(tf.mul(0.5, chi2Df), [...lead, p], subSeed(seed, 0)))));
    const strictLower = tf.tensor2d(
      Array.from({ length: p * p }, (_, k) => (k % p < Math.floor(k / p) ? 1 : 0)),
      [p, p],
    );
    const a = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', subSeed(seed, 1)), strictLower), diagMatrix(diag));
    const chol = tf.matMul(tf.broadcastTo(this.scaleTril, shape), a);
    return tf.matMul(chol, chol, false, true);
  }
  /** νΣ. */
  protected override _mean(): tf.Tensor {
    return tf.mul(tf.reshape(this.df, [...this.batchShape, 1, 1]), this.covarianceMatrixParameter());
  }
  /** (ν − p − 1)Σ for ν > p + 1, else NaN (torch). */
  protected override _mode(): tf.Tensor {
    const factor = tf.sub(this.df, this.p + 1);
    const ok = gradFreeMask([factor], (f) => tf.greater(f, 0));
    const f = tf.where(ok, factor, tf.fill(factor.shape, NaN));
    return tf.mul(tf.reshape(f, [...this.batchShape, 1, 1]), this.covarianceMatrixParameter());
  }
  /** Var[Xᵢⱼ] = ν(Σᵢⱼ² + ΣᵢᵢΣⱼⱼ). */
  protected override _variance(): tf.Tensor {
    const v = this.covarianceMatrixParameter();
    const d = diagPart(v);
    const outer = tf.mul(tf.expandDims(d, -1), tf.expandDims(d, -2));
    return tf.mul(tf.reshape(this.df, [...this.batchShape, 1, 1]), tf.add(tf.square(v), outer));
  }
  /** H = (p + 1)(p log 2/2 + log |L|) + log Γ_p(ν/2) − ((ν − p − 1)/2)ψ_p(ν/2) + νp/2. */
  protected override _entropy(): tf.Tensor {
    const p = this.p;
    const nu = this.df;
    const half = tf.mul(0.5, nu);
    const t1 = tf.mul(p + 1, tf.add((p * Math.LN2) / 2, halfLogDet(this.scaleTril)));
    return tf.add(
      tf.sub(tf.add(t1, mvlgamma(half, p)), tf.mul(tf.div(tf.sub(nu, p + 1), 2), mvdigamma(half, p))),
      tf.mul(nu, p / 2),
    );
  }
}
