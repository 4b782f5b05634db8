import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, openUnitInterval, positive, real, unitInterval } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { FLOAT32_ONE_MINUS_EPS, FLOAT32_TINY } from './sampling.js';
import type { TensorLike } from './tensor-like.js';
import { binaryLogits, type LogitsOrProbsParams } from './logits-or-probs.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link RelaxedBernoulli}: a `temperature` and exactly one of `logits` or `probs`. */
export type RelaxedBernoulliParams = {
  /** Temperature τ > 0 (→ 0: the Bernoulli it relaxes). */
  temperature: TensorLike;
} & LogitsOrProbsParams;

/**
 * The relaxed Bernoulli (binary Concrete; Maddison, Mnih & Teh 2017; Jang, Gu & Poole 2017) on (0, 1): a continuous,
 * reparameterizable stand-in for Bernoulli(σ(ℓ)) that approaches it as the temperature τ → 0. With y = logit(x),
 * d = ℓ − τy:
 *
 * log p(x) = log τ + d − 2·softplus(d) + softplus(y) + softplus(−y)
 *
 * (torch's `RelaxedBernoulli`: a `LogitRelaxedBernoulli` pushed through the sigmoid). `rsample` returns
 * σ((ℓ + log u − log(1 − u))/τ), u ~ U(0, 1), clipped into the open interval. No closed-form moments or entropy.
 */
export class RelaxedBernoulli extends Distribution {
  /** The parameters: `temperature` (positive) with `logits` (real) or `probs` (in [0, 1]). */
  static readonly parameters = declareParameters(
    { temperature: { constraint: positive }, logits: { constraint: real }, probs: { constraint: unitInterval } },
    [
      ['temperature', 'logits'],
      ['temperature', 'probs'],
    ],
  );
  /** τ, broadcast to the batch shape. */
  readonly temperature: tf.Tensor;
  /** Log-odds ℓ, broadcast to the batch shape. */
  readonly logits: tf.Tensor;

  constructor(params: RelaxedBernoulliParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'RelaxedBernoulli',
      RelaxedBernoulli.parameters,
      params,
      resolveValidateArgs('RelaxedBernoulli', options),
    );
    const logits = binaryLogits(p.tensors, p.owned);
    super(p, options);
    this.temperature = p.tensors.temperature;
    this.logits = logits;
  }
  override get support(): Constraint {
    return openUnitInterval;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** p = σ(ℓ) of the Bernoulli it relaxes (a new tensor). */
  probsParameter(): tf.Tensor {
    return this.run(() => tf.sigmoid(this.logits));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const y = tf.sub(tf.log(x), tf.log1p(tf.neg(x)));
    const d = tf.sub(this.logits, tf.mul(this.temperature, y));
    const logitDensity = tf.sub(tf.add(tf.log(this.temperature), d), tf.mul(2, tf.softplus(d)));
    return tf.add(logitDensity, tf.add(tf.softplus(y), tf.softplus(tf.neg(y))));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const u = tf.randomUniform(shape, FLOAT32_TINY, FLOAT32_ONE_MINUS_EPS, 'float32', seed);
    const y = tf.div(tf.add(this.logits, tf.sub(tf.log(u), tf.log1p(tf.neg(u)))), this.temperature);
    return tf.clipByValue(tf.sigmoid(y), FLOAT32_TINY, FLOAT32_ONE_MINUS_EPS);
  }
}
