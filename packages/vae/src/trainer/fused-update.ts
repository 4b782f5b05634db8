import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { showValue } from '../show-value.js';
import { checkLossTerms } from './model-contract.js';
import type { FusedGradients, LossTerms } from './trainable-model.js';

/**
 * Applies a model's tape-free step ({@link FusedGradients}) as `optimizer.minimize` applies the tape's: the
 * gradients, in the order of the trained variables, go to `applyGradients`, then are freed. Returns the step's terms
 * (the caller owns them). Checks the contract first; on any error every tensor of `fused` is freed.
 * @throws ArgumentError naming the model when a gradient is missing or misshapen, or the terms are not scalars.
 */
export function applyFusedGradients(
  fused: FusedGradients,
  optimizer: tf.Optimizer,
  trainable: readonly tf.Variable[],
  names: readonly string[],
): LossTerms {
  if (!isFusedGradients(fused)) {
    freeTensorsOf(fused);
    throw new ArgumentError(
      'model',
      `fit: model.fusedGradients() must return undefined or { terms, grads: Map<variable name, tensor> }, got ${showValue(fused)}`,
    );
  }
  const { terms, grads } = fused;
  try {
    checkLossTerms(terms);
    const named = trainable.map((v, i) => {
      const name = names[i]!;
      const tensor = grads.get(name);
      if (tensor instanceof tf.Tensor && tensor.isDisposed) {
        throw new ArgumentError(
          'model',
          `fit: model.fusedGradients() gave a disposed gradient for "${name}" (a Map of gradients built inside tf.tidy loses them when the tidy ends: build it outside, or tf.keep each gradient)`,
        );
      }
      if (!(tensor instanceof tf.Tensor) || !tf.util.arraysEqual(tensor.shape, v.shape)) {
        throw new ArgumentError(
          'model',
          `fit: model.fusedGradients() must give a gradient of shape [${v.shape.join(', ')}] for "${name}", got ${
            tensor instanceof tf.Tensor
              ? `[${tensor.shape.join(', ')}]`
              : tensor === undefined
                ? 'none'
                : showValue(tensor)
          }`,
        );
      }
      return { name: v.name, tensor };
    });
    optimizer.applyGradients(named);
  } catch (e) {
    tf.dispose([terms.loss, terms.reconstruction, terms.kl].filter((t): t is tf.Scalar => t instanceof tf.Tensor));
    throw e;
  } finally {
    // one by one: tf.dispose would walk the array as a container first
    for (const t of grads.values()) if (t instanceof tf.Tensor) t.dispose();
  }
  return terms;
}

/** Whether a model's return value has the shape of {@link FusedGradients} (its contents are checked afterwards). */
function isFusedGradients(v: unknown): v is FusedGradients {
  const o = v as Partial<FusedGradients> | null;
  return (
    typeof o === 'object' && o !== null && typeof o.terms === 'object' && o.terms !== null && o.grads instanceof Map
  );
}

/** Frees the tensors a malformed return value holds (one level into its terms and grads: a Map, array or object). */
function freeTensorsOf(v: unknown): void {
  if (typeof v !== 'object' || v === null) return;
  const o = v as { terms?: unknown; grads?: unknown };
  const found: unknown[] = [];
  for (const part of [o.terms, o.grads]) {
    if (part instanceof Map) found.push(...part.values());
    else if (typeof part === 'object' && part !== null) found.push(...Object.values(part));
  }
  tf.dispose(found.filter((t): t is tf.Tensor => t instanceof tf.Tensor && !t.isDisposed));
}
