import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
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
  const { terms, grads } = fused;
  try {
    checkLossTerms(terms);
    const named = trainable.map((v, i) => {
      const name = names[i]!;
      const tensor = grads.get(name);
      if (!tensor || tensor.isDisposed || !tf.util.arraysEqual(tensor.shape, v.shape)) {
        throw new ArgumentError(
          'model',
          `fit: model.fusedGradients() must give a gradient of shape [${v.shape.join(', ')}] for "${name}", got ${
            tensor ? `[${tensor.shape.join(', ')}]` : 'none'
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
    tf.dispose([...grads.values()]);
  }
  return terms;
}
