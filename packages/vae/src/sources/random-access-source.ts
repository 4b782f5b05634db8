import { ArgumentError, sparseRowsInto } from '@varia/core';
import { matrixHash } from '../resume-fingerprint.js';
import type { EpochArgs } from '../trainer/batch-source.js';
import { SHUFFLE_CHUNK, shuffledOrder } from './epoch-order.js';
import { showValue } from '../show-value.js';
import { readGiven } from './read-given.js';
import { checkFields } from './source-fields.js';
import { isSparse, type RowArrays, type RowBlock, type RowsWithCovariates, type RowsWithFields } from './block-rows.js';
import type { CovariateReader } from './source-covariates.js';
import { type HostBatch, RowBatchSource } from './row-batch-source.js';

/** Options of {@link RandomAccessSource}. */
export interface RandomAccessSourceOptions {
  /** Number of examples, a positive integer. */
  length: number;
  /** Values per example (the model's `inputDim`), a positive integer. */
  width: number;
  /**
   * The examples `indices` (0-based, each < `length`), in that order: a dense Matrix `[indices.length, width]`, a
   * CSR SparseMatrix of that shape, or the rows as an array (`number[][]`, `Float32Array[]`: one row of `width`
   * numbers per index, copied), or a promise of one — read from a file at offsets, a database, or generated.
   * `indices` is the caller's to keep. A conditional model's covariate rows may come with them:
   * `{ matrix, covariates }` (or be given to `fit` in memory, one row per example). Tensors in what it returns
   * (e.g. covariates as a tf.Tensor) become the source's: it reads them and frees them, also when it refuses them.
   * Anything else is an ArgumentError naming what was returned and what is accepted; a wrong shape a ShapeError; a
   * row-array value that is not a number a DataError naming its row in the whole data set and its column.
   */
  rows(
    indices: Int32Array,
  ):
    | RowBlock
    | RowArrays
    | RowsWithCovariates
    | RowsWithFields
    | Promise<RowBlock | RowArrays | RowsWithCovariates | RowsWithFields>;
  /** Identifies the data for resume (checkpoints are tied to it); without it a resumed run cannot check the data. */
  fingerprint?: string;
  /**
   * Fields that each batch carries besides `x`, by width — e.g. `{ labels: 10 }` — for a model of your own trained with
   * `fitModel`: every `rows(indices)` result then gives `{ matrix, labels }`, a Matrix `[indices.length, 10]` or rows
   * as an array, every value finite, and each batch has `labels` `[b, 10]` aligned with `x`. (`VAE.fit` reads `x`
   * and its covariates only.)
   */
  fields?: Readonly<Record<string, number>>;
}

/** The most rows a random-access source can index (its row indices are Int32Array). */
const MAX_ROWS = 2 ** 31 - 1;

/**
 * Training data with random access to its examples: whatever `rows(indices)` returns, one call per batch. Shuffled
 * exactly like in-memory data (the same seeded permutation), so a source that returns rows of a matrix trains
 * bit-identical weights to fitting the matrix. Supports `validationSplit` (a subset is a view on the same callback).
 * Each batch is checked against the likelihood's rules when `fit` uploads it; errors name the row in the whole data.
 * A shuffled epoch holds one Int32Array of `length` row positions (4 bytes per row: 4 MB per million rows, 8 GiB at
 * the most, 2³¹ − 1 rows), built before its first batch in chunks between which the run's abort signal is read; an
 * unshuffled epoch holds none.
 *
 * @example
 * ```ts
 * const source = new RandomAccessSource({
 *   length: 1_000_000,
 *   width: 2000,
 *   rows: (indices) => readRowsFromDisk(indices), // → { data: Float32Array, rows, cols }
 * });
 * await vae.fit(source, { epochs: 1, batchSize: 256 });
 * ```
 */
export class RandomAccessSource extends RowBatchSource {
  readonly length: number;
  private readonly read: RandomAccessSourceOptions['rows'];
  /** The index in the original source of row k of this one (a subset maps its rows back). */
  private readonly origin: (k: number) => number;
  private readonly hash: string | undefined;
  private buffer = new Float32Array(0);
  private identity = new Int32Array(0);

  /**
   * @param origin internal: maps row k of this source to the row of the source it is a subset of (messages).
   * @throws ArgumentError for a bad `length`, `width`, `rows`, `fingerprint` or `fields`.
   */
  constructor(options: RandomAccessSourceOptions, origin: (k: number) => number = (k) => k) {
    const where = 'RandomAccessSource';
    const { length, width, rows, fingerprint, fields } = options ?? ({} as RandomAccessSourceOptions);
    for (const [name, v] of [
      ['length', length],
      ['width', width],
    ] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
        throw new ArgumentError(name, `${where}: "${name}" must be a positive integer, got ${showValue(v)}`);
    }
    // row indices are Int32Array (the shuffle, subsets, the indices handed to rows())
    if (length > MAX_ROWS)
      throw new ArgumentError('length', `${where}: "length" ${length} is above ${MAX_ROWS} rows (2³¹ − 1)`);
    if (typeof rows !== 'function')
      throw new ArgumentError('rows', `${where}: "rows" must be a function (indices) => rows, got ${typeof rows}`);
    if (fingerprint !== undefined && typeof fingerprint !== 'string')
      throw new ArgumentError('fingerprint', `${where}: "fingerprint" must be a string, got ${typeof fingerprint}`);
    super(width, checkFields(fields, where));
    this.length = length;
    this.read = rows;
    this.origin = origin;
    this.hash = fingerprint;
  }

  protected override get blockName(): string {
    return 'RandomAccessSource: rows(indices)';
  }

  /** Fisher–Yates steps between two checks of the run's abort signal while an epoch's order is shuffled. */
  protected shuffleChunk = SHUFFLE_CHUNK;

  /**
   * One epoch's batches. With `shuffle`, the order is the seeded permutation of every row, built in chunks before
   * the first batch (see `shuffledOrder`: 4 bytes per row; the run's signal and stop check are
   * read between chunks, and an aborted run ends the epoch there); without, the rows in order, with no array of n.
   */
  protected async *hostBatches(args: EpochArgs, read?: CovariateReader, withFields = false): AsyncIterable<HostBatch> {
    const { batchSize, shuffle, rng } = args;
    const n = this.length;
    const width = this.widths.x;
    const order = shuffle ? await shuffledOrder(n, rng, args, this.shuffleChunk) : undefined;
    if (shuffle && order === undefined) return; // aborted while shuffling
    const inOrder = order === undefined ? new Int32Array(Math.min(n, batchSize)) : undefined;
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(n, start + batchSize) - start;
      let positions: Int32Array;
      if (order) positions = order.subarray(start, start + count);
      else {
        positions = inOrder!.subarray(0, count);
        for (let k = 0; k < count; k++) positions[k] = start + k;
      }
      const indices = positions.slice(); // the callback's to keep
      const rowAt = (k: number): number => this.origin(positions[k]!);
      const given = readGiven(await this.read(indices), {
        width,
        what: this.blockName,
        rows: count,
        rowAt,
        read,
        fields: withFields ? Object.entries(this.fields) : [],
      });
      const block = given.block;
      const covariates = given.covariates?.data;
      const fields = withFields ? given.fields : undefined;
      const extra = { positions, ...(covariates && { covariates }), ...(fields && { fields }) };
      if (isSparse(block)) {
        // dense on the host only when read: on the wasm backend the batch is densified into the tensor's memory
        let dense: Float32Array | undefined;
        const densify = (): Float32Array => {
          if (this.buffer.length < block.rows * width) this.buffer = new Float32Array(Math.min(batchSize, n) * width);
          if (this.identity.length < block.rows) this.identity = Int32Array.from({ length: batchSize }, (_, i) => i);
          dense ??= sparseRowsInto(block, this.identity.subarray(0, block.rows), this.buffer);
          return dense;
        };
        yield {
          get data() {
            return densify();
          },
          rows: count,
          rowAt,
          sparse: block,
          ...extra,
        };
      } else yield { data: block.data, rows: count, rowAt, ...extra };
    }
  }

  override subset(rows: Int32Array): RandomAccessSource {
    const { read, origin, hash, fields } = this;
    const picked = { data: new Float32Array(rows.buffer, rows.byteOffset, rows.length), rows: rows.length, cols: 1 };
    return new RandomAccessSource(
      {
        length: rows.length,
        width: this.widths.x,
        rows: (indices) => read(indices.map((k) => rows[k]!)),
        fields,
        ...(hash !== undefined && { fingerprint: `${hash}/rows:${matrixHash(picked)}` }),
      },
      (k) => origin(rows[k]!),
    );
  }

  /** The `fingerprint` option, when given. */
  get fingerprint(): (() => string) | undefined {
    const hash = this.hash;
    return hash === undefined ? undefined : () => hash;
  }
}
