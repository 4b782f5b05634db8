import { ArgumentError, DataError, ShapeError } from './errors.js';
import type { Matrix } from './matrix.js';

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
  sparseRowsInto(
    m,
    Int32Array.from({ length: rows }, (_, k) => start + k),
    data,
  );
  return { data, rows, cols: m.cols };
}

/**
 * Rows `rows` of a {@link SparseMatrix} (any indices, in that order) written densely into `out`, row-major: one pass
 * over the stored entries of those rows, after zeroing the part of `out` used. Nothing is allocated, so a training
 * loop can reuse one buffer for every batch. Returns the view of `out` holding the rows, `[rows.length, m.cols]`.
 *
 * The indices are not checked (this is the inner loop of batching): pass rows in `0 … m.rows − 1`, and an `out` of at
 * least `rows.length × m.cols` values; validate the matrix once with {@link assertSparseMatrix}.
 *
 * @example
 * ```ts
 * const buffer = new Float32Array(128 * counts.cols);
 * const batch = sparseRowsInto(counts, order.subarray(0, 128), buffer); // 128 shuffled rows, dense
 * ```
 */
export function sparseRowsInto(m: SparseMatrix, rows: ArrayLike<number>, out: Float32Array): Float32Array {
  const { cols, indptr, indices, data } = m;
  const view = out.subarray(0, rows.length * cols);
  view.fill(0);
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const base = k * cols;
    for (let e = indptr[i]!, end = indptr[i + 1]!; e < end; e++) view[base + indices[e]!] = data[e]!;
  }
  return view;
}

/**
 * Checks that `m` is a well-formed {@link SparseMatrix}: integer shape, typed arrays of the right lengths, `indptr`
 * from 0 to the entry count and non-decreasing, and each row's columns in range and strictly increasing. One pass
 * over the entries (O(nnz)) after {@link assertSparseShape}.
 * @throws ShapeError naming `argument` for a wrong shape or array; DataError naming the row for a bad `indptr` or
 *   column index.
 */
export function assertSparseMatrix(m: SparseMatrix, argument = 'matrix'): void {
  assertSparseShape(m, argument);
  const where = `"${argument}"`;
  const { rows, indptr, indices, cols } = m;
  if (indptr[0] !== 0 || indptr[rows] !== indices.length) {
    throw new DataError(
      `${where}.indptr must run from 0 to the ${indices.length} stored entries, got ${indptr[0]} … ${indptr[rows]}`,
      {},
    );
  }
  for (let i = 0; i < rows; i++) {
    const from = indptr[i]!;
    const to = indptr[i + 1]!;
    if (to < from || to > indices.length) {
      throw new DataError(
        `${where}.indptr at row ${i} goes from ${from} to ${to}: it must be non-decreasing and at most ${indices.length}`,
        { row: i },
      );
    }
    if (from === to) continue;
    // without a branch per entry: the row is in range iff its columns increase strictly from a first ≥ 0 to a last <
    // cols, i.e. iff no column and no (column − previous − 1) is negative — the sign bits ORed into `bad` (for columns
    // ≥ 0 the difference fits in 32 bits, so `|` cannot wrap it; a negative column sets the sign itself): 1.8 → 1.2 ms
    // on MNIST's 1.5M entries. A row found bad is looked at again, entry by entry, for its first bad column.
    let last = indices[from]!;
    let bad = last;
    let e = from + 1;
    for (; e + 4 <= to; e += 4) {
      const a = indices[e]!;
      const b = indices[e + 1]!;
      const c = indices[e + 2]!;
      const d = indices[e + 3]!;
      bad |= (a - last - 1) | (b - a - 1) | (c - b - 1) | (d - c - 1) | a | b | c | d;
      last = d;
    }
    for (; e < to; e++) {
      const j = indices[e]!;
      bad |= (j - last - 1) | j;
      last = j;
    }
    if (bad < 0 || last >= cols) {
      // the first bad entry: j ≤ prev (prev starts at −1) catches a negative index and an unsorted or repeated one
      let prev = -1;
      for (let k = from; k < to; k++) {
        const j = indices[k]!;
        if (j <= prev || j >= cols) {
          throw new DataError(
            `${where} row ${i}: column index ${j} ${j < 0 || j >= cols ? `is outside 0…${cols - 1}` : 'is not after the previous one (columns must be strictly increasing within a row)'}`,
            { row: i, column: j + 1 },
          );
        }
        prev = j;
      }
    }
  }
}

/**
 * The O(1) part of {@link assertSparseMatrix}: integer shape and typed arrays of the right lengths (indptr `rows + 1`,
 * indices and data of one length) — not the entries. For a caller whose next step checks the entries itself (e.g. a
 * native kernel that checks them in its own pass over the rows and, for a malformed matrix, lets
 * {@link assertSparseMatrix} name the fault).
 * @throws ShapeError naming `argument`, as {@link assertSparseMatrix}.
 */
export function assertSparseShape(m: SparseMatrix, argument = 'matrix'): void {
  const where = `"${argument}"`;
  if (m === null || typeof m !== 'object') throw new ShapeError(argument, `${where} must be a SparseMatrix`);
  const { rows, cols, indptr, indices, data } = m;
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 0) {
    throw new ShapeError(argument, `${where} must have non-negative integer rows and cols, got ${rows}×${cols}`);
  }
  if (!(indptr instanceof Int32Array) || indptr.length !== rows + 1) {
    throw new ShapeError(
      argument,
      `${where}.indptr must be an Int32Array of length rows + 1 = ${rows + 1}, got ${describeArray(indptr)}`,
    );
  }
  if (!(indices instanceof Int32Array)) {
    throw new ShapeError(argument, `${where}.indices must be an Int32Array, got ${describeArray(indices)}`);
  }
  if (!(data instanceof Float32Array)) {
    throw new ShapeError(argument, `${where}.data must be a Float32Array, got ${describeArray(data)}`);
  }
  if (indices.length !== data.length) {
    throw new ShapeError(
      argument,
      `${where}.indices (Int32Array) and .data (Float32Array) must have the same length, got ${describeArray(indices)} and ${describeArray(data)}`,
    );
  }
}

function describeArray(a: unknown): string {
  if (ArrayBuffer.isView(a)) return `${a.constructor.name}(${(a as unknown as ArrayLike<number>).length})`;
  if (Array.isArray(a)) return `Array(${a.length})`;
  return a === undefined ? 'missing' : typeof a;
}
