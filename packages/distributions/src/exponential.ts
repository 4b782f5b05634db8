import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, nonNegative, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { quantile } from './quantile.js';
import { expm1 } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Exponential}. */
export interface ExponentialParams {
  /** Rate λ > 0 (mean 1/λ). */
  rate: TensorLike;
}

/**
 * The exponential distribution on x ≥ 0:
 *
 * log p(x) = log λ − λx.
 *
 * Reparameterized: `rsample` returns −log(1 − u)/λ with u ~ U[0, 1).
 */
export class Exponential extends Distribution {
  /** The parameters: `rate`, positive. */
  static readonly parameters = declareParameters({ rate: { constraint: positive } });
  /** λ, broadcast to the batch shape. */
  readonly rate: tf.Tensor;

  constructor(params: ExponentialParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'Exponential',
      Exponential.parameters,
      params,
      resolveValidateArgs('Exponential', options),
    );
    super(p, options);
    this.rate = p.tensors.rate;
  }
  override get support(): Constraint {
    return nonNegative;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** F⁻¹(q) = −log(1 − q)/λ. */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => tf.div(tf.neg(tf.log1p(tf.neg(p))), this.rate));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return tf.sub(tf.log(this.rate), tf.mul(this.rate, x));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return tf.div(tf.neg(tf.log1p(tf.neg(tf.randomUniform(shape, 0, 1, 'float32', seed)))), this.rate);
  }
  /** 1/λ. */
  protected override _mean(): tf.Tensor {
    return tf.reciprocal(this.rate);
  }
  /** 0. */
  protected override _mode(): tf.Tensor {
    return tf.zerosLike(this.rate);
  }
  /** 1/λ². */
  protected override _variance(): tf.Tensor {
    return tf.reciprocal(tf.square(this.rate));
  }
  /** H = 1 − log λ. */
  protected override _entropy(): tf.Tensor {
    return tf.sub(1, tf.log(this.rate));
  }
  /** F(x) = 1 − e^{−λx} (0 for x < 0). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return tf.neg(expm1(tf.neg(tf.mul(this.rate, tf.relu(x)))));
  }
}
