import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, openUnitInterval, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { logGammaRsample } from './implicit-reparam.js';
import { betainc, betaincInv } from './incomplete-beta.js';
import { quantile } from './quantile.js';
import { FLOAT32_ONE_MINUS_EPS, FLOAT32_TINY, logGammaTensor, subSeed } from './sampling.js';
import { digamma, lbeta } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Beta} (torch's names). */
export interface BetaParams {
  /** a > 0, the exponent of x (torch's `concentration1`). */
  concentration1: TensorLike;
  /** b > 0, the exponent of 1 − x (torch's `concentration0`). */
  concentration0: TensorLike;
}

/**
 * The beta distribution on (0, 1):
 *
 * log p(x) = (a − 1) log x + (b − 1) log(1 − x) − log B(a, b).
 *
 * `sample` draws X/(X + Y) with X ~ Gamma(a), Y ~ Gamma(b) as σ(log X − log Y) (no underflow for tiny a, b),
 * clamped to [tiny, 1 − 2⁻²⁴]. `rsample` is the same with the implicit reparameterization gradient of each Gamma
 * (Figurnov et al. 2018). `cdf` is I_x(a, b) and `icdf` its inverse (double precision on the host; see {@link betainc}).
 * Float32: log B(a, b) cancels for a, b ≳ 1e3; expect ~1e-6·(a + b) absolute error there.
 */
export class Beta extends Distribution {
  /** The parameters: `concentration1` and `concentration0`, both positive. */
  static readonly parameters = declareParameters({
    concentration1: { constraint: positive },
    concentration0: { constraint: positive },
  });
  /** a, broadcast to the batch shape. */
  readonly concentration1: tf.Tensor;
  /** b, broadcast to the batch shape. */
  readonly concentration0: tf.Tensor;

  constructor(params: BetaParams, options: DistributionOptions = {}) {
    const p = prepareParameters('Beta', Beta.parameters, params, resolveValidateArgs('Beta', options));
    super(p, options);
    this.concentration1 = p.tensors.concentration1;
    this.concentration0 = p.tensors.concentration0;
  }
  override get support(): Constraint {
    return openUnitInterval;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const xs = tf.clipByValue(x, 1e-45, 1);
    return tf.sub(
      tf.add(
        tf.mul(tf.sub(this.concentration1, 1), tf.log(xs)),
        tf.mul(tf.sub(this.concentration0, 1), tf.log1p(tf.neg(xs))),
      ),
      lbeta(this.concentration1, this.concentration0),
    );
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** X = σ(log G₁ − log G₂), G₁ ~ Gamma(a), G₂ ~ Gamma(b), each with its implicit reparameterization gradient. */
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const logX = logGammaRsample(this.concentration1, shape, subSeed(seed, 0));
    const logY = logGammaRsample(this.concentration0, shape, subSeed(seed, 1));
    return tf.clipByValue(tf.sigmoid(tf.sub(logX, logY)), FLOAT32_TINY, FLOAT32_ONE_MINUS_EPS);
  }
  /** F(x) = I_x(a, b), the regularized incomplete beta function (0 below 0, 1 above 1). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return betainc(this.concentration1, this.concentration0, tf.clipByValue(x, 0, 1));
  }
  /** F⁻¹(q) = I⁻¹_q(a, b), differentiable in q, a and b. */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => betaincInv(this.concentration1, this.concentration0, p));
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const logX = logGammaTensor(this.concentration1, shape, subSeed(seed, 0));
    const logY = logGammaTensor(this.concentration0, shape, subSeed(seed, 1));
    return tf.clipByValue(tf.sigmoid(tf.sub(logX, logY)), FLOAT32_TINY, FLOAT32_ONE_MINUS_EPS);
  }
  /** E[X] = a/(a + b). */
  protected override _mean(): tf.Tensor {
    return tf.div(this.concentration1, tf.add(this.concentration1, this.concentration0));
  }
  /** Mode (a − 1)/(a + b − 2) for a, b > 1; NaN otherwise (not unique or at the boundary). */
  protected override _mode(): tf.Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const m = tf.div(tf.sub(a, 1), tf.sub(tf.add(a, b), 2));
    return tf.where(tf.logicalAnd(tf.greater(a, 1), tf.greater(b, 1)), m, tf.fill(m.shape, NaN));
  }
  /** Var[X] = ab / ((a + b)²(a + b + 1)). */
  protected override _variance(): tf.Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const s = tf.add(a, b);
    // (a/s)(b/s)/(s + 1): a·b and s² overflow float32 from concentrations of ~1e19 (NaN at 1e20 for 1.25e-21)
    return tf.div(tf.mul(tf.div(a, s), tf.div(b, s)), tf.add(s, 1));
  }
  /** H = log B(a, b) − (a − 1)ψ(a) − (b − 1)ψ(b) + (a + b − 2)ψ(a + b). */
  protected override _entropy(): tf.Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const s = tf.add(a, b);
    return tf.add(
      tf.sub(lbeta(a, b), tf.add(tf.mul(tf.sub(a, 1), digamma(a)), tf.mul(tf.sub(b, 1), digamma(b)))),
      tf.mul(tf.sub(s, 2), digamma(s)),
    );
  }
}
