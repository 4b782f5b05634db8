import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { logGammaRsample } from './implicit-reparam.js';
import { igamma, igammaInv } from './incomplete-gamma.js';
import { quantile } from './quantile.js';
import { FLOAT32_TINY, logGammaTensor } from './sampling.js';
import { digamma, gradFreeMask, lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** α from which Gamma's entropy takes its Stirling form (see `Gamma._entropy`). */
const GAMMA_ENTROPY_SERIES_FROM = 100;

/** Parameters of {@link Gamma}. */
export interface GammaParams {
  /** Shape α > 0. */
  concentration: TensorLike;
  /** Rate β > 0 (inverse scale). */
  rate: TensorLike;
}

/**
 * The gamma distribution with concentration α and rate β, on x > 0:
 *
 * log p(x) = α log β + (α − 1) log x − βx − log Γ(α).
 *
 * `sample` draws Gamma(α, 1) on the CPU (Marsaglia–Tsang, in log space for α < 1 so tiny α does not underflow
 * before the division by β; draws are clamped to the smallest float32 > 0). `rsample` returns the same draws with
 * pathwise gradients: with respect to β through x = G/β, with respect to α by implicit reparameterization
 * (Figurnov et al. 2018; see {@link logGammaRsample}). `cdf` is P(α, βx) and `icdf` its inverse (see {@link igamma}).
 * The constructor's options and validation are those of every family.
 */
export class Gamma extends Distribution {
  /** The parameters: `concentration` and `rate`, both positive. */
  static readonly parameters = declareParameters({
    concentration: { constraint: positive },
    rate: { constraint: positive },
  });
  /** α, broadcast to the batch shape. */
  readonly concentration: tf.Tensor;
  /** β, broadcast to the batch shape. */
  readonly rate: tf.Tensor;

  constructor(params: GammaParams, options: DistributionOptions = {}) {
    const p = prepareParameters('Gamma', Gamma.parameters, params, resolveValidateArgs('Gamma', options));
    super(p, options);
    this.concentration = p.tensors.concentration;
    this.rate = p.tensors.rate;
  }
  override get support(): Constraint {
    return positive;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const a = this.concentration;
    const logX = tf.log(tf.maximum(x, 1e-45));
    return tf.sub(
      tf.add(tf.mul(a, tf.log(this.rate)), tf.mul(tf.sub(a, 1), logX)),
      tf.add(tf.mul(this.rate, x), lgamma(a)),
    );
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** x = G/β with G ~ Gamma(α, 1) and dG/dα = −(∂P(α, G)/∂α)/f(G) (implicit reparameterization). */
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return tf.maximum(
      tf.exp(tf.sub(logGammaRsample(this.concentration, shape, seed), tf.log(this.rate))),
      FLOAT32_TINY,
    );
  }
  /** F(x) = P(α, βx), the regularized lower incomplete gamma function (0 for x ≤ 0). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return igamma(this.concentration, tf.mul(this.rate, tf.relu(x)));
  }
  /** F⁻¹(q) = P⁻¹(α, q)/β (0 at q = 0, +∞ at q = 1), differentiable in q, α and β. */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => tf.div(igammaInv(this.concentration, p), this.rate));
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const logG = logGammaTensor(this.concentration, shape, seed);
    return tf.maximum(tf.exp(tf.sub(logG, tf.log(this.rate))), FLOAT32_TINY);
  }
  /** E[X] = α/β. */
  protected override _mean(): tf.Tensor {
    return tf.div(this.concentration, this.rate);
  }
  /** Mode max(α − 1, 0)/β. */
  protected override _mode(): tf.Tensor {
    return tf.div(tf.relu(tf.sub(this.concentration, 1)), this.rate);
  }
  /** Var[X] = α/β². */
  protected override _variance(): tf.Tensor {
    return tf.div(this.concentration, tf.square(this.rate));
  }
  /**
   * H = α − log β + log Γ(α) + (1 − α) ψ(α); for α ≥ 100 its Stirling form ½ log(2πeα) − 1/(3α) − 1/(12α²) − 1/(90α³)
   * − log β (error below 1e-8), since the terms of the first, of size α log α, cancel in float32 (α = 10⁶ gave 8 for
   * 8.3267, α = 10¹⁰ gave −7168 for 12.93). Each branch sees a safe α where it is not used.
   */
  protected override _entropy(): tf.Tensor {
    const a = this.concentration;
    const large = gradFreeMask([a], (v) => tf.greaterEqual(v, GAMMA_ENTROPY_SERIES_FROM));
    const small = tf.where(large, tf.onesLike(a), a);
    const exact = tf.add(small, tf.add(lgamma(small), tf.mul(tf.sub(1, small), digamma(small))));
    const big = tf.where(large, a, tf.fill(a.shape, GAMMA_ENTROPY_SERIES_FROM));
    const inv = tf.reciprocal(big);
    const correction = tf.mul(inv, tf.add(1 / 3, tf.mul(inv, tf.add(1 / 12, tf.mul(inv, 1 / 90)))));
    const series = tf.sub(tf.mul(0.5, tf.add(tf.log(big), Math.log(2 * Math.PI) + 1)), correction);
    return tf.sub(tf.where(large, series, exact), tf.log(this.rate));
  }
}
