import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';

/** Activation functions a {@link Dense} layer can apply. */
export type Activation = 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'softplus';

/** The activations fused into `tf.fused.matMul` by tfjs. */
const FUSED = new Set<Activation>(['linear', 'relu', 'sigmoid', 'elu']);

/** Whether the backend can fuse this activation into the matMul. */
export function isFusedActivation(a: Activation): a is 'linear' | 'relu' | 'sigmoid' | 'elu' {
  return FUSED.has(a);
}

/** f(x) for an unfused activation. */
export function applyActivation(a: Activation, x: tf.Tensor): tf.Tensor {
  switch (a) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'elu':
      return tf.elu(x);
    case 'softplus':
      return tf.softplus(x);
    default:
      throw new ArgumentError('activation', `unknown activation "${String(a)}"`);
  }
}

/**
 * f′ expressed through the output y = f(x), so the backward pass needs only the saved output:
 * relu: 1[y > 0]; tanh: 1 − y²; sigmoid: y(1 − y); elu: 1 for y > 0 else y + 1; softplus: 1 − e^{−y}; linear: 1.
 */
export function activationGradFromOutput(a: Activation, y: tf.Tensor): tf.Tensor | null {
  switch (a) {
    case 'linear':
      return null;
    case 'relu':
      return tf.step(y, 0);
    case 'tanh':
      return tf.sub(1, tf.square(y));
    case 'sigmoid':
      return tf.mul(y, tf.sub(1, y));
    case 'elu':
      return tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1));
    case 'softplus':
      return tf.sub(1, tf.exp(tf.neg(y)));
    default:
      throw new ArgumentError('activation', `unknown activation "${String(a)}"`);
  }
}

/** Checks an activation name. */
export function assertActivation(a: unknown, argument = 'activation'): asserts a is Activation {
  if (!['linear', 'relu', 'tanh', 'sigmoid', 'elu', 'softplus'].includes(a as string)) {
    throw new ArgumentError(
      argument,
      `"${argument}" must be one of linear, relu, tanh, sigmoid, elu, softplus; got ${JSON.stringify(a)}`,
    );
  }
}
