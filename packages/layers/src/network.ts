import type * as tf from '@tensorflow/tfjs-core';
import type { ApplyOptions } from './dense.js';
import type { Module } from './module.js';

/** Options of {@link Network.apply}. */
export interface NetworkApplyOptions extends ApplyOptions {
  /**
   * Training mode (default false): dropout drops and batch normalization normalizes with the batch's statistics and
   * updates its moving statistics; in inference mode dropout is the identity and batch normalization uses the moving
   * statistics. The Trainer switches it through the model's `setTraining`.
   */
  training?: boolean;
  /**
   * The covariate feature block c [n, F] of a conditional model (one-hot levels, embeddings and continuous values, in
   * declaration order), given to a network that reads covariates; absent otherwise. A network reads it as a second
   * input, e.g. h = f([x, c]).
   */
  covariates?: tf.Tensor;
}

/**
 * A network f mapping a batch x of shape [n, ...inputShape] to features h = f(x) of shape [n, outputDim]: what the
 * encoder and the decoder of a VAE are (a distribution head then turns h into q(z|x) or p(x|z)). It owns its
 * variables: the trainable ones by stable name ({@link Module.namedVariables}), and non-trainable state that training
 * changes, such as batch normalization's moving mean and variance ({@link Network.stateVariables}).
 *
 * The built-in {@link MLP} is one; {@link LayersModelNetwork} adapts a `tf.LayersModel`; any object with these
 * members is one too.
 *
 * @example
 * ```ts
 * // a user-written network: h = tanh(x W + b)
 * const w = tf.variable(tf.randomNormal([784, 64], 0, 0.05));
 * const b = tf.variable(tf.zeros([64]));
 * const net: Network = {
 *   outputDim: 64,
 *   apply: (x) => tf.tidy(() => tf.tanh(tf.add(tf.matMul(tf.reshape(x, [-1, 784]), w), b))),
 *   namedVariables: (prefix) => new Map([[`${prefix}/w`, w], [`${prefix}/b`, b]]),
 *   dispose: () => tf.dispose([w, b]),
 * };
 * ```
 */
export interface Network extends Module {
  /** Width of the features: {@link Network.apply} returns [n, outputDim]. */
  readonly outputDim: number;
  /**
   * h = f(x) for x of shape [n, ...inputShape], as [n, outputDim]. Tensors it makes live in the caller's `tf.tidy`
   * scope (or are freed by the network); it never disposes x.
   */
  apply(x: tf.Tensor, options?: NetworkApplyOptions): tf.Tensor2D;
  /**
   * Non-trainable variables that training updates (batch normalization's moving statistics), by stable name like
   * {@link Module.namedVariables}. They are saved with the model and checkpointed, but not given to the optimizer.
   * Absent or empty for a stateless network.
   */
  stateVariables?(prefix?: string): Map<string, tf.Variable>;
}

/** Whether `value` has the members of a {@link Network} (duck typing: any object with them is one). */
export function isNetwork(value: unknown): value is Network {
  const v = value as Partial<Network> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.apply === 'function' &&
    typeof v.namedVariables === 'function' &&
    typeof v.dispose === 'function' &&
    typeof v.outputDim === 'number'
  );
}
