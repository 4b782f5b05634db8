import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@varia/core';
import { type Constraint, independent, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import type { TensorLike } from './tensor-like.js';

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
  /** Constraints on the constructor parameters, by name: validation reads them (torch's `arg_constraints`). */
  static readonly argConstraints = {
    /** `loc`: real. */
    loc: real,
    /** `scaleDiag`: positive. */
    scaleDiag: positive,
  } as const;
  /** μ, shape `[...batchShape, D]`. */
  readonly loc: tf.Tensor;
  /** σ, shape `[...batchShape, D]`. */
  readonly scaleDiag: tf.Tensor;

  constructor(params: MultivariateNormalDiagParams, options: DistributionOptions = {}) {
    const p = Distribution.prepareParams(
      'MultivariateNormalDiag',
      { loc: params.loc, scaleDiag: params.scaleDiag },
      MultivariateNormalDiag.argConstraints,
      options.validateArgs ?? true,
    );
    const d = p.shape[p.shape.length - 1];
    if (d === undefined) {
      for (const t of p.owned) t.dispose();
      throw new ShapeError('loc', 'MultivariateNormalDiag: "loc" must have at least one axis (the event dimension), got a scalar');
    }
    super(p.shape.slice(0, -1), [d], options, p.owned);
    this.loc = p.tensors.loc;
    this.scaleDiag = p.tensors.scaleDiag;
  }
  override get argConstraints(): Readonly<Record<string, Constraint>> {
    return MultivariateNormalDiag.argConstraints;
  }
  override get support(): Constraint {
    return independent(real, 1);
  }
  override get hasRsample(): boolean {
    return true;
  }
  protected override _params(): Record<string, tf.Tensor> {
    return { loc: this.loc, scaleDiag: this.scaleDiag };
  }
  protected override _withParams(params: Record<string, tf.Tensor>, options: DistributionOptions): Distribution {
    return new MultivariateNormalDiag(params as unknown as MultivariateNormalDiagParams, options);
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
