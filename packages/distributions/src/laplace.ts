import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, real } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { LocScaleDistribution, type LocScaleParams } from './loc-scale.js';
import { quantile } from './quantile.js';
import { expm1, gradFreeMask } from './special.js';
import type { TensorLike } from './tensor-like.js';

/** Parameters of {@link Laplace}. */
export type LaplaceParams = LocScaleParams;

/**
 * The Laplace (double-exponential) distribution:
 *
 * log p(x) = −log(2b) − |x − μ| / b.
 *
 * Reparameterized: `rsample` returns μ − b·sign(u)·log(1 − 2|u|) with u ~ U(−½, ½).
 */
export class Laplace extends LocScaleDistribution {
  constructor(params: LaplaceParams, options: DistributionOptions = {}) {
    super('Laplace', params, options);
  }
  override get support(): Constraint {
    return real;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return tf.neg(tf.add(tf.log(tf.mul(2, this.scale)), tf.div(tf.abs(tf.sub(x, this.loc)), this.scale)));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    // u in (−½, ½), kept away from ±½ so log(1 − 2|u|) stays finite.
    const u = tf.randomUniform(shape, -0.5 + 2 ** -25, 0.5, 'float32', seed);
    return tf.sub(this.loc, tf.mul(tf.mul(this.scale, tf.sign(u)), tf.log1p(tf.mul(-2, tf.abs(u)))));
  }
  /** E[X] = μ. */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** Mode μ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** Var[X] = 2b². */
  protected override _variance(): tf.Tensor {
    return tf.mul(2, tf.square(this.scale));
  }
  /** H = 1 + log(2b). */
  protected override _entropy(): tf.Tensor {
    return tf.add(tf.log(tf.mul(2, this.scale)), 1);
  }
  /**
   * F⁻¹(q) = μ + b·log(2q) for q ≤ ½, μ − b·log(2(1 − q)) above (−∞ at 0, +∞ at 1). Each branch sees a sanitized q
   * (safe where), so the gradient is b/q or b/(1 − q) everywhere, 2b at q = ½ (not 0 as with sign(q − ½)).
   */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => {
      const lower = gradFreeMask([p], (v) => tf.lessEqual(v, 0.5));
      const low = tf.log(tf.mul(2, tf.where(lower, p, tf.fill(p.shape, 0.25))));
      const high = tf.neg(tf.log(tf.mul(2, tf.sub(1, tf.where(lower, tf.fill(p.shape, 0.75), p)))));
      return tf.add(this.loc, tf.mul(this.scale, tf.where(lower, low, high)));
    });
  }
  /** F(x) = ½ − ½·sign(x − μ)·(e^{−|x − μ|/b} − 1). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    const z = tf.sub(x, this.loc);
    return tf.sub(0.5, tf.mul(tf.mul(0.5, tf.sign(z)), expm1(tf.neg(tf.div(tf.abs(z), this.scale)))));
  }
}
