import type * as tf from '@tensorflow/tfjs-core';
import { type Constraint, real } from './constraints.js';
import { declareParameters, type ParameterDeclaration, type PreparedParams, prepareParameters } from './parameters.js';
import { binaryLogits, type LogitsOrProbsParams } from './logits-or-probs.js';

/** The declaration of a binary family: `logits` (real) or `probs` (in `probsConstraint`), exactly one. */
export function binaryParameters(probsConstraint: Constraint): ParameterDeclaration<'logits' | 'probs'> {
  return declareParameters({ logits: { constraint: real }, probs: { constraint: probsConstraint } }, [
    ['logits'],
    ['probs'],
  ]);
}

/**
 * Prepares `{ logits }` or `{ probs }` (see {@link prepareParameters}) and returns the log-odds
 * ℓ = log p − log(1 − p) (probabilities 0 and 1 map to ∓∞), owned by the prepared parameters.
 * @throws ArgumentError when both or neither are given, or a value breaks its constraint.
 */
export function prepareBinaryLogits(
  owner: string,
  decl: ParameterDeclaration<'logits' | 'probs'>,
  params: LogitsOrProbsParams,
  validate: boolean,
): { prepared: PreparedParams<'logits' | 'probs'>; logits: tf.Tensor } {
  const prepared = prepareParameters(owner, decl, params, validate);
  return { prepared, logits: binaryLogits(prepared.tensors, prepared.owned) };
}
