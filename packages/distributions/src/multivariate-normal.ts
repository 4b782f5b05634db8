import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@varia/core';
import { type Constraint, independent, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { lowerCholesky, notSquare } from './bijectors/matrix.js';
import { cholesky, diagPart, matVec, transposeLast, triangularSolve, triangularSolveVec } from './linalg.js';
import { declareParameters, prepareParameters } from './parameters.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Symmetric positive-definite matrices `[..., D, D]` (torch's `constraints.positive_definite`): symmetric within 1e-6
 * relative and with a Cholesky factor whose diagonal is finite and positive.
 */
export const positiveDefinite: Constraint = {
  name: 'positiveDefinite',
  description: 'a symmetric positive-definite matrix',
  finite: true,
  eventDims: 2,
  check: (m) => {
    if (m.rank < 2 || m.shape[m.rank - 2] !== m.shape[m.rank - 1]) return notSquare(m);
    const sym = tf.all(tf.lessEqual(tf.abs(tf.sub(m, transposeLast(m))), tf.mul(1e-6, tf.add(tf.abs(m), 1))), [-2, -1]);
    const d = diagPart(cholesky(m));
    return tf.logicalAnd(sym, tf.all(tf.logicalAnd(tf.greater(d, 0), tf.isFinite(d)), -1));
  },
};

/** Parameters of {@link MultivariateNormal}: `loc` and exactly one of the three matrix parameterizations. */
export type MultivariateNormalParams = {
  /** Mean μ, `[..., D]`. */
  loc: TensorLike;
} & ScaleMatrixParams;

/** Exactly one of three ways to give a D×D scale matrix Σ (MultivariateNormal, Wishart). */
export type ScaleMatrixParams =
  | {
      /** Σ, symmetric positive definite, `[..., D, D]`. */
      covarianceMatrix: TensorLike;
      /** Only in another parameterization. */
      scaleTril?: never;
      /** Only in another parameterization. */
      precisionMatrix?: never;
    }
  | {
      /** L with Σ = LLᵀ, lower-triangular with a positive diagonal, `[..., D, D]`. */
      scaleTril: TensorLike;
      /** Only in another parameterization. */
      covarianceMatrix?: never;
      /** Only in another parameterization. */
      precisionMatrix?: never;
    }
  | {
      /** Σ⁻¹, symmetric positive definite, `[..., D, D]`. */
      precisionMatrix: TensorLike;
      /** Only in another parameterization. */
      covarianceMatrix?: never;
      /** Only in another parameterization. */
      scaleTril?: never;
    };

/** The Cholesky factor L of Σ = P⁻¹ from a precision matrix P = Lₚ Lₚᵀ: Σ = Lₚ⁻ᵀ Lₚ⁻¹. */
export function precisionToScaleTril(p: tf.Tensor): tf.Tensor {
  const d = p.shape[p.rank - 1]!;
  const inv = triangularSolve(cholesky(p), tf.eye(d));
  return cholesky(tf.matMul(transposeLast(inv), inv));
}

/**
 * The lower Cholesky factor L of Σ from whichever of `covarianceMatrix`, `scaleTril` or `precisionMatrix` was given
 * (`matrix` itself for `scaleTril`); a new factor is pushed onto `owned`.
 */
export function toScaleTril(name: string, matrix: tf.Tensor, owned: tf.Tensor[]): tf.Tensor {
  if (name === 'scaleTril') return matrix;
  const l = tf.tidy(() => (name === 'covarianceMatrix' ? cholesky(matrix) : precisionToScaleTril(matrix)));
  owned.push(l);
  return l;
}

/** log |Σ|^{1/2} = Σᵢ log Lᵢᵢ. */
export function halfLogDet(scaleTril: tf.Tensor): tf.Tensor {
  return tf.sum(tf.log(diagPart(scaleTril)), -1);
}

/**
 * The multivariate normal N(μ, Σ) over ℝᴰ (event shape `[D]`), with Σ given as `covarianceMatrix`, as its lower
 * Cholesky factor `scaleTril` (Σ = LLᵀ), or as `precisionMatrix` Σ⁻¹:
 *
 * log p(x) = −½ ‖L⁻¹(x − μ)‖² − Σᵢ log Lᵢᵢ − (D/2) log 2π.
 *
 * The factor L is stored (`scaleTril`); the other matrices are derived on demand. Reparameterized: μ + Lε. The
 * Cholesky factorization and triangular solves run as O(D) differentiable tfjs operations (see `linalg.ts`), meant
 * for the latent sizes of VAEs (D up to a few hundred).
 */
export class MultivariateNormal extends Distribution {
  /** The parameters: `loc` (vector) with `covarianceMatrix`, `scaleTril` or `precisionMatrix` (D×D), exactly one. */
  static readonly parameters = declareParameters(
    {
      loc: { constraint: independent(real, 1), eventRank: 1 },
      covarianceMatrix: { constraint: positiveDefinite, eventRank: 2 },
      scaleTril: { constraint: lowerCholesky, eventRank: 2 },
      precisionMatrix: { constraint: positiveDefinite, eventRank: 2 },
    },
    [
      ['loc', 'covarianceMatrix'],
      ['loc', 'scaleTril'],
      ['loc', 'precisionMatrix'],
    ],
  );
  /** μ, shape `[...batchShape, D]`. */
  readonly loc: tf.Tensor;
  /** L, lower-triangular with a positive diagonal, Σ = LLᵀ, shape `[...batchShape, D, D]`. */
  readonly scaleTril: tf.Tensor;

  constructor(params: MultivariateNormalParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'MultivariateNormal',
      MultivariateNormal.parameters,
      params,
      resolveValidateArgs('MultivariateNormal', options),
    );
    const matrixName = p.given.find((n) => n !== 'loc')!;
    const matrix = p.tensors[matrixName];
    const d = matrix.shape[matrix.rank - 1]!;
    const loc = p.tensors.loc;
    if (matrix.shape[matrix.rank - 2] !== d || loc.shape[loc.rank - 1] !== d) {
      for (const t of p.owned) t.dispose();
      throw new ShapeError(
        matrixName,
        `MultivariateNormal: "${matrixName}" must be [..., D, D] with "loc" [..., D], got [${matrix.shape.join(', ')}] and [${loc.shape.join(', ')}]`,
      );
    }
    const scaleTril = toScaleTril(matrixName, matrix, p.owned);
    super({ ...p, eventShape: [d] }, options);
    this.loc = loc;
    this.scaleTril = scaleTril;
  }
  override get support(): Constraint {
    return independent(real, 1);
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** Σ = LLᵀ (a new tensor). */
  covarianceMatrixParameter(): tf.Tensor {
    return this.run(() => tf.matMul(this.scaleTril, this.scaleTril, false, true));
  }
  /** Σ⁻¹ = L⁻ᵀL⁻¹ (a new tensor). */
  precisionMatrixParameter(): tf.Tensor {
    return this.run(() => {
      const inv = triangularSolve(this.scaleTril, tf.eye(this.eventShape[0]!));
      return tf.matMul(inv, inv, true, false);
    });
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const z = triangularSolveVec(this.scaleTril, tf.sub(x, this.loc));
    const m = tf.sum(tf.square(z), -1);
    return tf.neg(tf.add(tf.add(tf.mul(0.5, m), halfLogDet(this.scaleTril)), 0.5 * this.eventShape[0]! * LOG_2PI));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return tf.add(this.loc, matVec(this.scaleTril, tf.randomNormal(shape, 0, 1, 'float32', seed)));
  }
  /** μ. */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** μ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** The diagonal of Σ: Σⱼ Lᵢⱼ². */
  protected override _variance(): tf.Tensor {
    return tf.sum(tf.square(this.scaleTril), -1);
  }
  /** H = (D/2)(1 + log 2π) + Σᵢ log Lᵢᵢ. */
  protected override _entropy(): tf.Tensor {
    return tf.add(halfLogDet(this.scaleTril), 0.5 * this.eventShape[0]! * (1 + LOG_2PI));
  }
}
