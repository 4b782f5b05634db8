import { ArgumentError, ShapeError } from './errors.js';

/**
 * A dense row-major matrix of float32 values: element (i, j) is `data[i * cols + j]`.
 * The exchange format between `@varia/datasets` and the models: plain memory, no tensors to dispose.
 */
export interface Matrix {
  /** Row-major values, length `rows * cols`. */
  readonly data: Float32Array;
  /** Number of rows (examples). */
  readonly rows: number;
  /** Number of columns (features). */
  readonly cols: number;
}

/**
 * Builds a {@link Matrix} from an array of equal-length rows.
 * @throws ShapeError when rows are ragged; ArgumentError when `rows` is empty.
 */
export function matrixFromRows(rows: ArrayLike<ArrayLike<number>>, argument = 'rows'): Matrix {
  const n = rows.length;
  if (n === 0) throw new ArgumentError(argument, `"${argument}" must have at least one row, got 0`);
  const cols = rows[0]!.length;
  const data = new Float32Array(n * cols);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (row.length !== cols) {
      throw new ShapeError(argument, `"${argument}" is ragged: row 0 has ${cols} values, row ${i} has ${row.length}`);
    }
    for (let j = 0; j < cols; j++) data[i * cols + j] = row[j]!;
  }
  return { data, rows: n, cols };
}

/**
 * Checks that `m` is a well-formed {@link Matrix} (positive integer sizes, data length rows·cols).
 * @throws ShapeError naming `argument`.
 */
export function assertMatrix(m: Matrix, argument = 'matrix'): void {
  if (!Number.isInteger(m.rows) || m.rows < 0 || !Number.isInteger(m.cols) || m.cols < 0) {
    throw new ShapeError(
      argument,
      `"${argument}" must have non-negative integer rows and cols, got ${m.rows}×${m.cols}`,
    );
  }
  if (!(m.data instanceof Float32Array) || m.data.length !== m.rows * m.cols) {
    const data: unknown = m.data;
    const got =
      data instanceof Float32Array
        ? `length ${data.length}`
        : ArrayBuffer.isView(data)
          ? `a ${data.constructor.name} of length ${(data as unknown as ArrayLike<number>).length}`
          : typeof data;
    throw new ShapeError(
      argument,
      `"${argument}" data must be a Float32Array of length rows·cols = ${m.rows * m.cols}, got ${got}`,
    );
  }
}

/** Selects rows `indices` of `m` into a new matrix. */
export function takeRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const out = new Float32Array(indices.length * m.cols);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  }
  return { data: out, rows: indices.length, cols: m.cols };
}
