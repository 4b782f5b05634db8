import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, real } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { LocScaleDistribution, type LocScaleParams } from './loc-scale.js';
import { ndtri } from './normal-quantile.js';
import { quantile } from './quantile.js';
import { shapesEqual, type TensorLike } from './tensor-like.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * μ + σ·ε as one taped operation (the reparameterized sample of a training step): the forward kernels of the formula
 * and the backward pass of tfjs's autodiff written out — ∂/∂μ = dy, ∂/∂σ = dy·ε — the same bits, with two kernels
 * instead of four and one tape copy instead of two. ε, a fresh draw, is no input (it gets no gradient). Shapes equal.
 */
function locScaleSample(loc: tf.Tensor, scale: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((mu: unknown, sigma: unknown, save: unknown) => {
    (save as tf.GradSaveFunc)([eps]);
    return {
      value: tf.add(mu as tf.Tensor, tf.mul(sigma as tf.Tensor, eps)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.reshape(dy, dy.shape), tf.mul(dy, saved[0]!)],
    };
  }) as unknown as (mu: tf.Tensor, sigma: tf.Tensor) => tf.Tensor;
  return op(loc, scale);
}

/** Parameters of {@link Normal}. */
export type NormalParams = LocScaleParams;

/**
 * The normal (Gaussian) distribution N(μ, σ²):
 *
 * log p(x) = −(x − μ)² / (2σ²) − log σ − ½ log 2π.
 *
 * Reparameterized: `rsample` returns μ + σ·ε with ε ~ N(0, 1).
 *
 * @example
 * ```ts
 * const q = new Normal({ loc: [0, 1], scale: [1, 2] });
 * q.logProb([0.5, 0.5]); // shape [2]
 * ```
 */
export class Normal extends LocScaleDistribution {
  constructor(params: NormalParams, options: DistributionOptions = {}) {
    super('Normal', params, options);
  }
  override get support(): Constraint {
    return real;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const z = tf.div(tf.sub(x, this.loc), this.scale);
    return tf.sub(tf.mul(-0.5, tf.square(z)), tf.add(tf.log(this.scale), HALF_LOG_2PI));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const eps = tf.randomNormal(shape, 0, 1, 'float32', seed);
    if (shapesEqual(this.loc.shape, eps.shape) && shapesEqual(this.scale.shape, eps.shape)) {
      return locScaleSample(this.loc, this.scale, eps);
    }
    return tf.add(this.loc, tf.mul(this.scale, eps));
  }
  protected override _mean(): tf.Tensor {
    return tf.clone(this.loc);
  }
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  protected override _variance(): tf.Tensor {
    return tf.square(this.scale);
  }
  /** H = ½ + ½ log 2π + log σ. */
  protected override _entropy(): tf.Tensor {
    return tf.add(tf.log(this.scale), 0.5 + HALF_LOG_2PI);
  }
  /** F⁻¹(q) = μ + σ·Φ⁻¹(q), Φ⁻¹ in double precision on the host ({@link ndtri}: accurate in the far tails). */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => tf.add(this.loc, tf.mul(this.scale, ndtri(p))));
  }
  /** F(x) = ½ (1 + erf((x − μ) / (σ√2))). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return tf.mul(0.5, tf.add(1, tf.erf(tf.div(tf.sub(x, this.loc), tf.mul(this.scale, Math.SQRT2)))));
  }
}
