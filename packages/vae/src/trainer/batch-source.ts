import type * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, assertMatrix, type Matrix, permutation, ShapeError, takeRows } from '@varia/core';
import { BatchAssembler } from '../batch-assembler.js';
import { matrixHash } from '../resume-fingerprint.js';
import type { Batch } from './trainable-model.js';

/** What the Trainer passes to {@link BatchSource.epoch}. */
export interface EpochArgs {
  /** 1-based epoch. */
  epoch: number;
  /** Examples per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Whether to visit the examples in a fresh random order. */
  shuffle: boolean;
  /**
   * The epoch's seeded generator: draw the shuffle from it (and nothing else), before yielding the first batch. The
   * Trainer draws the steps' seeds from the same generator afterwards, so the same seed gives the same run.
   */
  rng: () => number;
  /**
   * The run's abort signal, when it has one. A source that prepares an epoch at length (a random-access source
   * shuffling millions of rows) checks it while it does and, once it is aborted, ends the epoch without a batch: the
   * Trainer then stops the run as aborted.
   */
  signal?: AbortSignal;
  /** Throws when the run's owner stops it (the model is disposed during training); checked like {@link EpochArgs.signal}. */
  checkStop?(): void;
}

/**
 * Where training batches come from: an in-memory matrix ({@link MatrixBatchSource}), a random-access file, a stream.
 *
 * The Trainer owns every batch it receives: it reads a batch's tensors only before asking for the next batch (or
 * after the epoch's last one) and disposes them then, so a source may refill a host buffer for each batch.
 */
export interface BatchSource {
  /** Number of examples; known for in-memory and random-access sources, undefined for a stream. */
  readonly length?: number;
  /** The width of each field, e.g. `{ x: 784, covariates: 2 }`: every batch has exactly these fields. */
  readonly widths: Readonly<Record<string, number>>;
  /** The batches of one epoch (sync or async iterable). */
  epoch(args: EpochArgs): Iterable<Batch> | AsyncIterable<Batch>;
  /** A source of the examples `rows` (0-based, in that order): what `validationSplit` needs. */
  subset?(rows: Int32Array): BatchSource;
  /** A hash of the data (what a checkpoint is tied to for resume); without it, resume cannot check the data. */
  fingerprint?(): string;
}

/**
 * An in-memory source: named matrices with the same number of rows, batched in the epoch's (shuffled) order. Each
 * batch's rows are copied into one reusable host buffer per field and uploaded (see `BatchAssembler`): O(batch) per
 * step, no gather on the device.
 */
export class MatrixBatchSource implements BatchSource {
  readonly length: number;
  readonly widths: Readonly<Record<string, number>>;
  private readonly fields: Readonly<Record<string, Matrix>>;
  private assemblers: { batchSize: number; byField: [string, BatchAssembler][] } | undefined;

  /**
   * `fields`: the matrices by name, e.g. `{ x, covariates }`.
   * @throws ArgumentError for no field; ShapeError for a malformed matrix or fields with different row counts.
   */
  constructor(fields: Readonly<Record<string, Matrix>>) {
    const names = typeof fields === 'object' && fields !== null ? Object.keys(fields) : [];
    if (names.length === 0)
      throw new ArgumentError('fields', 'MatrixBatchSource: give at least one field, e.g. { x: matrix }');
    for (const name of names) {
      const m: unknown = fields[name];
      if (typeof m !== 'object' || m === null)
        throw new ShapeError(
          name,
          `MatrixBatchSource: field "${name}" must be a Matrix { data, rows, cols }, got ${m}`,
        );
      assertMatrix(m as Matrix, name);
    }
    const rows = fields[names[0]!]!.rows;
    for (const name of names) {
      const m = fields[name]!;
      if (m.rows !== rows) {
        throw new ShapeError(
          name,
          `MatrixBatchSource: field "${name}" has ${m.rows} rows, field "${names[0]}" has ${rows}`,
        );
      }
    }
    this.fields = { ...fields };
    this.length = rows;
    this.widths = Object.fromEntries(names.map((name) => [name, fields[name]!.cols]));
  }

  /** The matrix of one field. @throws ArgumentError for an unknown field. */
  field(name: string): Matrix {
    const m = this.fields[name];
    if (!m) {
      throw new ArgumentError(
        'name',
        `MatrixBatchSource: no field "${name}" (fields: ${Object.keys(this.fields).join(', ')})`,
      );
    }
    return m;
  }

  *epoch({ batchSize, shuffle, rng }: EpochArgs): Iterable<Batch> {
    const n = this.length;
    const order = shuffle ? permutation(n, rng) : Int32Array.from({ length: n }, (_, i) => i);
    const byField = this.assemblersFor(batchSize);
    for (let start = 0; start < n; start += batchSize) {
      const idx = order.subarray(start, Math.min(n, start + batchSize));
      const batch: Record<string, tf.Tensor2D> = {};
      for (const [name, assembler] of byField) batch[name] = assembler.upload(idx);
      yield batch;
    }
  }

  subset(rows: Int32Array): MatrixBatchSource {
    return new MatrixBatchSource(
      Object.fromEntries(Object.entries(this.fields).map(([name, m]) => [name, takeRows(m, rows)])),
    );
  }

  /** `matrixHash` of the field `x` alone (as checkpoints of a single matrix recorded it), else of every field. */
  fingerprint(): string {
    const names = Object.keys(this.fields);
    if (names.length === 1 && names[0] === 'x') return matrixHash(this.fields.x!);
    return names.map((name) => `${name}:${matrixHash(this.fields[name]!)}`).join(',');
  }

  /** One assembler per field, reused while the batch size stays the same (host buffers of batchSize rows). */
  private assemblersFor(batchSize: number): [string, BatchAssembler][] {
    if (this.assemblers?.batchSize !== batchSize) {
      this.assemblers = {
        batchSize,
        byField: Object.entries(this.fields).map(([name, m]) => [name, new BatchAssembler(m, batchSize)]),
      };
    }
    return this.assemblers.byField;
  }
}
