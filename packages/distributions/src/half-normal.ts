import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, nonNegative, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { erfinv, quantile } from './quantile.js';
import { gradFreeMask, log1pSquare } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link HalfNormal} and {@link HalfCauchy}. */
export interface HalfScaleParams {
  /** Scale σ > 0 of the folded distribution. */
  scale: TensorLike;
}

/** The shared base of the folded families: one positive `scale`, support x ≥ 0, reparameterized. */
export abstract class HalfScaleDistribution extends Distribution {
  /** The parameters: `scale`, positive. */
  static readonly parameters = declareParameters({ scale: { constraint: positive } });
  /** σ, broadcast to the batch shape. */
  readonly scale: tf.Tensor;
  protected constructor(name: string, params: HalfScaleParams, options: DistributionOptions) {
    const p = prepareParameters(name, HalfScaleDistribution.parameters, params, resolveValidateArgs(name, options));
    super(p, options);
    this.scale = p.tensors.scale;
  }
  override get support(): Constraint {
    return nonNegative;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** 0. */
  protected override _mode(): tf.Tensor {
    return tf.zerosLike(this.scale);
  }
}

const LOG_SQRT_2_OVER_PI = 0.5 * Math.log(2 / Math.PI);

/**
 * The half-normal distribution |X|, X ~ N(0, σ²), on x ≥ 0:
 *
 * log p(x) = ½ log(2/π) − log σ − x²/(2σ²).
 *
 * Reparameterized: `rsample` returns |σ·ε|, ε ~ N(0, 1).
 */
export class HalfNormal extends HalfScaleDistribution {
  constructor(params: HalfScaleParams, options: DistributionOptions = {}) {
    super('HalfNormal', params, options);
  }
  /** F⁻¹(q) = σ√2·erf⁻¹(q). */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => tf.mul(tf.mul(this.scale, Math.SQRT2), erfinv(p)));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return tf.sub(
      tf.sub(LOG_SQRT_2_OVER_PI, tf.log(this.scale)),
      tf.div(tf.square(x), tf.mul(2, tf.square(this.scale))),
    );
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return tf.abs(tf.mul(this.scale, tf.randomNormal(shape, 0, 1, 'float32', seed)));
  }
  /** σ√(2/π). */
  protected override _mean(): tf.Tensor {
    return tf.mul(this.scale, Math.sqrt(2 / Math.PI));
  }
  /** σ²(1 − 2/π). */
  protected override _variance(): tf.Tensor {
    return tf.mul(tf.square(this.scale), 1 - 2 / Math.PI);
  }
  /** H = ½ log(πσ²/2) + ½. */
  protected override _entropy(): tf.Tensor {
    return tf.add(tf.log(this.scale), 0.5 * Math.log(Math.PI / 2) + 0.5);
  }
  /** F(x) = erf(x/(σ√2)) for x ≥ 0. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return tf.erf(tf.div(tf.relu(x), tf.mul(this.scale, Math.SQRT2)));
  }
}

/**
 * The half-Cauchy distribution |X|, X ~ Cauchy(0, σ), on x ≥ 0:
 *
 * log p(x) = log 2 − log π − log σ − log(1 + (x/σ)²).
 *
 * Reparameterized: `rsample` returns σ·tan(πu/2). Mean and variance +∞ (torch).
 */
export class HalfCauchy extends HalfScaleDistribution {
  constructor(params: HalfScaleParams, options: DistributionOptions = {}) {
    super('HalfCauchy', params, options);
  }
  /** F⁻¹(q) = σ·tan(πq/2). */
  icdf(q: TensorLike): tf.Tensor {
    // tan(πp/2), as 1/tan(π(1 − p)/2) above ½ (1 − p exact): +∞ at p = 1, where tan of float32 π/2 is finite and
    // negative (the direct form gave −22,877,332)
    return quantile(this, q, (p) =>
      tf.tidy(() => {
        const high = gradFreeMask([p], (v) => tf.greater(v, 0.5));
        const low = tf.tan(tf.mul(Math.PI / 2, tf.where(high, tf.fill(p.shape, 0.5), p)));
        const up = tf.reciprocal(tf.tan(tf.mul(Math.PI / 2, tf.sub(1, tf.where(high, p, tf.fill(p.shape, 0.5))))));
        return tf.mul(this.scale, tf.where(high, up, low));
      }),
    );
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return tf.sub(tf.sub(Math.log(2 / Math.PI), tf.log(this.scale)), log1pSquare(tf.div(x, this.scale)));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return tf.mul(this.scale, tf.tan(tf.mul(Math.PI / 2, tf.randomUniform(shape, 0, 1, 'float32', seed))));
  }
  /** +∞. */
  protected override _mean(): tf.Tensor {
    return tf.fill([...this.batchShape], Infinity);
  }
  /** +∞. */
  protected override _variance(): tf.Tensor {
    return tf.fill([...this.batchShape], Infinity);
  }
  /** H = log(2πσ). */
  protected override _entropy(): tf.Tensor {
    return tf.add(tf.log(this.scale), Math.log(2 * Math.PI));
  }
  /** F(x) = (2/π)·atan(x/σ) for x ≥ 0. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return tf.mul(2 / Math.PI, tf.atan(tf.div(tf.relu(x), this.scale)));
  }
}
