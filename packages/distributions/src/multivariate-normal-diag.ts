import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, independent, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Parameters of {@link MultivariateNormalDiag}; the last axis is the event axis (dimension D). */
export interface MultivariateNormalDiagParams {
  /** Mean vector μ, shape `[...batch, D]`. */
  loc: TensorLike;
  /** Diagonal of the scale matrix, σᵢ > 0 (standard deviations), broadcastable to `loc`. */
  scaleDiag: TensorLike;
}

/**
 * The multivariate normal N(μ, diag(σ²)) over ℝᴰ (event shape `[D]`):
 *
 * log p(x) = −Σᵢ [(xᵢ − μᵢ)² / (2σᵢ²) + log σᵢ] − (D/2) log 2π.
 *
 * Equivalent to `Independent(Normal, 1)` but one family (and KL partner). Reparameterized: μ + σ ⊙ ε.
 */
export class MultivariateNormalDiag extends Distribution {
  /** The parameters: `loc` real and `scaleDiag` positive, vectors (event rank 1) over the D dimensions. */
  static readonly parameters = declareParameters({
    loc: { constraint: real, eventRank: 1 },
    scaleDiag: { constraint: positive, eventRank: 1 },
  });
  /** μ, shape `[...batchShape, D]`. */
  readonly loc: tf.Tensor;
  /** σ, shape `[...batchShape, D]`. */
  readonly scaleDiag: tf.Tensor;

  constructor(params: MultivariateNormalDiagParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'MultivariateNormalDiag',
      MultivariateNormalDiag.parameters,
      params,
      resolveValidateArgs('MultivariateNormalDiag', options),
    );
    super({ ...p, eventShape: p.shape.slice(-1) }, options);
    this.loc = p.tensors.loc;
    this.scaleDiag = p.tensors.scaleDiag;
  }
  override get support(): Constraint {
    return independent(real, 1);
  }
  override get hasRsample(): boolean {
    return true;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const z = tf.div(tf.sub(x, this.loc), this.scaleDiag);
    return tf.neg(tf.sum(tf.add(tf.mul(0.5, tf.square(z)), tf.add(tf.log(this.scaleDiag), HALF_LOG_2PI)), -1));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return tf.add(this.loc, tf.mul(this.scaleDiag, tf.randomNormal(shape, 0, 1, 'float32', seed)));
  }
  /** E[X] = μ. */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** Mode μ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** Var[Xᵢ] = σᵢ² (the diagonal of the covariance). */
  protected override _variance(): tf.Tensor {
    return tf.square(this.scaleDiag);
  }
  /** H = Σᵢ log σᵢ + (D/2)(1 + log 2π). */
  protected override _entropy(): tf.Tensor {
    return tf.add(tf.sum(tf.log(this.scaleDiag), -1), this.eventShape[0]! * (0.5 + HALF_LOG_2PI));
  }
}
