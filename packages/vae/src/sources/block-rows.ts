import {
  ArgumentError,
  assertMatrix,
  assertSparseMatrix,
  type Matrix,
  ShapeError,
  type SparseMatrix,
} from '@varia/core';
import type { CovariateInput } from '../covariates.js';

/*
 * The row blocks a user's callback hands the random-access and stream sources: a dense Matrix, a CSR SparseMatrix, or
 * (streams) an object with one of them as `matrix`, such as a `SparseRowBlock` of `streamMatrixMarket`. Internal.
 */

/** Rows of examples as a callback returns them: dense (`Matrix`) or sparse (`SparseMatrix`, CSR). */
export type RowBlock = Matrix | SparseMatrix;

/**
 * Rows of examples with the covariate rows that go with them (a conditional model's: one row per example, in the
 * forms `fit` takes — a Matrix `[rows, C]`, rows of numbers, or a record by name such as `{ batch: [0, 1, …] }`).
 */
export interface RowsWithCovariates {
  /** The examples' rows. */
  readonly matrix: RowBlock;
  /** Their covariate rows, validated against the model's declarations when a batch is read. */
  readonly covariates?: CovariateInput;
}

/** The rows and (when given) covariate rows of what a callback or stream gave: a block, or `{ matrix, covariates }`. */
export function unwrapBlock(item: unknown): { block: unknown; covariates: unknown } {
  if (item !== null && typeof item === 'object' && 'matrix' in item) {
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
 * Checks what a callback returned: a well-formed Matrix or SparseMatrix of `width` columns (and `rows` rows when
 * given). `what` names the callback in messages.
 * @throws ArgumentError for something that is not a matrix; ShapeError for a wrong shape or malformed arrays.
 */
export function checkBlock(block: unknown, width: number, what: string, rows?: number): RowBlock {
  if (block === null || typeof block !== 'object' || !('rows' in block) || !('cols' in block)) {
    throw new ArgumentError(
      what,
      `${what} must give a Matrix { data, rows, cols } or a SparseMatrix { rows, cols, indptr, indices, data }, got ${block === null ? 'null' : typeof block}`,
    );
  }
  const m = block as RowBlock;
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
