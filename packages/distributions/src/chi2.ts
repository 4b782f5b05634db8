import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, nonNegative, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { logGammaRsample } from './implicit-reparam.js';
import { igamma, igammaInv } from './incomplete-gamma.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { quantile } from './quantile.js';
import { digamma, lgamma, xlogy } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Chi2}. */
export interface Chi2Params {
  /** Degrees of freedom k > 0. */
  df: TensorLike;
}

/**
 * The χ² distribution with k degrees of freedom, Gamma(k/2, rate ½), on x ≥ 0:
 *
 * log p(x) = (k/2 − 1) log x − x/2 − (k/2) log 2 − log Γ(k/2).
 *
 * `cdf` = P(k/2, x/2) and `icdf` through the regularized incomplete gamma function; `rsample` = 2G, G ~ Gamma(k/2, 1)
 * with implicit reparameterization gradients (Figurnov et al. 2018) to k.
 */
export class Chi2 extends Distribution {
  /** The parameters: `df`, positive. */
  static readonly parameters = declareParameters({ df: { constraint: positive } });
  /** k, broadcast to the batch shape. */
  readonly df: tf.Tensor;

  constructor(params: Chi2Params, options: DistributionOptions = {}) {
    const p = prepareParameters('Chi2', Chi2.parameters, params, resolveValidateArgs('Chi2', options));
    super(p, options);
    this.df = p.tensors.df;
  }
  override get support(): Constraint {
    return nonNegative;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** F⁻¹(q) = 2·P⁻¹(k/2, q). */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) =>
      tf.mul(2, igammaInv(tf.add(tf.mul(0.5, this.df), tf.zerosLike(p)), tf.add(p, tf.zerosLike(this.df)))),
    );
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const h = tf.mul(0.5, this.df);
    return tf.sub(tf.sub(xlogy(tf.sub(h, 1), x), tf.mul(0.5, x)), tf.add(tf.mul(h, Math.LN2), lgamma(h)));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return tf.mul(2, tf.exp(logGammaRsample(tf.mul(0.5, this.df), shape, seed)));
  }
  /** k. */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.df);
  }
  /** max(k − 2, 0). */
  protected override _mode(): tf.Tensor {
    return tf.relu(tf.sub(this.df, 2));
  }
  /** 2k. */
  protected override _variance(): tf.Tensor {
    return tf.mul(2, this.df);
  }
  /** H = k/2 + log 2 + log Γ(k/2) + (1 − k/2)ψ(k/2). */
  protected override _entropy(): tf.Tensor {
    const h = tf.mul(0.5, this.df);
    return tf.add(tf.add(tf.add(h, Math.LN2), lgamma(h)), tf.mul(tf.sub(1, h), digamma(h)));
  }
  /** F(x) = P(k/2, x/2). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    const h = tf.add(tf.mul(0.5, this.df), tf.zerosLike(x));
    return igamma(h, tf.add(tf.mul(0.5, tf.relu(x)), tf.zerosLike(this.df)));
  }
}
