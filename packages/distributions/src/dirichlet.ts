import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, independent, positive, simplex } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { logGammaRsample } from './implicit-reparam.js';
import { FLOAT32_TINY, logGammaTensor } from './sampling.js';
import { digamma, lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Dirichlet}. */
export interface DirichletParams {
  /** Concentrations αᵢ > 0 along the last axis (K ≥ 2 categories); leading axes are batch axes. */
  concentration: TensorLike;
}

/**
 * The Dirichlet distribution on the (K − 1)-simplex; event shape `[K]` (the last axis of `concentration`):
 *
 * log p(x) = Σᵢ (αᵢ − 1) log xᵢ − (Σᵢ log Γ(αᵢ) − log Γ(α₀)),  α₀ = Σᵢ αᵢ.
 *
 * Support: vectors with entries ≥ 0 summing to 1 within 1e-5. `sample` normalizes Gamma(αᵢ) draws in log space
 * (softmax of log-gammas; no underflow for tiny α). `rsample` is the same with the implicit reparameterization
 * gradient of each Gamma draw (Figurnov et al. 2018): Dirichlet latents train by the pathwise gradient.
 */
export class Dirichlet extends Distribution {
  /** The parameters: `concentration`, positive, a vector (event rank 1) per distribution. */
  static readonly parameters = declareParameters({
    concentration: { constraint: independent(positive, 1), eventRank: 1 },
  });
  /** α, shape `[...batchShape, K]`. */
  readonly concentration: tf.Tensor;

  constructor(params: DirichletParams, options: DistributionOptions = {}) {
    const p = prepareParameters('Dirichlet', Dirichlet.parameters, params, resolveValidateArgs('Dirichlet', options));
    super({ ...p, eventShape: p.shape.slice(-1) }, options);
    this.concentration = p.tensors.concentration;
  }
  override get support(): Constraint {
    return simplex;
  }
  private logNormalizer(): tf.Tensor {
    return tf.sub(tf.sum(lgamma(this.concentration), -1), lgamma(tf.sum(this.concentration, -1)));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const logX = tf.log(tf.maximum(x, 1e-45));
    return tf.sub(tf.sum(tf.mul(tf.sub(this.concentration, 1), logX), -1), this.logNormalizer());
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** softmax(log G), Gᵢ ~ Gamma(αᵢ), each log Gᵢ with its implicit reparameterization gradient. */
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return tf.maximum(tf.softmax(logGammaRsample(this.concentration, shape, seed)), FLOAT32_TINY);
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    return tf.maximum(tf.softmax(logGammaTensor(this.concentration, shape, seed)), FLOAT32_TINY);
  }
  /** E[Xᵢ] = αᵢ/α₀. */
  protected override _mean(): tf.Tensor {
    return tf.div(this.concentration, tf.sum(this.concentration, -1, true));
  }
  /** Mode (αᵢ − 1)/(α₀ − K) when all αᵢ > 1; NaN otherwise. */
  protected override _mode(): tf.Tensor {
    const k = this.eventShape[0]!;
    const m = tf.div(tf.sub(this.concentration, 1), tf.sub(tf.sum(this.concentration, -1, true), k));
    const ok = tf.all(tf.greater(this.concentration, 1), -1, true);
    return tf.where(tf.broadcastTo(ok, m.shape), m, tf.fill(m.shape, NaN));
  }
  /** Var[Xᵢ] = αᵢ(α₀ − αᵢ) / (α₀²(α₀ + 1)). */
  protected override _variance(): tf.Tensor {
    const a0 = tf.sum(this.concentration, -1, true);
    // (αᵢ/α₀)((α₀ − αᵢ)/α₀)/(α₀ + 1): the products overflow float32 from concentrations of ~1e19
    const share = tf.div(this.concentration, a0);
    return tf.div(tf.mul(share, tf.div(tf.sub(a0, this.concentration), a0)), tf.add(a0, 1));
  }
  /** H = log B(α) + (α₀ − K)ψ(α₀) − Σᵢ (αᵢ − 1)ψ(αᵢ). */
  protected override _entropy(): tf.Tensor {
    const k = this.eventShape[0]!;
    const a0 = tf.sum(this.concentration, -1);
    return tf.sub(
      tf.add(this.logNormalizer(), tf.mul(tf.sub(a0, k), digamma(a0))),
      tf.sum(tf.mul(tf.sub(this.concentration, 1), digamma(this.concentration)), -1),
    );
  }
}
