import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, nonNegative, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { EULER_GAMMA } from './gumbel.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { quantile } from './quantile.js';
import { expm1, gradFreeMask, lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Weibull}. */
export interface WeibullParams {
  /** Scale λ > 0. */
  scale: TensorLike;
  /** Shape (concentration) k > 0. */
  concentration: TensorLike;
}

/**
 * The Weibull distribution on x ≥ 0:
 *
 * log p(x) = log(k/λ) + (k − 1) log(x/λ) − (x/λ)ᵏ.
 *
 * Reparameterized: `rsample` returns λ·(−log(1 − u))^{1/k}.
 */
export class Weibull extends Distribution {
  /** The parameters: `scale` and `concentration`, positive. */
  static readonly parameters = declareParameters({
    scale: { constraint: positive },
    concentration: { constraint: positive },
  });
  /** λ, broadcast to the batch shape. */
  readonly scale: tf.Tensor;
  /** k, broadcast to the batch shape. */
  readonly concentration: tf.Tensor;

  constructor(params: WeibullParams, options: DistributionOptions = {}) {
    const p = prepareParameters('Weibull', Weibull.parameters, params, resolveValidateArgs('Weibull', options));
    super(p, options);
    this.scale = p.tensors.scale;
    this.concentration = p.tensors.concentration;
  }
  override get support(): Constraint {
    return nonNegative;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** F⁻¹(q) = λ·(−log(1 − q))^{1/k}. */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => this.fromExponential(tf.neg(tf.log1p(tf.neg(p)))));
  }
  private fromExponential(e: tf.Tensor): tf.Tensor {
    return tf.mul(this.scale, tf.pow(e, tf.reciprocal(this.concentration)));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const k = this.concentration;
    const logZ = tf.sub(tf.log(x), tf.log(this.scale));
    return tf.sub(tf.add(tf.log(tf.div(k, this.scale)), tf.mul(tf.sub(k, 1), logZ)), tf.exp(tf.mul(k, logZ)));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return this.fromExponential(tf.neg(tf.log1p(tf.neg(tf.randomUniform(shape, 0, 1, 'float32', seed)))));
  }
  /** λ·Γ(1 + 1/k). */
  protected override _mean(): tf.Tensor {
    return tf.mul(this.scale, tf.exp(lgamma(tf.add(1, tf.reciprocal(this.concentration)))));
  }
  /** λ((k − 1)/k)^{1/k} for k > 1, else 0. */
  protected override _mode(): tf.Tensor {
    const k = this.concentration;
    const peaked = gradFreeMask([k], (v) => tf.greater(v, 1));
    const kSafe = tf.where(peaked, k, tf.fill(k.shape, 2));
    const m = tf.mul(this.scale, tf.pow(tf.div(tf.sub(kSafe, 1), kSafe), tf.reciprocal(kSafe)));
    return tf.where(peaked, m, tf.zerosLike(m));
  }
  /** λ²(Γ(1 + 2/k) − Γ(1 + 1/k)²). */
  protected override _variance(): tf.Tensor {
    const inv = tf.reciprocal(this.concentration);
    const g1 = lgamma(tf.add(1, inv));
    const g2 = lgamma(tf.add(1, tf.mul(2, inv)));
    // Γ₂ − Γ₁² = Γ₁²·(e^{g₂ − 2g₁} − 1), without cancellation for large k
    return tf.mul(tf.square(this.scale), tf.mul(tf.exp(tf.mul(2, g1)), expm1(tf.sub(g2, tf.mul(2, g1)))));
  }
  /** H = γ(1 − 1/k) + log(λ/k) + 1. */
  protected override _entropy(): tf.Tensor {
    const k = this.concentration;
    return tf.add(tf.add(tf.mul(EULER_GAMMA, tf.sub(1, tf.reciprocal(k))), tf.log(tf.div(this.scale, k))), 1);
  }
  /** F(x) = 1 − exp(−(x/λ)ᵏ). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return tf.neg(expm1(tf.neg(tf.pow(tf.div(tf.relu(x), this.scale), this.concentration))));
  }
}
