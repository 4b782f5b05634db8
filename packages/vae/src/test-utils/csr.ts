// The CSR form of a dense matrix, for the batch-source tests (not part of the build).
import type { Matrix, SparseMatrix } from '@varia/core';

/** The CSR of a dense matrix, by the definition (row pointers, then the non-zero columns and values row by row). */
export function csrOf(m: Matrix): SparseMatrix {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j]!;
      if (v !== 0) {
        indices.push(j);
        data.push(v);
      }
    }
    indptr.push(indices.length);
  }
  return {
    rows: m.rows,
    cols: m.cols,
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float32Array.from(data),
  };
}
