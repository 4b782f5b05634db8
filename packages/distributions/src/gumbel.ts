import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, real } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { LocScaleDistribution, type LocScaleParams } from './loc-scale.js';
import { quantile } from './quantile.js';
import { FLOAT32_TINY } from './sampling.js';
import type { TensorLike } from './tensor-like.js';

/** Euler–Mascheroni constant γ. */
export const EULER_GAMMA = 0.5772156649015329;

/** Parameters of {@link Gumbel}. */
export type GumbelParams = LocScaleParams;

/**
 * The Gumbel (type-I extreme value) distribution, z = (x − μ)/β:
 *
 * log p(x) = −(z + e^{−z}) − log β.
 *
 * Reparameterized: `rsample` returns μ − β·log(−log u), u ~ U(0, 1).
 */
export class Gumbel extends LocScaleDistribution {
  constructor(params: GumbelParams, options: DistributionOptions = {}) {
    super('Gumbel', params, options);
  }
  override get support(): Constraint {
    return real;
  }
  /** F⁻¹(q) = μ − β·log(−log q). */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => tf.sub(this.loc, tf.mul(this.scale, tf.log(tf.neg(tf.log(p))))));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const z = tf.div(tf.sub(x, this.loc), this.scale);
    return tf.neg(tf.add(tf.add(z, tf.exp(tf.neg(z))), tf.log(this.scale)));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const u = tf.randomUniform(shape, FLOAT32_TINY, 1, 'float32', seed);
    return tf.sub(this.loc, tf.mul(this.scale, tf.log(tf.neg(tf.log(u)))));
  }
  /** μ + βγ. */
  protected override _mean(): tf.Tensor {
    return tf.add(this.loc, tf.mul(this.scale, EULER_GAMMA));
  }
  /** μ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** π²β²/6. */
  protected override _variance(): tf.Tensor {
    return tf.mul(tf.square(this.scale), (Math.PI * Math.PI) / 6);
  }
  /** H = log β + γ + 1. */
  protected override _entropy(): tf.Tensor {
    return tf.add(tf.log(this.scale), EULER_GAMMA + 1);
  }
  /** F(x) = exp(−e^{−(x − μ)/β}). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return tf.exp(tf.neg(tf.exp(tf.neg(tf.div(tf.sub(x, this.loc), this.scale)))));
  }
}
