import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError, type SparseMatrix, sparseRowsInto } from '@varia/core';
import { uploadWritten } from '../batch-assembler.js';
import { type DataRules, validateDomain } from '../data.js';
import type { BatchSource, EpochArgs } from '../trainer/batch-source.js';
import type { Batch } from '../trainer/trainable-model.js';
import { rowOfEntry } from './block-rows.js';
import {
  type CovariateReader,
  covariateReader,
  covariatesFingerprint,
  gatherCovariates,
  type SourceCovariates,
  subsetCovariates,
} from './source-covariates.js';

/** One batch of rows on the host, before it becomes a tensor. */
export interface HostBatch {
  /** `rows × width` values, row-major; may be a view of a reused buffer, valid until the next batch is asked for. */
  readonly data: Float32Array;
  /** Number of rows. */
  readonly rows: number;
  /** The index of local row `k` in the whole data set (0-based), for error messages. */
  rowAt(k: number): number;
  /**
   * The CSR rows `data` is, when the batch came as CSR — exactly its `rows` rows, in order, `width` columns: the domain
   * check then reads only their stored values (a zero fits every likelihood, ~20× fewer values at 5 % density), and
   * on the wasm backend the rows are densified straight into the batch tensor's memory (`data`, which a source may
   * build only when it is read, then is not built at all unless a likelihood's extra check reads it).
   */
  readonly sparse?: SparseMatrix;
  /** The rows of this source (0-based positions) the batch holds, for sources with random access: in-memory covariates are gathered by them. */
  readonly positions?: Int32Array;
  /** The covariate rows `[rows, C]` that came with the batch (read by the epoch's covariate reader), validated. */
  readonly covariates?: Float32Array;
  /** The rows `[rows, width]` of each field the source declares besides `x` (read when asked for), validated. */
  readonly fields?: Readonly<Record<string, Float32Array>>;
}

/** How {@link RowBatchSource.batches} checks each batch before upload. */
export interface BatchCheck {
  /** The likelihood's data rules (domain, name, extra checks). */
  rules: DataRules;
  /** The argument named in messages (`data`, `validationData`, `x`). */
  argument: string;
  /** The values were checked once up front (a sparse matrix's stored values): only `rules.validate` runs per batch. */
  domainChecked: boolean;
  /** The model's covariates: each batch carries a `covariates` field when the model declares any. */
  covariates?: SourceCovariates | undefined;
}

/**
 * The base of the sources that build each batch of the field `x` on the host (sparse, random-access, stream):
 * subclasses yield {@link HostBatch}es, this class turns them into `{ x }` tensors, checking each against a
 * likelihood's data rules when asked to ({@link RowBatchSource.checkedBy}, what `VAE.fit` does) — and, for a
 * conditional model, into `{ x, covariates }` with the covariate rows held in memory alongside the source or carried
 * by its callback results or blocks. Its own `epoch` (what `fitModel` reads) yields `{ x }` and every field the
 * source declares (`fields: { labels: 10 }` of a random-access or stream source, carried by each result or block).
 */
export abstract class RowBatchSource implements BatchSource {
  abstract readonly length: number | undefined;
  /** The width of `x` (values per example, the model's `inputDim`) and of each declared field. */
  readonly widths: Readonly<
    Record<string, number> & {
      /** Values per example (the model's `inputDim`). */
      x: number;
    }
  >;
  /** The declared fields besides `x`, by width (empty when none). */
  protected readonly fields: Readonly<Record<string, number>>;

  protected constructor(width: number, fields: Readonly<Record<string, number>> = {}) {
    this.widths = { x: width, ...fields };
    this.fields = fields;
  }

  /**
   * The host batches of one epoch (sync or async). `read`, when given, reads the covariate rows that each callback
   * result or block carries (called for every one, also without rows, so that missing rows are reported). With
   * `withFields`, each batch carries the rows of every declared field (`HostBatch.fields`).
   */
  protected abstract hostBatches(
    args: EpochArgs,
    read?: CovariateReader,
    withFields?: boolean,
  ): Iterable<HostBatch> | AsyncIterable<HostBatch>;

  /** Every row's total (Σⱼ xᵢⱼ), when cheap to know up front: library-size models record their median. */
  rowTotals?(): Float64Array;

  /** Whether its batches can carry covariate rows (a callback's result, a stream's blocks); else they come alongside. */
  get carriesCovariates(): boolean {
    return true;
  }

  /** What gives this source's rows (its callback or blocks), named in messages about the covariates they carry. */
  protected get blockName(): string {
    return this.constructor.name;
  }

  /**
   * Checks the values the source holds up front, when it holds them (a sparse matrix): true when it did, so batches
   * need no domain check. @throws DataError naming the row and column of the first bad value.
   */
  protected checkUpFront(_rules: DataRules, _argument: string): boolean {
    return false;
  }

  /** A source of the examples `rows` (0-based, in that order), when the source has random access. */
  subset?(rows: Int32Array): RowBatchSource;

  epoch(args: EpochArgs): Iterable<Batch> | AsyncIterable<Batch> {
    return this.batches(args, undefined);
  }

  /**
   * This source with every batch checked against `rules` before it is uploaded (values that are not finite, outside
   * the likelihood's domain, …): a DataError names `argument` and the value's row in the whole data set and its
   * column. Values held in memory are checked once, here. With `covariates` (a model's, see `bindCovariates`), every
   * batch also has the field `covariates` `[b, C]`: gathered from the rows held in memory, or the rows its callback
   * result or stream block carried.
   * @throws DataError for a bad value held in memory.
   */
  checkedBy(rules: DataRules, argument = 'data', covariates?: SourceCovariates): BatchSource {
    const check: BatchCheck = { rules, argument, domainChecked: this.checkUpFront(rules, argument), covariates };
    return new CheckedSource(this, check);
  }

  /**
   * The host batches of one epoch (no tensors), each checked against `rules` like {@link RowBatchSource.checkedBy}'s
   * batches: what `VAE.encode` and `VAE.evaluate` read a source with. With `covariates`, each batch's `covariates`
   * holds its covariate rows (when there are any).
   * @throws DataError for a bad value (up front for values held in memory, else in the batch that has it).
   */
  checkedHostBatches(
    args: EpochArgs,
    rules: DataRules,
    argument = 'data',
    covariates?: SourceCovariates,
  ): Iterable<HostBatch> | AsyncIterable<HostBatch> {
    const check: BatchCheck = { rules, argument, domainChecked: this.checkUpFront(rules, argument), covariates };
    const gather = this.covariateGatherer(args.batchSize, check);
    return this.mapBatches(args, check, (h) => {
      this.check(h, check);
      const rows = gather(h);
      return rows === h.covariates ? h : { ...h, covariates: rows };
    });
  }

  /**
   * The tensors of one epoch, each batch checked by `check` (when given) before upload. Unchecked (a model's own
   * `fitModel` run), each batch also holds every declared field; checked (`VAE.fit`), `x` and the model's covariates.
   */
  batches(args: EpochArgs, check: BatchCheck | undefined): Iterable<Batch> | AsyncIterable<Batch> {
    const width = this.widths.x;
    const gather = this.covariateGatherer(args.batchSize, check);
    const cols = check?.covariates?.declarations.length ?? 0;
    const fields = check ? [] : Object.entries(this.fields);
    return this.mapBatches(
      args,
      check,
      (h): Batch => {
        if (check) this.check(h, check);
        const covariates = gather(h);
        const x = (h.sparse && this.uploadSparse(h.sparse)) || tf.tensor2d(h.data, [h.rows, width], 'float32');
        if (covariates) return { x, covariates: tf.tensor2d(covariates, [h.rows, cols], 'float32') };
        const batch: Record<string, tf.Tensor2D> = { x };
        for (const [name, w] of fields) batch[name] = tf.tensor2d(h.fields![name]!, [h.rows, w], 'float32');
        return batch;
      },
      fields.length > 0,
    );
  }

  /** The covariate rows of a host batch: gathered from the rows held in memory, or those the batch carried. */
  private covariateGatherer(
    batchSize: number,
    check: BatchCheck | undefined,
  ): (h: HostBatch) => Float32Array | undefined {
    const memory = check?.covariates?.memory;
    if (!memory) return (h) => h.covariates;
    const buffer = new Float32Array(Math.min(batchSize, memory.rows) * memory.cols);
    return (h) => {
      if (!h.positions) {
        throw new ArgumentError('covariates', `${this.constructor.name}: covariates in memory need random access`);
      }
      return gatherCovariates(memory, h.positions, buffer);
    };
  }

  /** `f` over the host batches of one epoch, sync or async as they come (covariate rows read when `check` has any). */
  private mapBatches<T>(
    args: EpochArgs,
    check: BatchCheck | undefined,
    f: (h: HostBatch) => T,
    withFields = false,
  ): Iterable<T> | AsyncIterable<T> {
    const c = check?.covariates;
    const host = this.hostBatches(args, c && covariateReader(c, this.blockName), withFields);
    if (Symbol.asyncIterator in host) {
      return (async function* () {
        for await (const h of host) yield f(h);
      })();
    }
    return (function* () {
      for (const h of host) yield f(h);
    })();
  }

  /**
   * CSR rows as a batch tensor written straight into the wasm backend's memory (zeros, then the stored values: one
   * pass, no host buffer); undefined on other backends.
   */
  private uploadSparse(rows: SparseMatrix): tf.Tensor2D | undefined {
    if (this.inOrder.length < rows.rows) this.inOrder = Int32Array.from({ length: rows.rows }, (_, i) => i);
    const identity = this.inOrder.subarray(0, rows.rows);
    return uploadWritten(rows.rows, rows.cols, (out) => sparseRowsInto(rows, identity, out));
  }

  /** 0, 1, 2, …: the rows of a CSR batch in order. */
  private inOrder = new Int32Array(0);

  private check(h: HostBatch, check: BatchCheck): void {
    const width = this.widths.x;
    // a CSR batch's shape is its matrix's (checked when it was read); its dense values are not built for this
    const shaped = h.sparse !== undefined && h.sparse.rows === h.rows && h.sparse.cols === width;
    if (!shaped && h.data.length !== h.rows * width) {
      throw new ShapeError(
        'data',
        `${this.constructor.name}: a batch of ${h.rows} rows has ${h.data.length} values, expected ${h.rows} × ${width}`,
      );
    }
    const { rules, argument } = check;
    if (!check.domainChecked && h.sparse) {
      const { data, indptr, indices } = h.sparse;
      validateDomain({ data, rows: data.length, cols: 1 }, rules.domain, rules.likelihood, argument, (e) => ({
        row: h.rowAt(rowOfEntry(indptr, e)),
        column: indices[e]!,
      }));
    } else if (!check.domainChecked) {
      validateDomain({ data: h.data, rows: h.rows, cols: width }, rules.domain, rules.likelihood, argument, (i) => ({
        row: h.rowAt(Math.floor(i / width)),
        column: i % width,
      }));
    }
    rules.validate?.({ data: h.data, rows: h.rows, cols: width });
  }
}

/** Whether `x` is one of the host-batch sources (sparse, random-access, stream). */
export function isRowSource(x: unknown): x is RowBatchSource {
  return x instanceof RowBatchSource;
}

/** A {@link RowBatchSource} whose batches are checked against a likelihood's rules. */
class CheckedSource implements BatchSource {
  readonly length: number | undefined;
  readonly widths: Readonly<Record<string, number>>;
  readonly subset?: (rows: Int32Array) => BatchSource;
  readonly fingerprint?: () => string;
  /** Row totals of the source (library-size models record their median). */
  readonly rowTotals?: () => Float64Array;

  constructor(
    readonly inner: RowBatchSource,
    private readonly check: BatchCheck,
  ) {
    this.length = inner.length;
    const c = check.covariates;
    // x and the model's covariates: the fields a source declares for models of your own are not read
    const x = inner.widths.x;
    this.widths = c && c.declarations.length > 0 ? { x, covariates: c.declarations.length } : { x };
    const { subset, fingerprint, rowTotals } = inner as RowBatchSource & { fingerprint?: () => string };
    if (subset) {
      this.subset = (rows) =>
        new CheckedSource(subset.call(inner, rows), { ...check, ...(c && { covariates: subsetCovariates(c, rows) }) });
    }
    if (fingerprint) this.fingerprint = () => fingerprint.call(inner) + covariatesFingerprint(c);
    if (rowTotals) this.rowTotals = () => rowTotals.call(inner);
  }

  epoch(args: EpochArgs): Iterable<Batch> | AsyncIterable<Batch> {
    return this.inner.batches(args, this.check);
  }
}
