import * as tf from '@tensorflow/tfjs-core';
import type { TensorLike } from './tensor-like.js';

/**
 * Exactly one of `logits` or `probs` (the two parameterizations of Bernoulli-like and categorical families). For
 * binary families ℓ = log p − log(1 − p); for categorical ones the last axis holds the K categories and `logits` are
 * unnormalized log-probabilities.
 */
export type LogitsOrProbsParams =
  | {
      /** Log-odds (binary) or unnormalized log-probabilities (categorical). */
      logits: TensorLike;
      /** Only in the other parameterization. */
      probs?: never;
    }
  | {
      /** Probabilities: p ∈ [0, 1] (binary) or non-negative weights over the categories (normalized). */
      probs: TensorLike;
      /** Only in the other parameterization. */
      logits?: never;
    };

/**
 * The log-odds of a binary family from its prepared parameters: `logits` as given, or ℓ = log p − log(1 − p) made
 * from `probs` (0 and 1 map to ∓∞) and pushed onto `owned` (the distribution disposes it).
 */
export function binaryLogits(tensors: { logits?: tf.Tensor; probs?: tf.Tensor }, owned: tf.Tensor[]): tf.Tensor {
  if (tensors.logits !== undefined) return tensors.logits;
  const probs = tensors.probs!;
  const logits = tf.tidy(() => tf.sub(tf.log(probs), tf.log1p(tf.neg(probs))));
  owned.push(logits);
  return logits;
}

/**
 * Normalized log-probabilities ℓ − logΣexp(ℓ) over the last axis of a categorical family's prepared `logits` or
 * `probs` (log p, normalized), pushed onto `owned` (the distribution disposes them).
 */
export function categoricalLogits(tensors: { logits?: tf.Tensor; probs?: tf.Tensor }, owned: tf.Tensor[]): tf.Tensor {
  const logits = tf.tidy(() => {
    const raw = tensors.logits ?? tf.log(tensors.probs!);
    return tf.sub(raw, tf.logSumExp(raw, -1, true));
  });
  owned.push(logits);
  return logits;
}
