import { ArgumentError, type Matrix } from '@varia/core';

/**
 * A sparse matrix in compressed sparse row (CSR) form, SciPy's layout: row `i`'s non-zeros are
 * `data[indptr[i] … indptr[i+1])` in the columns `indices[indptr[i] … indptr[i+1])`, in increasing column order.
 * Memory: 8 bytes per stored entry plus 4 per row, instead of 4 per cell.
 */
export interface SparseMatrix {
  /** Number of rows (examples). */
  readonly rows: number;
  /** Number of columns (features). */
  readonly cols: number;
  /** Row pointers, length `rows + 1`, non-decreasing, `indptr[0] = 0`, `indptr[rows]` = the number of stored entries. */
  readonly indptr: Int32Array;
  /** The column of each stored entry, strictly increasing within a row. */
  readonly indices: Int32Array;
  /** The value of each stored entry (explicit zeros may be stored). */
  readonly data: Float32Array;
}

/**
 * Rows `start … end − 1` of a {@link SparseMatrix} as a dense row-major {@link Matrix} (e.g. one training batch),
 * zeros where nothing is stored.
 *
 * @example
 * ```ts
 * const batch = sparseRowsToDense(counts, 0, 128); // [128, counts.cols]
 * ```
 * @throws ArgumentError unless `0 ≤ start < end ≤ rows` are integers.
 */
export function sparseRowsToDense(m: SparseMatrix, start: number, end: number): Matrix {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > m.rows || start >= end) {
    throw new ArgumentError(
      'start',
      `sparseRowsToDense: rows [${start}, ${end}) must be integers with 0 ≤ start < end ≤ ${m.rows}`,
    );
  }
  const rows = end - start;
  const data = new Float32Array(rows * m.cols);
  for (let i = start; i < end; i++) {
    const base = (i - start) * m.cols;
    for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) data[base + m.indices[k]!] = m.data[k]!;
  }
  return { data, rows, cols: m.cols };
}
