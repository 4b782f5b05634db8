import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import type { Constraint } from './constraints.js';
import { Distribution } from './distribution.js';
import type { TensorLike } from './tensor-like.js';

/** The parameters of a family given by log-odds or by a probability: exactly one of the two. */
export type LogitsOrProbs = { logits: TensorLike; probs?: never } | { probs: TensorLike; logits?: never };

/**
 * Validates and converts `{ logits }` or `{ probs }` to log-odds ℓ = log p − log(1 − p) (probabilities 0 and 1 map to
 * ∓∞), broadcast and validated against `constraints.logits` / `constraints.probs`. Used by the Bernoulli families.
 * @returns the logits, the batch shape and the tensors the distribution must own.
 * @throws ArgumentError when both or neither are given, or a value breaks its constraint.
 */
export function prepareBinaryLogits(
  owner: string,
  params: LogitsOrProbs,
  constraints: Readonly<Record<string, Constraint>>,
  validate: boolean,
): { logits: tf.Tensor; shape: number[]; owned: tf.Tensor[] } {
  if ((params.logits === undefined) === (params.probs === undefined)) {
    throw new ArgumentError('logits', `${owner}: pass exactly one of "logits" or "probs"`);
  }
  if (params.logits !== undefined) {
    const p = Distribution.prepareParams(owner, { logits: params.logits }, constraints, validate);
    return { logits: p.tensors.logits, shape: p.shape, owned: p.owned };
  }
  const p = Distribution.prepareParams(owner, { probs: params.probs! }, constraints, validate);
  const logits = tf.tidy(() => tf.sub(tf.log(p.tensors.probs), tf.log1p(tf.neg(p.tensors.probs))));
  for (const t of p.owned) t.dispose();
  return { logits, shape: p.shape, owned: [logits] };
}
