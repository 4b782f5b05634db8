import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@varia/core';
import { type Constraint, independent, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { cholesky, diagMatrix, diagPart, matVec, transposeLast, triangularSolveVec } from './linalg.js';
import { declareParameters, prepareParameters } from './parameters.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** Parameters of {@link LowRankMultivariateNormal}. */
export interface LowRankMultivariateNormalParams {
  /** μ, `[..., D]`. */
  loc: TensorLike;
  /** W, `[..., D, R]`. */
  covFactor: TensorLike;
  /** d > 0, `[..., D]`. */
  covDiag: TensorLike;
}

/**
 * The multivariate normal with a low-rank-plus-diagonal covariance Σ = WWᵀ + diag(d), W of shape `[D, R]` (torch's
 * `LowRankMultivariateNormal`): O(DR²) per density instead of O(D³), through the capacitance C = I_R + WᵀD⁻¹W:
 *
 * log |Σ| = log |C| + Σᵢ log dᵢ,  (x − μ)ᵀΣ⁻¹(x − μ) = Σᵢ rᵢ²/dᵢ − ‖L_C⁻¹ WᵀD⁻¹r‖²  (Woodbury), r = x − μ.
 *
 * Reparameterized: μ + Wε₁ + √d ⊙ ε₂ with ε₁ ~ N(0, I_R), ε₂ ~ N(0, I_D).
 */
export class LowRankMultivariateNormal extends Distribution {
  /** The parameters: `loc` (vector), `covFactor` (D×R matrix), `covDiag` (positive vector). */
  static readonly parameters = declareParameters({
    loc: { constraint: independent(real, 1), eventRank: 1 },
    covFactor: { constraint: independent(real, 2), eventRank: 2 },
    covDiag: { constraint: independent(positive, 1), eventRank: 1 },
  });
  /** μ, `[...batchShape, D]`. */
  readonly loc: tf.Tensor;
  /** W, `[...batchShape, D, R]`. */
  readonly covFactor: tf.Tensor;
  /** d, `[...batchShape, D]`. */
  readonly covDiag: tf.Tensor;
  /** Cholesky factor of the capacitance C = I + WᵀD⁻¹W, `[...batchShape, R, R]`. */
  private readonly capacitanceTril: tf.Tensor;

  constructor(params: LowRankMultivariateNormalParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'LowRankMultivariateNormal',
      LowRankMultivariateNormal.parameters,
      params,
      resolveValidateArgs('LowRankMultivariateNormal', options),
    );
    const { loc, covFactor, covDiag } = p.tensors;
    const d = loc.shape[loc.rank - 1]!;
    if (covFactor.shape[covFactor.rank - 2] !== d) {
      for (const t of p.owned) t.dispose();
      throw new ShapeError(
        'covFactor',
        `LowRankMultivariateNormal: "covFactor" must be [..., D, R] with "loc" [..., D], got [${covFactor.shape.join(', ')}] and [${loc.shape.join(', ')}]`,
      );
    }
    const rank = covFactor.shape[covFactor.rank - 1]!;
    const capacitanceTril = tf.tidy(() => {
      const wtDinv = transposeLast(tf.div(covFactor, tf.expandDims(covDiag, -1)));
      return cholesky(tf.add(tf.eye(rank), tf.matMul(wtDinv, covFactor)));
    });
    p.owned.push(capacitanceTril);
    super({ ...p, batchShape: p.batchShape, eventShape: [d] }, options);
    this.loc = loc;
    this.covFactor = covFactor;
    this.covDiag = covDiag;
    this.capacitanceTril = capacitanceTril;
  }
  override get support(): Constraint {
    return independent(real, 1);
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** Σ = WWᵀ + diag(d) (a new tensor). */
  covarianceMatrixParameter(): tf.Tensor {
    return this.run(() => tf.add(tf.matMul(this.covFactor, this.covFactor, false, true), diagMatrix(this.covDiag)));
  }
  /** The lower Cholesky factor of Σ (a new tensor; O(D) operations). */
  scaleTrilParameter(): tf.Tensor {
    return this.run(() => cholesky(this.covarianceMatrixParameter()));
  }
  /** log |Σ| = 2 Σ log diag L_C + Σ log d. */
  private logDet(): tf.Tensor {
    return tf.add(tf.mul(2, tf.sum(tf.log(diagPart(this.capacitanceTril)), -1)), tf.sum(tf.log(this.covDiag), -1));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const r = tf.sub(x, this.loc);
    const rDinv = tf.div(r, this.covDiag);
    const v = matVec(transposeLast(this.covFactor), rDinv); // Wᵀ D⁻¹ r
    const u = triangularSolveVec(this.capacitanceTril, v);
    const m = tf.sub(tf.sum(tf.mul(r, rDinv), -1), tf.sum(tf.square(u), -1));
    return tf.mul(-0.5, tf.add(tf.add(m, this.logDet()), this.eventShape[0]! * LOG_2PI));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const d = this.eventShape[0]!;
    const rank = this.covFactor.shape[this.covFactor.rank - 1]!;
    const eps = tf.randomNormal([...shape.slice(0, -1), rank + d], 0, 1, 'float32', seed);
    const lead = Array(shape.length - 1).fill(0);
    const e1 = tf.slice(eps, [...lead, 0], [...shape.slice(0, -1), rank]);
    const e2 = tf.slice(eps, [...lead, rank], [...shape.slice(0, -1), d]);
    return tf.add(tf.add(this.loc, matVec(this.covFactor, e1)), tf.mul(tf.sqrt(this.covDiag), e2));
  }
  /** μ. */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** μ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** diag Σ = Σᵣ W²ᵢᵣ + dᵢ. */
  protected override _variance(): tf.Tensor {
    return tf.add(tf.sum(tf.square(this.covFactor), -1), this.covDiag);
  }
  /** H = ½(D(1 + log 2π) + log |Σ|). */
  protected override _entropy(): tf.Tensor {
    return tf.mul(0.5, tf.add(this.logDet(), this.eventShape[0]! * (1 + LOG_2PI)));
  }
}
