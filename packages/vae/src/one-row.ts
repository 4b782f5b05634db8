// `encode` of one example as two copies of it: a matrix product of a single row runs another kernel than one of
// several rows (a matrix-vector product, with its own order of the float32 sums), so one row alone would come out with
// other last bits than the same row encoded with others — `encode` of a source whose last batch is one row differed
// from `encode` of the whole matrix in that row. From two rows on, a row's result does not depend on its neighbours.
import * as tf from '@tensorflow/tfjs-core';
import type { Matrix, SparseMatrix } from '@varia/core';

/**
 * `mean(x)` for a one-row x, computed on x's row twice (`twice`) and row 0 kept: the bits that row gets in any larger
 * matrix. Lives in the caller's tidy scope.
 */
export function meanOfOneRow<T>(x: T, twice: (x: T) => T, mean: (x: T) => tf.Tensor2D): tf.Tensor2D {
  return tf.slice(mean(twice(x)), [0, 0], [1, -1]);
}

/** A tensor's rows twice over, [2n, …] (one row: the row and a copy). */
export function rowsTwice<T extends tf.Tensor>(t: T): T {
  return tf.concat([t, t], 0) as T;
}

/** A CSR matrix's rows twice over: [2·rows, cols], the entries repeated (the same order, so still well-formed). */
export function csrRowsTwice(x: SparseMatrix): SparseMatrix {
  const stored = x.indptr[x.rows]! - x.indptr[0]!;
  const indptr = new Int32Array(2 * x.rows + 1);
  for (let i = 0; i <= x.rows; i++) {
    indptr[i] = x.indptr[i]! - x.indptr[0]!;
    indptr[x.rows + i] = stored + indptr[i]!;
  }
  const twice = <A extends Int32Array | Float32Array>(a: A, out: A): A => {
    out.set(a.subarray(x.indptr[0]!, x.indptr[x.rows]!));
    out.set(a.subarray(x.indptr[0]!, x.indptr[x.rows]!), stored);
    return out;
  };
  return {
    rows: 2 * x.rows,
    cols: x.cols,
    indptr,
    indices: twice(x.indices, new Int32Array(2 * stored)),
    data: twice(x.data, new Float32Array(2 * stored)),
  };
}

/** A host matrix's rows twice over: [2·rows, cols]. */
export function matrixRowsTwice(x: Matrix): Matrix {
  const cells = x.rows * x.cols;
  const data = new Float32Array(2 * cells);
  data.set(x.data.subarray(0, cells));
  data.set(x.data.subarray(0, cells), cells);
  return { rows: 2 * x.rows, cols: x.cols, data };
}
