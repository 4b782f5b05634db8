import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, oneHot } from './constraints.js';
import {
  categoricalEntropy,
  categoricalParameters,
  oneHotFloat,
  type CategoricalParams,
  prepareCategorical,
  sampleCategoricalIndices,
} from './categorical.js';
import { Distribution, type DistributionOptions } from './distribution.js';

/**
 * The categorical distribution over one-hot vectors of length K (event shape `[K]`):
 *
 * log p(x) = Σₖ xₖ·(ℓₖ − log Σⱼ e^{ℓⱼ}).
 *
 * Parameters as {@link Categorical}. Support: one-hot vectors (validated, or −∞ with `validateArgs: false`).
 * Mean = probabilities, variance pₖ(1 − pₖ). No `rsample` (see {@link ContinuousBernoulli} or a relaxed family).
 */
export class OneHotCategorical extends Distribution {
  /** The parameters: `logits` or `probs` over the last axis (see `categoricalParameters`). */
  static readonly parameters = categoricalParameters;
  /** Normalized log-probabilities, shape `[...batchShape, K]`. */
  readonly logits: tf.Tensor;
  /** The number of categories K. */
  readonly numCategories: number;

  constructor(params: CategoricalParams, options: DistributionOptions = {}) {
    const c = prepareCategorical('OneHotCategorical', params, options);
    super({ ...c.prepared, eventShape: [c.k] }, options);
    this.logits = c.logits;
    this.numCategories = c.k;
  }
  override get support(): Constraint {
    return oneHot;
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  /** The K one-hot vectors: `enumerateSupport()` has shape `[K, ...batchShape, K]`. */
  protected override _enumerateSupport(): tf.Tensor {
    return this.supportShaped(tf.eye(this.numCategories));
  }
  /** Probabilities softmax(ℓ), shape `[...batchShape, K]` (a new tensor). */
  probsParameter(): tf.Tensor {
    return this.run(() => tf.exp(this.logits));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    // where, not x·ℓ: a zero-probability category has ℓ = −∞ and 0·(−∞) would be NaN.
    return tf.sum(tf.where(tf.greater(x, 0.5), this.logits, tf.scalar(0)), -1);
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const sampleShape = shape.slice(0, shape.length - this.batchShape.length - 1);
    const idx = sampleCategoricalIndices(this.logits, sampleShape, seed);
    return oneHotFloat(idx, this.numCategories);
  }
  /** E[X] = p. */
  protected override _mean(): tf.Tensor {
    return tf.exp(this.logits);
  }
  /** One-hot vector of argmax ℓ. */
  protected override _mode(): tf.Tensor {
    return oneHotFloat(tf.argMax(this.logits, -1), this.numCategories);
  }
  /** Var[Xₖ] = pₖ(1 − pₖ). */
  protected override _variance(): tf.Tensor {
    const p = tf.exp(this.logits);
    return tf.mul(p, tf.sub(1, p));
  }
  /** H = −Σₖ pₖ log pₖ. */
  protected override _entropy(): tf.Tensor {
    return categoricalEntropy(this.logits);
  }
}
