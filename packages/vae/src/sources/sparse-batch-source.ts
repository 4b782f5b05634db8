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
 * `encode(source)` densifies nothing: each batch of 512 rows goes to `encode` as a CSR matrix (the sparse first
 * layer where the encoder is the built-in MLP; see `EncodeOptions.sparseInput`).
 *
 * Values are checked once, when `fit` starts (only the stored ones: a zero fits every likelihood). A conditional
 * model's covariates are given alongside, one row per row of the matrix: `fit(source, { covariates })` (also
 * `encode` / `evaluate`); they follow their rows through the shuffle and `validationSplit`.
 *
 * @example
 * ```ts
 * const counts = await loadMatrixMarket('matrix.mtx', { dtype: 'counts', transpose: true });
 * await vae.fit(new SparseBatchSource(counts), { epochs: 10, batchSize: 128 });
 * // a model declared with covariates: [{ name: 'batch', kind: 'categorical', levels: 2 }]
 * await conditional.fit(new SparseBatchSource(counts), { epochs: 10, covariates: { batch: batchLabels } });
 * ```
 */
export class SparseBatchSource extends RowBatchSource {
  readonly length: number;
  /** The matrix (not copied). */
  readonly matrix: SparseMatrix;
  /** The matrix rows this source serves, in order (a subset: a view, nothing copied); undefined: every row. */
  private readonly view: Int32Array | undefined;
  private buffer = new Float32Array(0);
  private picked = new Int32Array(0);

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
    this.view = undefined;
  }

  /** A matrix held in memory: its covariate rows come alongside (`{ covariates }`), one per row of the matrix. */
  override get carriesCovariates(): boolean {
    return false;
  }

  /** Row `k` of this source: a row of the matrix. */
  private rowOf(k: number): number {
    return this.view === undefined ? k : this.view[k]!;
  }

  protected *hostBatches({ batchSize, shuffle, rng }: EpochArgs): Iterable<HostBatch> {
    const n = this.length;
    const order = shuffle ? permutation(n, rng) : Int32Array.from({ length: n }, (_, i) => i);
    const size = Math.min(batchSize, n);
    if (this.buffer.length < size * this.matrix.cols) this.buffer = new Float32Array(size * this.matrix.cols);
    if (this.picked.length < size) this.picked = new Int32Array(size);
    for (let start = 0; start < n; start += batchSize) {
      const positions = order.subarray(start, Math.min(n, start + batchSize));
      let rows = positions;
      if (this.view !== undefined) {
        const picked = this.picked.subarray(0, rows.length);
        for (let k = 0; k < rows.length; k++) picked[k] = this.view[rows[k]!]!;
        rows = picked;
      }
      const data = sparseRowsInto(this.matrix, rows, this.buffer);
      const batch = rows;
      yield { data, rows: batch.length, rowAt: (k) => batch[k]!, positions };
    }
  }

  /**
   * The rows in order as CSR matrices of `batchSize` rows each (the last one shorter), for `encode`'s sparse path:
   * views of the matrix's entries, nothing densified (each batch's row pointers are rebased, `rows + 1` integers).
   * Undefined for a {@link SparseBatchSource.subset} (its rows need not be consecutive in the matrix).
   */
  csrBatches(batchSize: number): SparseMatrix[] | undefined {
    if (this.view !== undefined) return undefined;
    const { indptr, indices, data, cols } = this.matrix;
    const batches: SparseMatrix[] = [];
    for (let start = 0; start < this.length; start += batchSize) {
      const end = Math.min(this.length, start + batchSize);
      const [from, to] = [indptr[start]!, indptr[end]!];
      batches.push({
        rows: end - start,
        cols,
        indptr: Int32Array.from(indptr.subarray(start, end + 1), (e) => e - from),
        indices: indices.subarray(from, to),
        data: data.subarray(from, to),
      });
    }
    return batches;
  }

  protected override checkUpFront(rules: DataRules, argument: string): boolean {
    const { data, indptr, indices } = this.matrix;
    validateDomain({ data, rows: data.length, cols: 1 }, rules.domain, rules.likelihood, argument, (e) => ({
      row: rowOfEntry(indptr, e),
      column: indices[e]!,
    }));
    return true;
  }

  /** The rows `rows` of this source as a view on the same matrix (4 bytes per row; nothing else is copied). */
  override subset(rows: Int32Array): SparseBatchSource {
    const sub = Object.create(SparseBatchSource.prototype) as SparseBatchSource;
    const view = Int32Array.from(rows, (k) => this.rowOf(k));
    // the same matrix, already checked: built without the constructor's O(nnz) check
    Object.assign(sub, {
      widths: this.widths,
      fields: this.fields,
      matrix: this.matrix,
      length: rows.length,
      view,
      buffer: new Float32Array(0),
      picked: new Int32Array(0),
    });
    return sub;
  }

  override rowTotals(): Float64Array {
    const { indptr, data } = this.matrix;
    const totals = new Float64Array(this.length);
    for (let k = 0; k < this.length; k++) {
      const i = this.rowOf(k);
      let s = 0;
      for (let e = indptr[i]!; e < indptr[i + 1]!; e++) s += data[e]!;
      totals[k] = s;
    }
    return totals;
  }

  /** A hash of the shape, the row pointers, the column indices, the values and a subset's rows (what a checkpoint is tied to). */
  fingerprint(): string {
    const { rows, cols, indptr, indices, data } = this.matrix;
    const words = (a: Int32Array | Float32Array) => ({
      data: new Float32Array(a.buffer, a.byteOffset, a.length),
      rows: a.length,
      cols: 1,
    });
    const whole = `csr ${rows}x${cols}:${matrixHash(words(indptr))}${matrixHash(words(indices))}${matrixHash(words(data))}`;
    return this.view === undefined ? whole : `${whole}/rows:${matrixHash(words(this.view))}`;
  }
}
