import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, real } from './constraints.js';
import type { DistributionOptions } from './distribution.js';
import { LocScaleDistribution, type LocScaleParams } from './loc-scale.js';
import { quantile } from './quantile.js';
import { gradFreeMask, log1pSquare } from './special.js';
import type { TensorLike } from './tensor-like.js';

/** Parameters of {@link Cauchy}. */
export type CauchyParams = LocScaleParams;

/**
 * The Cauchy (Lorentz) distribution:
 *
 * log p(x) = −log π − log σ − log(1 + ((x − μ)/σ)²).
 *
 * Reparameterized: `rsample` returns μ + σ·tan(π(u − ½)). Mean undefined (NaN), variance +∞, as torch.
 */
export class Cauchy extends LocScaleDistribution {
  constructor(params: CauchyParams, options: DistributionOptions = {}) {
    super('Cauchy', params, options);
  }
  override get support(): Constraint {
    return real;
  }
  /** F⁻¹(q) = μ + σ·tan(π(q − ½)). */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => tf.add(this.loc, tf.mul(this.scale, cauchyQuantile(p))));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const z = tf.div(tf.sub(x, this.loc), this.scale);
    return tf.neg(tf.add(tf.add(tf.log(this.scale), Math.log(Math.PI)), log1pSquare(z)));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const u = tf.randomUniform(shape, 0, 1, 'float32', seed);
    return tf.add(this.loc, tf.mul(this.scale, tf.tan(tf.mul(Math.PI, tf.sub(u, 0.5)))));
  }
  /** Undefined: NaN. */
  protected override _mean(): tf.Tensor {
    return tf.fill([...this.batchShape], NaN);
  }
  /** μ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** +∞. */
  protected override _variance(): tf.Tensor {
    return tf.fill([...this.batchShape], Infinity);
  }
  /** H = log(4πσ). */
  protected override _entropy(): tf.Tensor {
    return tf.add(tf.log(this.scale), Math.log(4 * Math.PI));
  }
  /** F(x) = ½ + atan((x − μ)/σ)/π. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return tf.add(0.5, tf.div(tf.atan(tf.div(tf.sub(x, this.loc), this.scale)), Math.PI));
  }
}

/**
 * The standard Cauchy quantile tan(π(p − ½)) in float32 without its cancellations: tan(π(p − ½)) for p ∈ [¼, ¾]
 * (p − ½ exact), −1/tan(πp) below and 1/tan(π(1 − p)) above (1 − p exact for p ≥ ½), so the tails keep p's relative
 * precision (p = 10⁻⁷ gives −3,183,099, not −5,135,917) and p = 0 and 1 give −∞ and +∞ (tan of float32 π/2 is
 * finite and negative: the direct form gave +22,877,332 at p = 0). The branches not taken see p = ½ and ¼.
 */
export function cauchyQuantile(p: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const low = gradFreeMask([p], (v) => tf.less(v, 0.25));
    const high = gradFreeMask([p], (v) => tf.greater(v, 0.75));
    const tails = gradFreeMask([p], (v) => tf.logicalOr(tf.less(v, 0.25), tf.greater(v, 0.75)));
    const central = tf.tan(tf.mul(Math.PI, tf.sub(tf.where(tails, tf.fill(p.shape, 0.5), p), 0.5)));
    const below = tf.neg(tf.reciprocal(tf.tan(tf.mul(Math.PI, tf.where(low, p, tf.fill(p.shape, 0.25))))));
    const above = tf.reciprocal(tf.tan(tf.mul(Math.PI, tf.sub(1, tf.where(high, p, tf.fill(p.shape, 0.75))))));
    return tf.where(low, below, tf.where(high, above, central));
  });
}
