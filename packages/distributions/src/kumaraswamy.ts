import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, positive, unitInterval } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { EULER_GAMMA } from './gumbel.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { quantile } from './quantile.js';
import { digamma, expm1, gradFreeMask, lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Kumaraswamy} (torch's names). */
export interface KumaraswamyParams {
  /** a > 0, the exponent of x. */
  concentration1: TensorLike;
  /** b > 0, the exponent of 1 − xᵃ. */
  concentration0: TensorLike;
}

/**
 * The Kumaraswamy distribution on [0, 1], a Beta look-alike with a closed-form cdf and quantile:
 *
 * log p(x) = log a + log b + (a − 1) log x + (b − 1) log(1 − xᵃ),  F(x) = 1 − (1 − xᵃ)ᵇ.
 *
 * Reparameterized: `rsample` returns F⁻¹(u) = (1 − (1 − u)^{1/b})^{1/a}.
 */
export class Kumaraswamy extends Distribution {
  /** The parameters: `concentration1` (a) and `concentration0` (b), positive. */
  static readonly parameters = declareParameters({
    concentration1: { constraint: positive },
    concentration0: { constraint: positive },
  });
  /** a, broadcast to the batch shape. */
  readonly concentration1: tf.Tensor;
  /** b, broadcast to the batch shape. */
  readonly concentration0: tf.Tensor;

  constructor(params: KumaraswamyParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'Kumaraswamy',
      Kumaraswamy.parameters,
      params,
      resolveValidateArgs('Kumaraswamy', options),
    );
    super(p, options);
    this.concentration1 = p.tensors.concentration1;
    this.concentration0 = p.tensors.concentration0;
  }
  override get support(): Constraint {
    return unitInterval;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** F⁻¹(q) = (1 − (1 − q)^{1/b})^{1/a}. */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => this.fromLog1mU(tf.log1p(tf.neg(p))));
  }
  /** (1 − e^{log(1−u)/b})^{1/a}, computed as (−expm1(log(1 − u)/b))^{1/a}. */
  private fromLog1mU(log1mU: tf.Tensor): tf.Tensor {
    return tf.pow(tf.neg(expm1(tf.div(log1mU, this.concentration0))), tf.reciprocal(this.concentration1));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const logX = tf.log(x);
    const log1mXa = tf.log1p(tf.neg(tf.exp(tf.mul(a, logX))));
    return tf.add(tf.add(tf.add(tf.log(a), tf.log(b)), tf.mul(tf.sub(a, 1), logX)), tf.mul(tf.sub(b, 1), log1mXa));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return this.fromLog1mU(tf.log1p(tf.neg(tf.randomUniform(shape, 0, 1, 'float32', seed))));
  }
  /** E[Xⁿ] = b·B(1 + n/a, b) = b·Γ(1 + n/a)Γ(b)/Γ(1 + b + n/a). */
  private moment(n: number): tf.Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const s = tf.add(1, tf.div(n, a));
    return tf.mul(b, tf.exp(tf.sub(tf.add(lgamma(s), lgamma(b)), lgamma(tf.add(s, b)))));
  }
  /** b·B(1 + 1/a, b). */
  protected override _mean(): tf.Tensor {
    return this.moment(1);
  }
  /** ((a − 1)/(ab − 1))^{1/a} for a, b ≥ 1 (not both 1); NaN (not unique) otherwise. */
  protected override _mode(): tf.Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const ok = gradFreeMask([a, b], (av, bv) =>
      tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(av, 1), tf.greaterEqual(bv!, 1)), tf.greater(tf.mul(av, bv!), 1)),
    );
    const aSafe = tf.where(ok, a, tf.fill(a.shape, 2));
    const bSafe = tf.where(ok, b, tf.fill(b.shape, 2));
    const m = tf.pow(tf.div(tf.sub(aSafe, 1), tf.sub(tf.mul(aSafe, bSafe), 1)), tf.reciprocal(aSafe));
    return tf.where(ok, m, tf.fill(m.shape, NaN));
  }
  /** E[X²] − E[X]². */
  protected override _variance(): tf.Tensor {
    return tf.sub(this.moment(2), tf.square(this.moment(1)));
  }
  /** H = (1 − 1/b) + (1 − 1/a)(ψ(b + 1) + γ) − log a − log b. */
  protected override _entropy(): tf.Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const h = tf.add(digamma(tf.add(b, 1)), EULER_GAMMA);
    return tf.sub(
      tf.add(tf.sub(1, tf.reciprocal(b)), tf.mul(tf.sub(1, tf.reciprocal(a)), h)),
      tf.add(tf.log(a), tf.log(b)),
    );
  }
  /** F(x) = 1 − (1 − xᵃ)ᵇ. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    const xc = tf.clipByValue(x, 0, 1);
    return tf.neg(expm1(tf.mul(this.concentration0, tf.log1p(tf.neg(tf.pow(xc, this.concentration1))))));
  }
}
