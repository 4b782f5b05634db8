import { ArgumentError, DataError, type Matrix, type SparseMatrix, sparseRowsInto } from '@varia/core';
import type { EpochArgs } from '../trainer/batch-source.js';
import { checkBlock, isSparse, type RowBlock } from './block-rows.js';
import { type HostBatch, RowBatchSource } from './row-batch-source.js';

/** What a stream yields: rows as a dense Matrix or a CSR SparseMatrix, or an object carrying one as `matrix`. */
export type StreamItem =
  | Matrix
  | SparseMatrix
  | {
      /** The block's rows (e.g. a `SparseRowBlock` of `streamMatrixMarket`). */
      readonly matrix: Matrix | SparseMatrix;
    };

/** Options of {@link StreamSource}. */
export interface StreamSourceOptions {
  /** Values per example (the model's `inputDim`), a positive integer. */
  width: number;
  /**
   * The number of examples, when known (e.g. a Matrix Market file's header): each epoch must then yield exactly that
   * many rows (a DataError otherwise), and the Trainer reports steps per epoch.
   */
  length?: number;
  /**
   * A fresh pass over the data, called once per epoch (and once per `encode`/`evaluate`): blocks of consecutive rows
   * of any size, e.g. `() => file.blocks()` of `openMatrixMarket`. Whatever order it yields is the order trained in.
   */
  blocks(args: { epoch: number }): AsyncIterable<StreamItem> | Iterable<StreamItem>;
}

/**
 * Training data as a stream — row blocks read one after the other (a file larger than memory, a network feed): only
 * one block and one batch are held at a time. The blocks are cut into batches of the training batch size, whatever
 * their own size, so a stream of a matrix's rows trains bit-identical weights to fitting the matrix with
 * `shuffle: false`. There is no shuffling beyond what `blocks` does itself (it receives the epoch number), and no
 * `validationSplit` (give `validationData`). Each batch is checked against the likelihood's rules when `fit` uploads
 * it; errors name the row's position in the stream.
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

  /** @throws ArgumentError for a bad `width`, `length` or `blocks`. */
  constructor(options: StreamSourceOptions) {
    const where = 'StreamSource';
    const { width, length, blocks } = options ?? ({} as StreamSourceOptions);
    for (const [name, v] of [
      ['width', width],
      ['length', length ?? 1],
    ] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
        throw new ArgumentError(name, `${where}: "${name}" must be a positive integer, got ${String(v)}`);
    }
    if (typeof blocks !== 'function')
      throw new ArgumentError(
        'blocks',
        `${where}: "blocks" must be a function ({ epoch }) => blocks, got ${typeof blocks}`,
      );
    super(width);
    this.length = length;
    this.open = blocks;
  }

  protected async *hostBatches({ epoch, batchSize }: EpochArgs): AsyncIterable<HostBatch> {
    const width = this.widths.x;
    if (this.buffer.length < batchSize * width) this.buffer = new Float32Array(batchSize * width);
    const buffer = this.buffer;
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
      const what = `StreamSource: block ${index++} (from row ${seen + filled})`;
      const raw = item !== null && typeof item === 'object' && 'matrix' in item ? item.matrix : item;
      const block: RowBlock = checkBlock(raw, width, what);
      for (let r = 0; r < block.rows; ) {
        const take = Math.min(block.rows - r, batchSize - filled);
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
          const first = seen;
          yield { data: buffer.subarray(0, filled * width), rows: filled, rowAt: (k) => first + k };
          seen += filled;
          filled = 0;
        }
      }
    }
    if (filled > 0) {
      const first = seen;
      yield { data: buffer.subarray(0, filled * width), rows: filled, rowAt: (k) => first + k };
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
