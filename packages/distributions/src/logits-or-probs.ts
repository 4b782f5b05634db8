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
