import { assertSparseMatrix, DataError, permutation, type SparseMatrix, sparseRowsInto } from '@varia/core';
import { type DataRules, validateDomain } from '../data.js';
import { matrixHash } from '../resume-fingerprint.js';
import type { EpochArgs } from '../trainer/batch-source.js';
import { rowOfEntry } from './block-rows.js';
import { type HostBatch, RowBatchSource } from './row-batch-source.js';

/**
 * Training data held as a sparse CSR matrix ({@link SparseMatrix}, e.g. from `loadMatrixMarket`): a count matrix of
 * 1,000,000 cells × 2,000 genes at 5 % non-zeros takes 800 MB as CSR instead of 8 GB dense. Each batch is densified
 * on the host — one pass over the stored entries of its rows into one reused buffer — and uploaded; the order is the
 * dense path's (the same seeded shuffle), so fitting `new SparseBatchSource(csr)` gives bit-identical weights to
 * fitting the dense matrix.
 *
 * Values are checked once, when `fit` starts (only the stored ones: a zero fits every likelihood).
 *
 * @example
 * ```ts
 * const counts = await loadMatrixMarket('matrix.mtx', { dtype: 'counts', transpose: true });
 * await vae.fit(new SparseBatchSource(counts), { epochs: 10, batchSize: 128 });
 * ```
 */
export class SparseBatchSource extends RowBatchSource {
  readonly length: number;
  /** The matrix (not copied). */
  readonly matrix: SparseMatrix;
  private buffer = new Float32Array(0);

  /**
   * @throws ShapeError / DataError for a malformed CSR matrix (see `assertSparseMatrix`), naming `argument`; DataError
   *   for a matrix without rows.
   */
  constructor(matrix: SparseMatrix, argument = 'matrix') {
    assertSparseMatrix(matrix, argument);
    if (matrix.rows === 0) throw new DataError(`"${argument}" is empty: it has no examples`);
    super(matrix.cols);
    this.matrix = matrix;
    this.length = matrix.rows;
  }

  protected *hostBatches({ batchSize, shuffle, rng }: EpochArgs): Iterable<HostBatch> {
    const n = this.length;
    const order = shuffle ? permutation(n, rng) : Int32Array.from({ length: n }, (_, i) => i);
    const size = Math.min(batchSize, n) * this.matrix.cols;
    if (this.buffer.length < size) this.buffer = new Float32Array(size);
    for (let start = 0; start < n; start += batchSize) {
      const rows = order.subarray(start, Math.min(n, start + batchSize));
      const data = sparseRowsInto(this.matrix, rows, this.buffer);
      yield { data, rows: rows.length, rowAt: (k) => rows[k]! };
    }
  }

  protected override checkUpFront(rules: DataRules, argument: string): boolean {
    const { data, indptr, indices } = this.matrix;
    validateDomain({ data, rows: data.length, cols: 1 }, rules.domain, rules.likelihood, argument, (e) => ({
      row: rowOfEntry(indptr, e),
      column: indices[e]!,
    }));
    return true;
  }

  override subset(rows: Int32Array): SparseBatchSource {
    const { indptr, indices, data, cols } = this.matrix;
    const sub = new Int32Array(rows.length + 1);
    for (let k = 0; k < rows.length; k++) sub[k + 1] = sub[k]! + indptr[rows[k]! + 1]! - indptr[rows[k]!]!;
    const subIndices = new Int32Array(sub[rows.length]!);
    const subData = new Float32Array(sub[rows.length]!);
    for (let k = 0; k < rows.length; k++) {
      const [from, to] = [indptr[rows[k]!]!, indptr[rows[k]! + 1]!];
      subIndices.set(indices.subarray(from, to), sub[k]!);
      subData.set(data.subarray(from, to), sub[k]!);
    }
    return new SparseBatchSource({ rows: rows.length, cols, indptr: sub, indices: subIndices, data: subData });
  }

  override rowTotals(): Float64Array {
    const { indptr, data, rows } = this.matrix;
    const totals = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let e = indptr[i]!; e < indptr[i + 1]!; e++) s += data[e]!;
      totals[i] = s;
    }
    return totals;
  }

  /** A hash of the shape, the row pointers, the column indices and the values (what a checkpoint is tied to). */
  fingerprint(): string {
    const { rows, cols, indptr, indices, data } = this.matrix;
    const words = (a: Int32Array | Float32Array) => ({
      data: new Float32Array(a.buffer, a.byteOffset, a.length),
      rows: a.length,
      cols: 1,
    });
    return `csr ${rows}x${cols}:${matrixHash(words(indptr))}${matrixHash(words(indices))}${matrixHash(words(data))}`;
  }
}
