import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, positive } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { LocScaleDistribution, type LocScaleParams } from './loc-scale.js';
import { ndtri } from './normal-quantile.js';
import { quantile } from './quantile.js';
import type { TensorLike } from './tensor-like.js';
import { expm1 } from './special.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Parameters of {@link LogNormal}: those of the underlying normal of log X. */
export type LogNormalParams = LocScaleParams;

/**
 * The log-normal distribution: X = e^Y with Y ~ N(μ, σ²), on x > 0:
 *
 * log p(x) = −log x − log σ − ½ log 2π − (log x − μ)² / (2σ²).
 *
 * Reparameterized: `rsample` returns exp(μ + σ·ε). Support x > 0 (validated, or −∞ with `validateArgs: false`).
 */
export class LogNormal extends LocScaleDistribution {
  constructor(params: LogNormalParams, options: DistributionOptions = {}) {
    super('LogNormal', params, options);
  }
  override get support(): Constraint {
    return positive;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const logX = tf.log(tf.maximum(x, 1e-45));
    const z = tf.div(tf.sub(logX, this.loc), this.scale);
    return tf.neg(tf.add(tf.add(tf.mul(0.5, tf.square(z)), logX), tf.add(tf.log(this.scale), HALF_LOG_2PI)));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return tf.exp(tf.add(this.loc, tf.mul(this.scale, tf.randomNormal(shape, 0, 1, 'float32', seed))));
  }
  /** E[X] = exp(μ + σ²/2). */
  protected override _mean(): tf.Tensor {
    return tf.exp(tf.add(this.loc, tf.mul(0.5, tf.square(this.scale))));
  }
  /** Mode exp(μ − σ²). */
  protected override _mode(): tf.Tensor {
    return tf.exp(tf.sub(this.loc, tf.square(this.scale)));
  }
  /** Var[X] = (e^{σ²} − 1)·e^{2μ + σ²} (with an accurate e^{σ²} − 1 for small σ). */
  protected override _variance(): tf.Tensor {
    const s2 = tf.square(this.scale);
    return tf.mul(expm1(s2), tf.exp(tf.add(tf.mul(2, this.loc), s2)));
  }
  /** H = μ + ½ + log σ + ½ log 2π. */
  protected override _entropy(): tf.Tensor {
    return tf.add(tf.add(this.loc, tf.log(this.scale)), 0.5 + HALF_LOG_2PI);
  }
  /** F⁻¹(q) = exp(μ + σ·Φ⁻¹(q)) (0 at q = 0, +∞ at q = 1). */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => tf.exp(tf.add(this.loc, tf.mul(this.scale, ndtri(p)))));
  }
  /** F(x) = ½ (1 + erf((log x − μ) / (σ√2))) for x > 0, 0 otherwise. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    const logX = tf.log(tf.maximum(x, 1e-45));
    const f = tf.mul(0.5, tf.add(1, tf.erf(tf.div(tf.sub(logX, this.loc), tf.mul(this.scale, Math.SQRT2)))));
    return tf.where(tf.lessEqual(x, 0), tf.zerosLike(f), f);
  }
}
