import * as tf from '@tensorflow/tfjs-core';
import {
  assertSparseMatrix,
  assertSparseShape,
  DataError,
  DisposedError,
  ShapeError,
  SPARSE_DENSE_HOST_KERNEL,
  SPARSE_DENSE_KERNEL,
  type SparseMatrix,
  sparseRowsInto,
} from '@varia/core';
import { applyActivation, isFusedActivation } from './activation.js';
import type { Dense } from './dense.js';

/** Options of {@link denseOfSparse}. */
export interface SparseDenseOptions {
  /**
   * A function applied to the stored values before the product (e.g. `tf.log1p` for a log1p input transform), or
   * `'log1p'` (`tf.log1p`'s bits; where the arrays are read in place the kernel applies it as it reads them, without
   * a tensor of the values). It must map 0 to 0, so that applying it to the stored values equals applying it to the
   * whole dense matrix.
   */
  transformValues?: ((values: tf.Tensor1D) => tf.Tensor1D) | 'log1p';
  /**
   * The caller has already checked `x` with `assertSparseMatrix` (default false: it is checked here — by the kernel
   * in its own pass where it reads the arrays in place ({@link sparseDenseReadsInPlace}), else one pass of
   * JavaScript over the stored entries; the same errors either way).
   */
  checked?: boolean;
}

/** The most cells densified at once where the backend has no sparse kernel (16 MiB of float32). */
const DENSIFY_BLOCK_VALUES = 1 << 22;

/**
 * Whether the active backend computes {@link denseOfSparse} from the stored entries alone ({@link SPARSE_DENSE_KERNEL}
 * is registered for it: the wasm backend with `@varia/native-kernels`).
 */
export function sparseDenseIsNative(): boolean {
  return tf.getKernel(SPARSE_DENSE_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * Whether {@link denseOfSparse} of a well-shaped `x` on the active backend reads x's CSR arrays in place (the backend
 * has {@link SPARSE_DENSE_HOST_KERNEL}, and the arrays are over plain ArrayBuffers, not shared ones): nothing is
 * copied into the backend's memory, and the kernel checks the structure with `assertSparseMatrix`'s rules itself.
 */
export function sparseDenseReadsInPlace(x: SparseMatrix): boolean {
  return (
    tf.getKernel(SPARSE_DENSE_HOST_KERNEL, tf.getBackend()) !== undefined &&
    [x.indptr, x.indices, x.data].every((a) => a.buffer instanceof ArrayBuffer)
  );
}

/**
 * A dense layer's forward pass y = f(X·W + b) for a sparse input X [rows, inputDim] in CSR form, for inference (no
 * gradient). Where the backend has {@link SPARSE_DENSE_KERNEL} ({@link sparseDenseIsNative}) it reads only the stored
 * entries: row i of y is f(b + Σ_e x_e·W[col_e, :]), nnz·units multiply-adds instead of rows·inputDim·units, and the
 * upload is the CSR arrays (8 bytes per stored entry) instead of the dense matrix (4 bytes per cell). Elsewhere the
 * rows are densified on the host, in blocks of at most 2²² cells (16 MiB), and multiplied by the layer itself. The two
 * differ by float32 rounding only (the sums run in another order).
 *
 * @example
 * ```ts
 * const h = denseOfSparse(encoder.layers[0], counts, { transformValues: 'log1p' }); // [rows, units]
 * ```
 * @throws ShapeError when `x` does not have `inputDim` columns; ShapeError / DataError for a malformed CSR (see
 *   `assertSparseMatrix`); DisposedError after the layer was disposed.
 */
export function denseOfSparse(layer: Dense, x: SparseMatrix, options: SparseDenseOptions = {}): tf.Tensor2D {
  if (layer.kernel.isDisposed) throw new DisposedError('Dense');
  if (!options.checked) assertSparseShape(x, 'x');
  const inPlace = sparseDenseReadsInPlace(x);
  // the entries: by the kernel's pass where it reads the arrays in place (a malformed matrix: assertSparseMatrix then
  // names the fault, the error it would have thrown here), else here — and here also before any other error
  if (!options.checked && (!inPlace || x.cols !== layer.inputDim)) assertSparseMatrix(x, 'x');
  if (x.cols !== layer.inputDim) {
    throw new ShapeError('x', `Dense: input must have ${layer.inputDim} columns, got ${x.cols}`);
  }
  const { transformValues: given } = options;
  if (inPlace) {
    try {
      return inPlaceProduct(layer, x, given);
    } catch (e) {
      if (!options.checked && e instanceof DataError) assertSparseMatrix(x, 'x');
      throw e;
    }
  }
  const transformValues = given === 'log1p' ? (v: tf.Tensor1D) => tf.log1p(v) : given;
  return tf.tidy(() => {
    if (!sparseDenseIsNative()) {
      // blocks of rows of at most DENSIFY_BLOCK_VALUES cells: a large sparse matrix never exists densely (each output
      // row is the same dot products whatever the block, so the bits do not depend on it)
      const perBlock = Math.max(1, Math.floor(DENSIFY_BLOCK_VALUES / x.cols));
      const blocks: tf.Tensor2D[] = [];
      for (let start = 0; start === 0 || start < x.rows; start += perBlock) {
        const count = Math.min(perBlock, x.rows - start);
        const rows = Int32Array.from({ length: count }, (_, k) => start + k);
        const input = tf.tensor2d(sparseRowsInto(x, rows, new Float32Array(count * x.cols)), [count, x.cols]);
        const transformed = transformValues
          ? (tf.reshape(transformValues(tf.reshape(input, [-1]) as tf.Tensor1D), input.shape) as tf.Tensor2D)
          : input;
        blocks.push(layer.apply(transformed));
      }
      return blocks.length === 1 ? blocks[0]! : tf.concat(blocks, 0);
    }
    const stored = tf.tensor1d(x.data, 'float32');
    const values = transformValues ? transformValues(stored) : stored;
    const fused = isFusedActivation(layer.activation);
    const y = tf.engine().runKernel(
      SPARSE_DENSE_KERNEL,
      {
        indptr: tf.tensor1d(x.indptr, 'int32'),
        indices: tf.tensor1d(x.indices, 'int32'),
        values,
        kernel: layer.kernel,
        bias: layer.bias,
      },
      { activation: fused ? layer.activation : 'linear' },
    ) as tf.Tensor2D;
    return fused ? y : (applyActivation(layer.activation, y) as tf.Tensor2D);
  });
}

/**
 * {@link denseOfSparse} through {@link SPARSE_DENSE_HOST_KERNEL}: indptr, indices and values (untransformed, or for
 * `'log1p'` transformed by the kernel) read in place; values transformed by a function are computed on the backend
 * and read there.
 */
function inPlaceProduct(layer: Dense, x: SparseMatrix, transformValues: SparseDenseOptions['transformValues']) {
  return tf.tidy(() => {
    const fused = isFusedActivation(layer.activation);
    const y = tf.engine().runKernel(
      SPARSE_DENSE_HOST_KERNEL,
      {
        kernel: layer.kernel,
        bias: layer.bias,
        ...(typeof transformValues === 'function' && { values: transformValues(tf.tensor1d(x.data, 'float32')) }),
      },
      {
        indptr: x.indptr,
        indices: x.indices,
        ...(typeof transformValues !== 'function' && { values: x.data }),
        ...(transformValues === 'log1p' && { valuesTransform: 'log1p' }),
        activation: fused ? layer.activation : 'linear',
      } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor2D;
    return fused ? y : (applyActivation(layer.activation, y) as tf.Tensor2D);
  });
}
