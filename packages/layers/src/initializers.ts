import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, type Rng, standardNormal } from '@varia/core';

/**
 * How a dense layer's kernel and bias are initialised:
 * - `'torch'` (default): PyTorch's `nn.Linear` default, W, b ~ U(−1/√fanIn, 1/√fanIn)
 *   (kaiming-uniform with a = √5 gives exactly this bound for the kernel);
 * - `'glorot-uniform'`: W ~ U(−√(6/(fanIn+fanOut)), +…), b = 0 (Keras' default);
 * - `'he-normal'`: W ~ N(0, 2/fanIn), b = 0;
 * - `'zeros'`: W = 0, b = 0 (for output layers that should start at the prior).
 */
export type Initializer = 'torch' | 'glorot-uniform' | 'he-normal' | 'zeros';

/** Kernel [fanIn, fanOut] and bias [fanOut] values drawn from `rng` according to `init`. */
export function initialDenseValues(
  init: Initializer,
  fanIn: number,
  fanOut: number,
  rng: Rng,
): {
  /** Kernel values, row-major [fanIn, fanOut]. */
  kernel: Float32Array;
  /** Bias values [fanOut]. */
  bias: Float32Array;
} {
  const kernel = new Float32Array(fanIn * fanOut);
  const bias = new Float32Array(fanOut);
  const uniform = (arr: Float32Array, bound: number): void => {
    for (let i = 0; i < arr.length; i++) arr[i] = (2 * rng() - 1) * bound;
  };
  switch (init) {
    case 'torch': {
      const bound = 1 / Math.sqrt(fanIn);
      uniform(kernel, bound);
      uniform(bias, bound);
      break;
    }
    case 'glorot-uniform':
      uniform(kernel, Math.sqrt(6 / (fanIn + fanOut)));
      break;
    case 'he-normal': {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < kernel.length; i++) kernel[i] = std * standardNormal(rng);
      break;
    }
    case 'zeros':
      break;
    default:
      throw new ArgumentError(
        'init',
        `unknown initializer "${String(init)}"; expected torch, glorot-uniform, he-normal or zeros`,
      );
  }
  return { kernel, bias };
}

/** Creates a trainable float32 variable holding `values` with `shape`. */
export function makeVariable(values: Float32Array, shape: number[], name: string): tf.Variable {
  const initial = tf.tensor(values, shape, 'float32');
  const variable = tf.variable(initial, true, `${name}_${nextId++}`);
  initial.dispose(); // the variable holds its own reference to the data
  return variable;
}
let nextId = 0;
