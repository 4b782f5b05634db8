import { ArgumentError, DataError, type Matrix, type SparseMatrix, sparseRowsInto } from '@varia/core';
import type { EpochArgs } from '../trainer/batch-source.js';
import { isSparse, type RowArrays, type RowsWithCovariates, type RowsWithFields } from './block-rows.js';
import type { CovariateReader } from './source-covariates.js';
import { showValue } from '../show-value.js';
import { readGiven } from './read-given.js';
import { checkFields } from './source-fields.js';
import { type HostBatch, RowBatchSource } from './row-batch-source.js';

/**
 * What a stream yields: rows as a dense Matrix, a CSR SparseMatrix or an array of rows (`number[][]`,
 * `Float32Array[]`), or an object carrying one as `matrix` (e.g. a `SparseRowBlock` of `streamMatrixMarket`) and, for
 * a conditional model, the block's covariate rows as `covariates`. Tensors in an item are the source's once yielded:
 * it reads them and frees them, also when it refuses them.
 */
export type StreamItem = Matrix | SparseMatrix | RowArrays | RowsWithCovariates | RowsWithFields;

/** Options of {@link StreamSource}. */
export interface StreamSourceOptions {
  /** Values per example (the model's `inputDim`), a positive integer. */
  width: number;
  /**
   * The number of examples, when known (e.g. a Matrix Market file's header): each epoch must then yield exactly that
   * many rows, and the Trainer reports steps per epoch. A DataError otherwise: at the end of a shorter pass, or at
   * the block that passes the length, before any of its rows is used (so an endless stream stops there).
   */
  length?: number;
  /**
   * A fresh pass over the data, called once per epoch (and once per `encode`/`evaluate`): blocks of consecutive rows
   * of any size, e.g. `() => file.blocks()` of `openMatrixMarket`. Whatever order it yields is the order trained in.
   */
  blocks(args: { epoch: number }): AsyncIterable<StreamItem> | Iterable<StreamItem>;
  /**
   * Fields that each batch carries besides `x`, by width — e.g. `{ labels: 10 }` — for a model of your own trained with
   * `fitModel`: every block then yields `{ matrix, labels }`, a Matrix `[block rows, 10]` or rows as an array, every
   * value finite; the stream's batches have `labels` `[b, 10]` aligned with `x`, whatever the block sizes.
   * (`VAE.fit` reads `x` and its covariates only.)
   */
  fields?: Readonly<Record<string, number>>;
}

/**
 * Training data as a stream — row blocks read one after the other (a file larger than memory, a network feed): only
 * one block and one batch are held at a time. The blocks are cut into batches of the training batch size, whatever
 * their own size, so a stream of a matrix's rows trains bit-identical weights to fitting the matrix with
 * `shuffle: false`. There is no shuffling beyond what `blocks` does itself (it receives the epoch number), and no
 * `validationSplit` (give `validationData`). Each batch is checked against the likelihood's rules when `fit` uploads
 * it; errors name the row's position in the stream. A conditional model's covariate rows come with the blocks
 * (`{ matrix, covariates }`, one covariate row per row of the block), validated as they come.
 *
 * @example
 * ```ts
 * const file = await openMatrixMarket('matrix.mtx', { dtype: 'counts', transpose: true });
 * const source = new StreamSource({ width: file.header.cols, length: file.header.rows, blocks: () => file.blocks() });
 * await vae.fit(source, { epochs: 5, batchSize: 256 });
 * ```
 */
export class StreamSource extends RowBatchSource {
  readonly length: number | undefined;
  private readonly open: StreamSourceOptions['blocks'];
  private buffer = new Float32Array(0);

  /** @throws ArgumentError for a bad `width`, `length`, `blocks` or `fields`. */
  constructor(options: StreamSourceOptions) {
    const where = 'StreamSource';
    const { width, length, blocks, fields } = options ?? ({} as StreamSourceOptions);
    for (const [name, v] of [
      ['width', width],
      ['length', length ?? 1],
    ] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
        throw new ArgumentError(name, `${where}: "${name}" must be a positive integer, got ${showValue(v)}`);
    }
    if (typeof blocks !== 'function')
      throw new ArgumentError(
        'blocks',
        `${where}: "blocks" must be a function ({ epoch }) => blocks, got ${typeof blocks}`,
      );
    super(width, checkFields(fields, where));
    this.length = length;
    this.open = blocks;
  }

  protected async *hostBatches(
    { epoch, batchSize }: EpochArgs,
    read?: CovariateReader,
    withFields = false,
  ): AsyncIterable<HostBatch> {
    const width = this.widths.x;
    if (this.buffer.length < batchSize * width) this.buffer = new Float32Array(batchSize * width);
    const buffer = this.buffer;
    // the covariate rows of the buffered rows (blocks that carry them): C columns, known from the first such block
    let covariates: { buffer: Float32Array; cols: number } | undefined;
    // the rows of each declared field, buffered like x (read from every block when asked for)
    const fields = (withFields ? Object.entries(this.fields) : []).map(([name, cols]) => ({
      name,
      cols,
      buffer: new Float32Array(batchSize * cols),
    }));
    const batch = (rows: number, first: number): HostBatch => ({
      data: buffer.subarray(0, rows * width),
      rows,
      rowAt: (k) => first + k,
      ...(covariates && { covariates: covariates.buffer.subarray(0, rows * covariates.cols) }),
      ...(fields.length > 0 && {
        fields: Object.fromEntries(fields.map((f) => [f.name, f.buffer.subarray(0, rows * f.cols)])),
      }),
    });
    let filled = 0; // rows in the buffer
    let seen = 0; // rows of the stream before the buffer's first
    let index = 0;
    const stream = this.open({ epoch });
    if (stream === null || typeof stream !== 'object' || !(Symbol.asyncIterator in stream || Symbol.iterator in stream))
      throw new ArgumentError(
        'blocks',
        'StreamSource: "blocks" must return an iterable or async iterable of row blocks',
      );
    for await (const item of stream as AsyncIterable<StreamItem>) {
      const blockStart = seen + filled;
      const what = `StreamSource: block ${index++} (from row ${blockStart})`;
      const given = readGiven(item, {
        width,
        what,
        rowAt: (k) => blockStart + k,
        read,
        fields: fields.map((f) => [f.name, f.cols] as const),
      });
      const { block, covariates: rows } = given;
      // a stream longer than its length is refused at the block that passes it, before any of its rows is trained on
      // or kept (an endless stream would otherwise be read for ever)
      if (this.length !== undefined && blockStart + block.rows > this.length) {
        throw new DataError(
          `${what} gives ${block.rows} rows, which take the stream past its "length" of ${this.length}`,
          { row: this.length },
        );
      }
      const carried = fields.map((f) => given.fields[f.name]!);
      if (index > 1 && (rows !== undefined) !== (covariates !== undefined)) {
        throw new ArgumentError(
          'covariates',
          `${what} ${rows ? 'carries' : 'carries no'} covariate rows, the blocks before it ${rows ? 'did not' : 'did'}: every block or none`,
        );
      }
      if (rows && !covariates) covariates = { buffer: new Float32Array(batchSize * rows.cols), cols: rows.cols };
      for (let r = 0; r < block.rows; ) {
        const take = Math.min(block.rows - r, batchSize - filled);
        if (rows && covariates)
          covariates.buffer.set(rows.data.subarray(r * rows.cols, (r + take) * rows.cols), filled * rows.cols);
        fields.forEach((f, i) => {
          f.buffer.set(carried[i]!.subarray(r * f.cols, (r + take) * f.cols), filled * f.cols);
        });
        const out = buffer.subarray(filled * width, (filled + take) * width);
        if (isSparse(block))
          sparseRowsInto(
            block,
            Int32Array.from({ length: take }, (_, k) => r + k),
            out,
          );
        else out.set(block.data.subarray(r * width, (r + take) * width));
        filled += take;
        r += take;
        if (filled === batchSize) {
          yield batch(filled, seen);
          seen += filled;
          filled = 0;
        }
      }
    }
    if (filled > 0) {
      yield batch(filled, seen);
      seen += filled;
    }
    if (seen === 0) throw new DataError('StreamSource: the stream yielded no examples', {});
    if (this.length !== undefined && seen !== this.length) {
      throw new DataError(`StreamSource: the stream yielded ${seen} rows, but its "length" is ${this.length}`, {
        row: seen,
      });
    }
  }
}
