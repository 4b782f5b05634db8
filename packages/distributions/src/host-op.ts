import * as tf from '@tensorflow/tfjs-core';
import { broadcastShapes, shapesEqual } from './tensor-like.js';

/*
 * Element-wise tensor ops evaluated on the host in double precision: the incomplete gamma and beta functions, their
 * inverses and derivatives need data-dependent iteration counts (series, continued fractions, Newton) that tfjs
 * kernels cannot express. The inputs are read synchronously (like the CPU samplers), the result is float32.
 */

/** The tensors broadcast to one shape (differentiable: t + 0 reduces the gradient back). */
export function broadcastAll(ts: readonly tf.Tensor[]): tf.Tensor[] {
  const shape = broadcastShapes(ts.map((t) => t.shape));
  return ts.map((t) => (shapesEqual(t.shape, shape) ? t : tf.add(t, tf.zeros(shape))));
}

/** f applied element-wise to tensors of one shape, on the host in double precision; a float32 tensor of that shape. */
export function hostMap(ts: readonly tf.Tensor[], f: (...v: number[]) => number): tf.Tensor {
  const values = ts.map((t) => t.dataSync());
  const n = values[0]!.length;
  const out = new Float32Array(n);
  const args = new Array<number>(ts.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < values.length; j++) args[j] = values[j]![i]!;
    out[i] = f(...args);
  }
  return tf.tensor(out, ts[0]!.shape, 'float32');
}

/** The value and the partial derivatives of a host function of k arguments, each a number function of the same k. */
export interface HostFunction {
  /** The function value. */
  value: (...v: number[]) => number;
  /** ∂f/∂vᵢ for each argument i (undefined: no gradient flows to that argument). */
  partials: readonly (((...v: number[]) => number) | undefined)[];
}

/**
 * A differentiable tensor op from a host function: broadcasts the inputs, evaluates `value` element-wise on the host,
 * and in the backward pass multiplies dy by the host-evaluated partial derivatives.
 */
export function hostOp(spec: HostFunction): (...inputs: tf.Tensor[]) => tf.Tensor {
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xs = args.slice(0, -1) as tf.Tensor[];
    save(xs);
    return {
      value: hostMap(xs, spec.value),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        saved.map((x, i) => {
          const partial = spec.partials[i];
          return partial === undefined ? tf.zerosLike(x) : tf.mul(dy, hostMap(saved, partial));
        }),
    };
  }) as unknown as (...xs: tf.Tensor[]) => tf.Tensor;
  return (...inputs: tf.Tensor[]) => tf.tidy(() => op(...broadcastAll(inputs)));
}
