import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { quantile } from './quantile.js';
import { gradFreeMask } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Pareto}. */
export interface ParetoParams {
  /** Scale xₘ > 0: the smallest value. */
  scale: TensorLike;
  /** Tail index α > 0. */
  alpha: TensorLike;
}

/** `t` where `mask`, else +∞, with t computed from a safe α where masked out (no NaN gradients). */
function finiteWhere(alpha: tf.Tensor, above: number, f: (a: tf.Tensor) => tf.Tensor): tf.Tensor {
  const ok = gradFreeMask([alpha], (a) => tf.greater(a, above));
  const v = f(tf.where(ok, alpha, tf.fill(alpha.shape, above + 1)));
  return tf.where(ok, v, tf.fill(v.shape, Infinity));
}

/**
 * The Pareto (type I) distribution on x ≥ xₘ:
 *
 * log p(x) = log α + α log xₘ − (α + 1) log x.
 *
 * Reparameterized: `rsample` returns xₘ·(1 − u)^{−1/α}. Mean +∞ for α ≤ 1, variance +∞ for α ≤ 2.
 */
export class Pareto extends Distribution {
  /** The parameters: `scale` and `alpha`, positive. */
  static readonly parameters = declareParameters({ scale: { constraint: positive }, alpha: { constraint: positive } });
  /** xₘ, broadcast to the batch shape. */
  readonly scale: tf.Tensor;
  /** α, broadcast to the batch shape. */
  readonly alpha: tf.Tensor;

  constructor(params: ParetoParams, options: DistributionOptions = {}) {
    const p = prepareParameters('Pareto', Pareto.parameters, params, resolveValidateArgs('Pareto', options));
    super(p, options);
    this.scale = p.tensors.scale;
    this.alpha = p.tensors.alpha;
  }
  /** x ≥ scale. */
  override get support(): Constraint {
    return {
      name: 'greaterThanEq(scale)',
      description: '>= scale',
      finite: true,
      eventDims: 0,
      check: (x) => tf.greaterEqual(x, this.scale),
    };
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** F⁻¹(q) = xₘ·(1 − q)^{−1/α}. */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => tf.mul(this.scale, tf.exp(tf.div(tf.neg(tf.log1p(tf.neg(p))), this.alpha))));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return tf.sub(
      tf.add(tf.log(this.alpha), tf.mul(this.alpha, tf.log(this.scale))),
      tf.mul(tf.add(this.alpha, 1), tf.log(x)),
    );
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const e = tf.neg(tf.log1p(tf.neg(tf.randomUniform(shape, 0, 1, 'float32', seed))));
    return tf.mul(this.scale, tf.exp(tf.div(e, this.alpha)));
  }
  /** αxₘ/(α − 1) for α > 1, else +∞. */
  protected override _mean(): tf.Tensor {
    return finiteWhere(this.alpha, 1, (a) => tf.div(tf.mul(a, this.scale), tf.sub(a, 1)));
  }
  /** xₘ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.scale);
  }
  /** xₘ²α/((α − 1)²(α − 2)) for α > 2, else +∞. */
  protected override _variance(): tf.Tensor {
    return finiteWhere(this.alpha, 2, (a) =>
      tf.div(tf.mul(tf.square(this.scale), a), tf.mul(tf.square(tf.sub(a, 1)), tf.sub(a, 2))),
    );
  }
  /** H = log(xₘ/α) + 1/α + 1. */
  protected override _entropy(): tf.Tensor {
    return tf.add(tf.add(tf.log(tf.div(this.scale, this.alpha)), tf.reciprocal(this.alpha)), 1);
  }
  /** F(x) = 1 − (xₘ/x)^α for x ≥ xₘ, else 0. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    const ratio = tf.minimum(tf.div(this.scale, x), 1);
    return tf.sub(1, tf.pow(tf.maximum(ratio, 0), this.alpha));
  }
}
