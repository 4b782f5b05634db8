import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  DataError,
  assertMatrix,
  assertSparseMatrix,
  type Matrix,
  ShapeError,
  type SparseMatrix,
} from '@varia/core';
import type { CovariateInput } from '../covariates.js';
import { showValue } from '../show-value.js';

/*
 * The row blocks a user's callback hands the random-access and stream sources: a dense Matrix, a CSR SparseMatrix,
 * rows as an array, or an object with one of them as `matrix` (and covariate rows), such as a `SparseRowBlock` of
 * `streamMatrixMarket`. Internal.
 */

/** Rows of examples as a callback returns them: dense (`Matrix`) or sparse (`SparseMatrix`, CSR). */
export type RowBlock = Matrix | SparseMatrix;

/**
 * Rows of examples as an array, one entry per example: a `number[]` or a typed array (`Float32Array`, …) of `width`
 * values each. Copied into a Matrix when read; a row of the wrong length or a value that is not a number is refused
 * with an error naming the row in the whole data set.
 */
export type RowArrays = readonly ArrayLike<number>[];

/**
 * Rows of examples with the covariate rows that go with them (a conditional model's: one row per example, in the
 * forms `fit` takes — a Matrix `[rows, C]`, rows of numbers, or a record by name such as `{ batch: [0, 1, …] }`).
 */
export interface RowsWithCovariates {
  /** The examples' rows. */
  readonly matrix: RowBlock | RowArrays;
  /** Their covariate rows, validated against the model's declarations when a batch is read. */
  readonly covariates?: CovariateInput;
}

/**
 * {@link RowsWithCovariates} with the rows of each field the source declares (its `fields` option, e.g. `labels`), for
 * your own model trained with `fitModel`: a Matrix `[rows, width]` or rows as an array, one row per example, every
 * value finite. A separate type so that an interface with a `matrix` and no index signature (a `SparseRowBlock` of
 * `openMatrixMarket(…).blocks()`, or your own) is a {@link RowsWithCovariates} for the type checker.
 */
export interface RowsWithFields extends RowsWithCovariates {
  /** A declared field's rows. */
  readonly [field: string]: unknown;
}

/** What a callback or stream may give, named in messages. */
const ACCEPTED =
  'a Matrix { data: Float32Array, rows, cols }, a CSR SparseMatrix { rows, cols, indptr, indices, data }, rows (number[][] or Float32Array[]), or { matrix, covariates } with one of them';

/** What a callback gave, for a message: its kind and shape, never its values. */
export function describe(v: unknown): string {
  if (v instanceof tf.Tensor) return `a tf.Tensor of shape [${v.shape.join(', ')}] (${v.dtype})`;
  if (Array.isArray(v)) return `an array of ${v.length} items`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    return keys.length === 0 ? 'an object with no fields' : `an object with fields { ${keys.slice(0, 6).join(', ')} }`;
  }
  return v === undefined || v === null ? String(v) : `${typeof v} ${showValue(v)}`;
}

/**
 * Frees the tensors in what a callback or stream gave — the value itself, the items of an array, the fields of an
 * object, and those of its `matrix` and `covariates` — whether it was used or refused: once given, they are the
 * source's (it reads them to the host and keeps nothing).
 */
export function disposeGiven(given: unknown): void {
  const free = (v: unknown): void => {
    if (v instanceof tf.Tensor) {
      if (!v.isDisposed) v.dispose();
    } else if (Array.isArray(v)) {
      for (const item of v) if (item instanceof tf.Tensor && !item.isDisposed) item.dispose();
    } else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
      for (const item of Object.values(v)) if (item instanceof tf.Tensor && !item.isDisposed) item.dispose();
    }
  };
  free(given);
  if (typeof given === 'object' && given !== null && !(given instanceof tf.Tensor) && 'matrix' in given) {
    const { matrix, covariates } = given as { matrix?: unknown; covariates?: unknown };
    free(matrix);
    free(covariates);
  }
}

/** The rows and (when given) covariate rows of what a callback or stream gave: a block, or `{ matrix, covariates }`. */
export function unwrapBlock(item: unknown): { block: unknown; covariates: unknown } {
  if (item !== null && typeof item === 'object' && !Array.isArray(item) && 'matrix' in item) {
    const { matrix, covariates } = item as { matrix: unknown; covariates?: unknown };
    return { block: matrix, covariates };
  }
  return { block: item, covariates: undefined };
}

/** Whether `block` is a CSR matrix (it has row pointers). */
export function isSparse(block: RowBlock): block is SparseMatrix {
  return 'indptr' in block;
}

/**
 * Copies rows given as an array into a Matrix of `width` columns. `rowAt(k)` is the row of item k in the whole data.
 * @throws ShapeError for an item that is not an array of `width` numbers' length; DataError naming the row and
 *   column of a value that is not a number (nothing is converted).
 */
export function rowArraysToMatrix(
  items: readonly unknown[],
  width: number,
  what: string,
  rowAt: (k: number) => number,
  argument = what,
): Matrix {
  const data = new Float32Array(items.length * width);
  for (let k = 0; k < items.length; k++) {
    const row = items[k];
    const isRow = Array.isArray(row) || (ArrayBuffer.isView(row) && !(row instanceof DataView));
    const length = isRow ? (row as ArrayLike<unknown>).length : undefined;
    if (length !== width) {
      throw new ShapeError(
        argument,
        `${what} gave rows as an array: row ${rowAt(k)} (item ${k}) is ${isRow ? `${length} values long` : describe(row)}, expected ${width} values`,
      );
    }
    const values = row as ArrayLike<unknown>;
    for (let j = 0; j < width; j++) {
      const v = values[j];
      if (typeof v !== 'number') {
        throw new DataError(
          `${what} gave rows as an array: row ${rowAt(k)}, column ${j} is ${v === undefined ? 'missing' : showValue(v)}, not a number (nothing is converted)`,
          { row: rowAt(k), column: j + 1 }, // DataLocation's column is 1-based, the message's 0-based as elsewhere
        );
      }
      data[k * width + j] = v;
    }
  }
  return { data, rows: items.length, cols: width };
}

/**
 * Reads what a callback returned: a well-formed Matrix or SparseMatrix of `width` columns, or rows as an array
 * (copied into a Matrix), with `rows` rows when given. `what` names the callback in messages; `rowAt(k)` is the row
 * of its row k in the whole data (default k).
 * @throws ArgumentError for something that is neither (naming what it was and what is accepted); ShapeError for a
 *   wrong shape or malformed arrays; DataError for a value of a row array that is not a number.
 */
export function checkBlock(
  block: unknown,
  width: number,
  what: string,
  rows?: number,
  rowAt: (k: number) => number = (k) => k,
): RowBlock {
  if (Array.isArray(block)) {
    if (rows !== undefined && block.length !== rows) {
      throw new ShapeError(what, `${what} gave ${block.length} rows as an array, expected ${rows} (one per index)`);
    }
    return rowArraysToMatrix(block, width, what, rowAt);
  }
  if (block === null || typeof block !== 'object' || !('rows' in block) || !('cols' in block)) {
    throw new ArgumentError(what, `${what} must give ${ACCEPTED}; got ${describe(block)}`);
  }
  const m = block as RowBlock;
  if (!isSparse(m) && !(m.data instanceof Float32Array)) {
    throw new ShapeError(
      what,
      `${what} gave a Matrix whose data is ${describe(m.data)}: a Matrix's data must be a Float32Array of rows × cols values (or give rows as an array, number[][])`,
    );
  }
  if (isSparse(m)) assertSparseMatrix(m, what);
  else assertMatrix(m, what);
  if (m.cols !== width || (rows !== undefined && m.rows !== rows)) {
    throw new ShapeError(
      what,
      `${what} gave a ${m.rows} × ${m.cols} block, expected ${rows ?? 'n'} × ${width} (the source's width)`,
    );
  }
  return m;
}

/** The row of stored entry `e` (the last row whose pointer is ≤ e): binary search over `indptr`. */
export function rowOfEntry(indptr: Int32Array, e: number): number {
  let [lo, hi] = [0, indptr.length - 2];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (indptr[mid]! <= e) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
