// Shared by the sparseDense tests (excluded from the build): seeded CSR inputs, the float64 reference and the kernel call.
import * as tf from '@tensorflow/tfjs-core';
import { SPARSE_DENSE_KERNEL } from '@varia/core';
import { randomArray } from './test-support.js';

/** A seeded CSR [rows, cols] with about `density` of its cells stored (some rows empty), values in (−1, 1). */
export function randomCsr(rows: number, cols: number, density: number, seed: number) {
  const u = randomArray(rows * cols * 2, seed);
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if ((u[2 * (i * cols + j)]! + 1) / 2 < density && i % 5 !== 3) {
        indices.push(j);
        values.push(u[2 * (i * cols + j) + 1]!);
      }
    }
    indptr[i + 1] = indices.length;
  }
  return { rows, cols, indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) };
}

export type Csr = ReturnType<typeof randomCsr>;

// The common case: 37 units (the vector loops and their remainders); 70 rows, 13 % stored, every fifth row empty
export const [rows, inDim, units] = [70, 50, 37];
export const x = randomCsr(rows, inDim, 0.13, 1);
export const wv = randomArray(inDim * units, 2);
export const bv = randomArray(units, 3);

/**
 * The float64 product b + X·W per output, and the standard float32 summation bound of each: (k + 1)·2⁻²⁴·(|b| +
 * Σ|x·w|) for the k stored entries of the row (Higham, Accuracy and Stability, §3.1).
 */
export function reference(x: Csr, w: Float32Array, bias: Float32Array | undefined, units: number) {
  const value = new Float64Array(x.rows * units);
  const bound = new Float64Array(x.rows * units);
  for (let i = 0; i < x.rows; i++) {
    const count = x.indptr[i + 1]! - x.indptr[i]!;
    for (let u = 0; u < units; u++) {
      let s = bias ? bias[u]! : 0;
      let a = Math.abs(s);
      for (let e = x.indptr[i]!; e < x.indptr[i + 1]!; e++) {
        const t = x.values[e]! * w[x.indices[e]! * units + u]!;
        s += t;
        a += Math.abs(t);
      }
      value[i * units + u] = s;
      bound[i * units + u] = (count + 1) * 2 ** -24 * a;
    }
  }
  return { value, bound };
}

export function run(x: Csr, w: tf.Tensor2D, bias: tf.Tensor1D | undefined, activation = 'linear'): tf.Tensor2D {
  return tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = {
      indptr: tf.tensor1d(x.indptr, 'int32'),
      indices: tf.tensor1d(x.indices, 'int32'),
      values: tf.tensor1d(x.values, 'float32'),
      kernel: w,
    };
    if (bias) inputs.bias = bias;
    return tf.engine().runKernel(SPARSE_DENSE_KERNEL, inputs, { activation }) as tf.Tensor2D;
  });
}
