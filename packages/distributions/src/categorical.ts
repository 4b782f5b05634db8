import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { type Constraint, independent, integerInterval, nonNegative, real } from './constraints.js';
import { Distribution, type DistributionOptions, type PreparedParams } from './distribution.js';
import { gradFreeMask } from './special.js';
import type { TensorLike } from './tensor-like.js';

/** Parameters of {@link Categorical} and {@link OneHotCategorical}: exactly one of `logits` or `probs`, last axis = categories. */
export type CategoricalParams =
  | {
      /** Log-odds ℓ (p = σ(ℓ)). */
      logits: TensorLike;
      /** Only in the other parameterization. */
      probs?: never;
    }
  | {
      /** Probability p. */
      probs: TensorLike;
      /** Only in the other parameterization. */
      logits?: never;
    };

/** Argument constraints shared by the categorical families (`probs` are normalized, so only ≥ 0 is required). */
export const categoricalArgConstraints = {
  /** `logits`: unnormalized log-probabilities, real along the last axis. */
  logits: independent(real, 1),
  /** `probs`: non-negative weights along the last axis (normalized by the distribution). */
  probs: independent(nonNegative, 1),
} as const;

/**
 * Validates `logits`/`probs`, and returns normalized log-probabilities (logits − logSumExp(logits)) of shape
 * `[...batch, K]` with the batch shape and K. Zero probabilities give −∞ log-probabilities.
 */
export function prepareCategorical(
  owner: string,
  params: CategoricalParams,
  validate: boolean,
  prepare: (p: Record<string, TensorLike>) => PreparedParams<string>,
): { logits: tf.Tensor; batchShape: number[]; k: number } {
  if ((params.logits === undefined) === (params.probs === undefined)) {
    throw new ArgumentError('logits', `${owner}: pass exactly one of "logits" or "probs"`);
  }
  const name = params.logits !== undefined ? 'logits' : 'probs';
  const value = (params.logits ?? params.probs)!;
  if (typeof value === 'number' || (value instanceof tf.Tensor && value.rank === 0)) {
    throw new ShapeError(name, `${owner}: "${name}" must have a last axis of categories, got a scalar`);
  }
  const p = prepare({ [name]: (params.logits ?? params.probs)! });
  const t = p.tensors[name]!;
  const k = t.shape[t.shape.length - 1];
  if (k === undefined || k < 1) {
    for (const o of p.owned) o.dispose();
    throw new ShapeError(name, `${owner}: "${name}" must have a last axis of categories, got shape [${t.shape.join(', ')}]`);
  }
  if (validate && name === 'probs') {
    const total = tf.tidy(() => tf.min(tf.sum(t, -1)).dataSync()[0]!);
    if (!(total > 0)) {
      for (const o of p.owned) o.dispose();
      throw new ArgumentError('probs', `${owner}: "probs" must have a positive sum along the last axis, got ${total}`);
    }
  }
  const logits = tf.tidy(() => {
    const raw = name === 'logits' ? t : tf.log(t);
    return tf.sub(raw, tf.logSumExp(raw, -1, true));
  });
  for (const o of p.owned) o.dispose();
  return { logits, batchShape: t.shape.slice(0, -1), k };
}

/** Draws category indices of shape `[...sampleShape, ...batch]` from normalized logits `[...batch, K]` (float32). */
export function sampleCategoricalIndices(logits: tf.Tensor, sampleShape: number[], seed: number | undefined): tf.Tensor {
  const k = logits.shape[logits.shape.length - 1]!;
  const batch = logits.shape.slice(0, -1);
  const n = sampleShape.reduce((a, b) => a * b, 1);
  const b = batch.reduce((a, c) => a * c, 1);
  if (n === 0 || b === 0) return tf.zeros([...sampleShape, ...batch]);
  const draws = tf.multinomial(tf.reshape(logits, [b, k]) as tf.Tensor2D, n, seed); // [b, n]
  return tf.reshape(tf.cast(tf.transpose(draws), 'float32'), [...sampleShape, ...batch]);
}

/** −Σₖ pₖ log pₖ along the last axis, with 0·log 0 = 0. */
export function categoricalEntropy(logits: tf.Tensor): tf.Tensor {
  const p = tf.exp(logits);
  return tf.neg(tf.sum(tf.where(gradFreeMask([p], (v) => tf.greater(v, 0)), tf.mul(p, logits), tf.zerosLike(p)), -1));
}

/**
 * The categorical distribution over {0, …, K − 1}; the last axis of `logits`/`probs` indexes the categories and the
 * leading axes are batch axes (event shape `[]`):
 *
 * log p(k) = ℓₖ − log Σⱼ e^{ℓⱼ}.
 *
 * `probs` need not be normalized. Support: integers in [0, K − 1] (validated, or −∞ with `validateArgs: false`).
 * `sample` uses `tf.multinomial`. Mean and variance are not defined (category labels are not numbers): they throw
 * NotImplementedError. No `rsample`.
 */
export class Categorical extends Distribution {
  /** Constraints on the constructor parameters, by name: validation reads them (torch's `arg_constraints`). */
  static readonly argConstraints = categoricalArgConstraints;
  /** Normalized log-probabilities, shape `[...batchShape, K]`. */
  readonly logits: tf.Tensor;
  /** The number of categories K. */
  readonly numCategories: number;

  constructor(params: CategoricalParams, options: DistributionOptions = {}) {
    const validate = options.validateArgs ?? true;
    const c = prepareCategorical('Categorical', params, validate, (p) =>
      Distribution.prepareParams('Categorical', p, Categorical.argConstraints, validate),
    );
    super(c.batchShape, [], options, [c.logits]);
    this.logits = c.logits;
    this.numCategories = c.k;
  }
  override get argConstraints(): Readonly<Record<string, Constraint>> {
    return Categorical.argConstraints;
  }
  override get support(): Constraint {
    return integerInterval(0, this.numCategories - 1);
  }
  /** Probabilities softmax(ℓ), shape `[...batchShape, K]`. */
  probs(): tf.Tensor {
    return tf.exp(this.logits);
  }
  protected override _params(): Record<string, tf.Tensor> {
    return { logits: this.logits };
  }
  protected override _withParams(params: Record<string, tf.Tensor>, options: DistributionOptions): Distribution {
    return new Categorical(params as unknown as CategoricalParams, options);
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const mask = tf.cast(tf.oneHot(tf.cast(x, 'int32'), this.numCategories), 'bool');
    return tf.sum(tf.where(mask, this.logits, tf.scalar(0)), -1);
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
