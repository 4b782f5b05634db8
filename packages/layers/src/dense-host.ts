import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DENSE_HOST_KERNEL, DisposedError, type Matrix, ShapeError } from '@varia/core';
import { applyActivation, isFusedActivation } from './activation.js';
import type { Dense } from './dense.js';

/**
 * Whether {@link denseOfHost} of `x` on the active backend reads x's values in place: the backend has
 * {@link DENSE_HOST_KERNEL} (the wasm backend with `@varia/native-kernels`) and `x.data` is a Float32Array over a plain
 * ArrayBuffer (not a shared one, which another thread could change while the kernel reads it).
 */
export function denseReadsInPlace(x: Matrix): boolean {
  return (
    tf.getKernel(DENSE_HOST_KERNEL, tf.getBackend()) !== undefined &&
    x.data instanceof Float32Array &&
    x.data.buffer instanceof ArrayBuffer
  );
}

/**
 * A dense layer's forward pass y = f(x·W + b) for a host matrix x [rows, inputDim] (row-major float32), for inference
 * (no gradient). Where {@link denseReadsInPlace} holds, the backend's kernel reads `x.data` where it is instead of a
 * copy uploaded into the backend's memory (10,000 MNIST rows: 31 MB not copied), with the bits of
 * `layer.apply(tf.tensor2d(x.data, [x.rows, x.cols]))`; elsewhere it is exactly that.
 *
 * @example
 * ```ts
 * const h = denseOfHost(encoder.layers[0], { data, rows: 10_000, cols: 784 }); // [10000, units]
 * ```
 * @throws ShapeError when x does not have `inputDim` columns, no rows (or a number of rows that is not an integer), or
 *   `data` of another length than rows · cols; ArgumentError when `data` is not a Float32Array;
 *   DisposedError after the layer was disposed.
 */
export function denseOfHost(layer: Dense, x: Matrix): tf.Tensor2D {
  if (layer.kernel.isDisposed) throw new DisposedError('Dense');
  if (!(x.data instanceof Float32Array)) {
    const got = Object.prototype.toString.call(x.data).slice(8, -1);
    throw new ArgumentError('x', `Dense: "x.data" must be a Float32Array, got ${got}`);
  }
  if (x.cols !== layer.inputDim || !Number.isInteger(x.rows) || x.rows < 1 || x.data.length !== x.rows * x.cols) {
    throw new ShapeError(
      'x',
      `Dense: input must be rows ≥ 1 × ${layer.inputDim} with rows · cols values, got ${x.rows} × ${x.cols} with ${x.data.length}`,
    );
  }
  if (!denseReadsInPlace(x)) return tf.tidy(() => layer.apply(tf.tensor2d(x.data, [x.rows, x.cols], 'float32')));
  return tf.tidy(() => {
    const fused = isFusedActivation(layer.activation);
    const y = tf.engine().runKernel(DENSE_HOST_KERNEL, { kernel: layer.kernel, bias: layer.bias }, {
      x: x.data,
      rows: x.rows,
      activation: fused ? layer.activation : 'linear',
      leakyreluAlpha: 0.2,
    } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
    return fused ? y : (applyActivation(layer.activation, y) as tf.Tensor2D);
  });
}
