import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Constraint, independent, integerInterval, logitsVector, nonNegative } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, type PreparedParams, prepareParameters } from './parameters.js';
import { FLOAT32_TINY } from './sampling.js';
import { gradFreeMask } from './special.js';
import { categoricalLogits, type LogitsOrProbsParams } from './logits-or-probs.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Categorical} and {@link OneHotCategorical}: exactly one of `logits` or `probs`, last axis = categories. */
export type CategoricalParams = LogitsOrProbsParams;

/**
 * The parameters of the categorical families: `logits` (real or −∞) or `probs` (≥ 0, normalized by the
 * distribution), exactly one, each a vector over the K categories (event rank 1).
 */
export const categoricalParameters = declareParameters(
  {
    logits: { constraint: logitsVector, eventRank: 1 },
    probs: { constraint: independent(nonNegative, 1), eventRank: 1, transform: (x) => tf.softmax(x) },
  },
  [['logits'], ['probs']],
);

/**
 * Prepares `logits`/`probs` (see {@link prepareParameters}) and returns normalized log-probabilities
 * (logits − logSumExp(logits)) of shape `[...batch, K]`, owned by the prepared parameters, with K. Zero probabilities
 * give −∞ log-probabilities.
 * @throws ArgumentError for invalid parameters (also `probs` summing to 0), ShapeError for a scalar.
 */
export function prepareCategorical(
  owner: string,
  params: CategoricalParams,
  options: DistributionOptions,
): { prepared: PreparedParams<'logits' | 'probs'>; logits: tf.Tensor; k: number } {
  const validate = resolveValidateArgs(owner, options);
  const prepared = prepareParameters(owner, categoricalParameters, params, validate);
  const name = prepared.given[0]!;
  const t = prepared.tensors[name];
  if (validate && name === 'probs') {
    const total = tf.tidy(() => tf.min(tf.sum(t, -1)).dataSync()[0]!);
    if (!(total > 0)) {
      for (const o of prepared.owned) o.dispose();
      throw new ArgumentError('probs', `${owner}: "probs" must have a positive sum along the last axis, got ${total}`);
    }
  }
  return { prepared, logits: categoricalLogits(prepared.tensors, prepared.owned), k: t.shape[t.rank - 1]! };
}

/**
 * One-hot float vectors of length k (a new last axis) for the category indices `indices` (float; entries outside
 * {0, …, k − 1} give all-zero vectors). Unlike `tf.oneHot`, any k ≥ 1 works.
 */
export function oneHotFloat(indices: tf.Tensor, k: number): tf.Tensor {
  return tf.cast(tf.equal(tf.expandDims(tf.cast(indices, 'float32'), -1), tf.range(0, k, 1, 'float32')), 'float32');
}

/**
 * Draws category indices of shape `[...sampleShape, ...batch]` from normalized logits `[...batch, K]` (float32), by
 * Gumbel-max: argmaxₖ (ℓₖ + gₖ) with gₖ = −log(−log uₖ), u ~ U(0, 1), one uniform per draw, row and category, so every
 * batch row is drawn independently (tfjs's Multinomial kernel restarts one random stream for every row, which made
 * the rows of one draw identical for identical probabilities). Categories with ℓ = −∞ are never drawn.
 */
export function sampleCategoricalIndices(
  logits: tf.Tensor,
  sampleShape: number[],
  seed: number | undefined,
): tf.Tensor {
  const k = logits.shape[logits.shape.length - 1]!;
  const batch = logits.shape.slice(0, -1);
  const n = sampleShape.reduce((a, b) => a * b, 1);
  const b = batch.reduce((a, c) => a * c, 1);
  if (n === 0 || b === 0 || k === 1) return tf.zeros([...sampleShape, ...batch]);
  const u = tf.randomUniform([n, b, k], FLOAT32_TINY, 1, 'float32', seed);
  const gumbel = tf.neg(tf.log(tf.neg(tf.log(u))));
  const draws = tf.argMax(tf.add(tf.reshape(logits, [1, b, k]), gumbel), -1); // [n, b]
  return tf.reshape(tf.cast(draws, 'float32'), [...sampleShape, ...batch]);
}

/**
 * −Σₖ pₖ log pₖ along the last axis, with 0·log 0 = 0. Safe where: the log-probability of a zero-probability
 * category (−∞) is replaced by 0 before the product, so its gradient is 0, not 0·∞ = NaN.
 */
export function categoricalEntropy(logits: tf.Tensor): tf.Tensor {
  const p = tf.exp(logits);
  const positive = gradFreeMask([p], (v) => tf.greater(v, 0));
  const safeLogits = tf.where(positive, logits, tf.zerosLike(logits));
  return tf.neg(tf.sum(tf.mul(p, safeLogits), -1));
}

/**
 * The categorical distribution over {0, …, K − 1}; the last axis of `logits`/`probs` indexes the categories and the
 * leading axes are batch axes (event shape `[]`):
 *
 * log p(k) = ℓₖ − log Σⱼ e^{ℓⱼ}.
 *
 * `probs` need not be normalized. Support: integers in [0, K − 1] (validated, or −∞ with `validateArgs: false`).
 * `sample` draws by Gumbel-max, every batch row independently. Mean and variance are not defined (category labels
 * are not numbers): they throw NotImplementedError. No `rsample`.
 */
export class Categorical extends Distribution {
  /** The parameters: `logits` or `probs` over the last axis (see `categoricalParameters`). */
  static readonly parameters = categoricalParameters;
  /** Normalized log-probabilities, shape `[...batchShape, K]`. */
  readonly logits: tf.Tensor;
  /** The number of categories K. */
  readonly numCategories: number;

  constructor(params: CategoricalParams, options: DistributionOptions = {}) {
    const c = prepareCategorical('Categorical', params, options);
    super(c.prepared, options);
    this.logits = c.logits;
    this.numCategories = c.k;
  }
  override get support(): Constraint {
    return integerInterval(0, this.numCategories - 1);
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  /** {0, …, K − 1}: `enumerateSupport()` has shape `[K, ...batchShape]`. */
  protected override _enumerateSupport(): tf.Tensor {
    return this.supportShaped(tf.range(0, this.numCategories, 1, 'float32'));
  }
  /** Probabilities softmax(ℓ), shape `[...batchShape, K]` (a new tensor). */
  probsParameter(): tf.Tensor {
    return this.run(() => tf.exp(this.logits));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const mask = tf.cast(oneHotFloat(x, this.numCategories), 'bool');
    return tf.sum(tf.where(mask, this.logits, tf.zerosLike(this.logits)), -1);
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    return sampleCategoricalIndices(this.logits, shape.slice(0, shape.length - this.batchShape.length), seed);
  }
  /** The most likely category, argmax ℓ. */
  protected override _mode(): tf.Tensor {
    return tf.cast(tf.argMax(this.logits, -1), 'float32');
  }
  /** H = −Σₖ pₖ log pₖ. */
  protected override _entropy(): tf.Tensor {
    return categoricalEntropy(this.logits);
  }
}
