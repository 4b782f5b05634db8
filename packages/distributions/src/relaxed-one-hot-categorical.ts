import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, positive, simplex } from './constraints.js';
import { categoricalParameters } from './categorical.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { FLOAT32_ONE_MINUS_EPS, FLOAT32_TINY } from './sampling.js';
import { lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { categoricalLogits, type LogitsOrProbsParams } from './logits-or-probs.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link RelaxedOneHotCategorical}: a `temperature` and exactly one of `logits` or `probs` over K categories. */
export type RelaxedOneHotCategoricalParams = {
  /** Temperature τ > 0 (→ 0: the one-hot categorical it relaxes), one per batch member. */
  temperature: TensorLike;
} & LogitsOrProbsParams;

/**
 * The relaxed one-hot categorical (Concrete / Gumbel-softmax; Maddison et al. 2017, Jang et al. 2017) on the open
 * simplex: a reparameterizable relaxation of OneHotCategorical(softmax(ℓ)) that approaches it as the temperature
 * τ → 0 — what makes discrete latents trainable. With v = log x:
 *
 * log p(x) = log Γ(K) + (K − 1) log τ + Σᵢ (sᵢ − logΣexp(s)) − Σᵢ vᵢ,  sᵢ = ℓᵢ − τvᵢ
 *
 * (torch's `RelaxedOneHotCategorical`: an `ExpRelaxedCategorical` pushed through exp). `rsample` is the Gumbel-softmax
 * softmax((ℓ + g)/τ) with g standard Gumbel noise. Anneal τ from ~1 towards ~0.5 during training (Jang et al.). No
 * closed-form moments or entropy.
 */
export class RelaxedOneHotCategorical extends Distribution {
  /** The parameters: `temperature` (positive, per batch member) with `logits` or `probs` (vectors over K). */
  static readonly parameters = declareParameters(
    { temperature: { constraint: positive }, ...categoricalParameters.properties },
    [
      ['temperature', 'logits'],
      ['temperature', 'probs'],
    ],
  );
  /** τ, broadcast to the batch shape. */
  readonly temperature: tf.Tensor;
  /** Normalized logits ℓ − logΣexp(ℓ), shape `[...batchShape, K]`. */
  readonly logits: tf.Tensor;

  constructor(params: RelaxedOneHotCategoricalParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'RelaxedOneHotCategorical',
      RelaxedOneHotCategorical.parameters,
      params,
      resolveValidateArgs('RelaxedOneHotCategorical', options),
    );
    const logits = categoricalLogits(p.tensors, p.owned);
    super({ ...p, eventShape: p.shape.slice(-1) }, options);
    this.temperature = p.tensors.temperature;
    this.logits = logits;
  }
  override get support(): Constraint {
    return simplex;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** softmax(ℓ) of the categorical it relaxes (a new tensor). */
  probsParameter(): tf.Tensor {
    return this.run(() => tf.exp(this.logits));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const k = this.eventShape[0]!;
    const t = tf.expandDims(this.temperature, -1);
    const v = tf.log(x);
    const s = tf.sub(this.logits, tf.mul(v, t));
    const score = tf.sum(tf.sub(s, tf.logSumExp(s, -1, true)), -1);
    const logScale = tf.add(lgamma(tf.fill(this.temperature.shape, k)), tf.mul(k - 1, tf.log(this.temperature)));
    return tf.sub(tf.add(score, logScale), tf.sum(v, -1));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const u = tf.randomUniform(shape, FLOAT32_TINY, FLOAT32_ONE_MINUS_EPS, 'float32', seed);
    const gumbel = tf.neg(tf.log(tf.neg(tf.log(u))));
    const scores = tf.div(tf.add(this.logits, gumbel), tf.expandDims(this.temperature, -1));
    return tf.clipByValue(tf.softmax(scores), FLOAT32_TINY, 1);
  }
}
