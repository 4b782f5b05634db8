import { ArgumentError } from '@varia/core';
import type { CovariateInput } from './covariates.js';
import { assertOptions } from './known-keys.js';
import { orDefault } from './config-default.js';
import { showValue } from './show-value.js';

/** Options of {@link VAE.encode}. */
export interface EncodeOptions {
  /** Return a sample z ~ q(z|x) instead of the posterior mean (default false). */
  sample?: boolean;
  /** Seed of the sample. */
  seed?: number;
  /**
   * Covariate rows of x (one per example; see {@link CovariateInput}): required when the encoder reads them
   * (`encodeCovariates`), checked and otherwise unused when it does not. With a batch source: one per example of the
   * source, or none when its batches carry them (`{ matrix, covariates }`).
   */
  covariates?: CovariateInput;
  /**
   * How x reaches the encoder's first layer (the built-in MLP; other encoders always take dense x):
   * - not given (default): a CSR `SparseMatrix` x goes through the layer on its stored entries (`denseOfSparse` of
   *   `@varia/layers`: with `@varia/native-kernels` only the non-zeros are uploaded and multiplied); dense x is
   *   multiplied densely, as always (the same bits as before this option existed);
   * - `true`: dense x too takes the sparse path: with `@varia/native-kernels` (first-layer activation linear, relu or
   *   sigmoid; with a log1p input transform only a tensor x) x is checked and uploaded as on the dense path and the
   *   layer's kernel finds the non-zero cells itself (`denseOfSparseInput`), elsewhere x is converted to CSR (one pass
   *   on the host) — the same bits as its CSR either way;
   * - `false`: a CSR x is densified and takes the dense path;
   * - `'auto'`: the sparse path where the backend has the sparse kernel and few enough cells are non-zero — at most 25 %
   *   of a CSR input, 10 % of dense rows (which must be converted first; see {@link SPARSE_AUTO_DENSITY}) —, else the
   *   dense one.
   *
   * The two paths differ by float32 rounding only (the sums run in another order). A CSR x that takes the dense path
   * (`false`, `'auto'` above its density, or an encoder other than the built-in MLP) is densified in blocks of at
   * most 2²² cells, never whole; a seeded sample of the block starting at row r then uses seed + r. A
   * `SparseBatchSource`'s batches are CSR matrices for this option, as a CSR x is.
   */
  sparseInput?: boolean | 'auto';
}

/**
 * The library size (total count per example) that library-size count models (`librarySize: true`) decode with: one
 * number for every row, or one per row. Default: the median row total of the training data, which `fit` records in
 * the config as `librarySizeMedian` (and `save` stores).
 */
export type LibrarySizeOption = number | ArrayLike<number>;

/** Options of {@link VAE.decode}. */
export interface DecodeOptions {
  /** Library-size models: the library size per row or for all rows. See {@link LibrarySizeOption}. */
  librarySize?: LibrarySizeOption;
  /** Conditional models: covariate rows, one per row of z or one for all. See {@link CovariateInput}. */
  covariates?: CovariateInput;
}

/** Options of {@link VAE.reconstruct}. */
export interface ReconstructOptions {
  /** Conditional models: covariate rows, one per example. See {@link CovariateInput}. */
  covariates?: CovariateInput;
}

/** Options of {@link VAE.interpolate}. */
export interface InterpolateOptions {
  /** Conditional models: one covariate row, used for both ends and every step. See {@link CovariateInput}. */
  covariates?: CovariateInput;
}

/** Options of {@link VAE.sample}. */
export interface GenerateOptions {
  /** Return the decoder's mean E[x|z] instead of a draw x ~ p(x|z) (default false). */
  mean?: boolean;
  /** Seed. */
  seed?: number;
  /** Library-size models: the library size per row or for all rows. See {@link LibrarySizeOption}. */
  librarySize?: LibrarySizeOption;
  /** Conditional models: covariate rows, one per example or one for all. See {@link CovariateInput}. */
  covariates?: CovariateInput;
}

/** Options of {@link VAE.evaluate}. */
export interface EvaluateOptions {
  /** Also compute the IWAE bound with this many importance samples. */
  iwaeK?: number;
  /** Examples per evaluation batch (default 256). */
  batchSize?: number;
  /** Seed of the posterior samples (default 0). */
  seed?: number;
  /** Conditional models: covariate rows, one per example. See {@link CovariateInput}. */
  covariates?: CovariateInput;
}

/**
 * Size limits of the inference methods, checked before anything is allocated, so that a typo such as
 * `interpolate(a, b, 1e9)` or `evaluate(x, { iwaeK: 1e9 })` is an ArgumentError instead of a hang or an
 * out-of-memory crash.
 */
export const INFERENCE_LIMITS = {
  /** The most values one generated output may hold: `n × inputDim` of `sample`, `steps × inputDim` of `interpolate`. */
  maxOutputValues: 2 ** 28,
  /** The most points of one `interpolate` line (`steps`): 2²⁰, whatever the model's width. */
  maxInterpolationSteps: 2 ** 20,
  /** The most importance samples of `evaluate`'s IWAE bound (`iwaeK`; the CLI's `--iwae-k` has the same cap). */
  maxIwaeK: 10_000,
  /**
   * The most values one IWAE batch may decode: `iwaeK × rows × width`, with width the widest decoder layer
   * (latentDim, hidden widths, inputDim). `evaluate` shrinks its batch to fit; one row over the limit is an error.
   */
  maxIwaeValues: 2 ** 28,
} as const;

/**
 * Throws unless `count × width ≤ INFERENCE_LIMITS.maxOutputValues` (`count` already a positive integer).
 * @throws ArgumentError naming `argument`.
 */
export function checkOutputSize(where: string, argument: string, count: number, width: number): void {
  if (count * width > INFERENCE_LIMITS.maxOutputValues) {
    throw new ArgumentError(
      argument,
      `${where}: "${argument}" is ${count}: ${argument} × inputDim (${width}) is above the limit of ${INFERENCE_LIMITS.maxOutputValues} values (INFERENCE_LIMITS.maxOutputValues)`,
    );
  }
}

/**
 * The rows per `evaluate` batch: `batchSize`, shrunk with `iwaeK` so that iwaeK × rows × width ≤
 * {@link INFERENCE_LIMITS}.maxIwaeValues, width the widest decoder layer (latentDim, decoderUnits, inputDim).
 * @throws ArgumentError naming `iwaeK` when even one row is above the limit.
 */
export function iwaeBatchSize(
  where: string,
  batchSize: number,
  iwaeK: number | undefined,
  model: { inputDim: number; latentDim: number; decoderUnits: readonly number[] },
): number {
  if (!iwaeK) return batchSize;
  const width = Math.max(model.inputDim, model.latentDim, ...model.decoderUnits);
  const rows = Math.floor(INFERENCE_LIMITS.maxIwaeValues / (iwaeK * width));
  if (rows < 1) {
    throw new ArgumentError(
      'iwaeK',
      `${where}: "iwaeK" is ${iwaeK}: iwaeK × the widest decoder layer (${width}) is above the limit of ${INFERENCE_LIMITS.maxIwaeValues} values per batch (INFERENCE_LIMITS.maxIwaeValues)`,
    );
  }
  return Math.min(batchSize, rows);
}

const KNOWN = {
  encode: ['sample', 'seed', 'covariates', 'sparseInput'],
  decode: ['librarySize', 'covariates'],
  sample: ['mean', 'seed', 'librarySize', 'covariates'],
  evaluate: ['iwaeK', 'batchSize', 'seed', 'covariates'],
  reconstruct: ['covariates'],
  interpolate: ['covariates'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Checks the options object of a VAE inference method: known keys, `seed` an integer, `mean`/`sample` booleans,
 * `iwaeK`/`batchSize` positive integers, `iwaeK` at most {@link INFERENCE_LIMITS}.maxIwaeK.
 * @throws ArgumentError naming the option.
 */
export function checkInferenceOptions(method: keyof typeof KNOWN, options: unknown): void {
  const where = `VAE.${method}`;
  assertOptions(options, KNOWN[method], where);
  const o = options as Record<string, unknown>;
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed))) {
    throw new ArgumentError('seed', `${where}: "seed" must be an integer, got ${showValue(o.seed)}`);
  }
  for (const key of ['mean', 'sample'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      throw new ArgumentError(key, `${where}: "${key}" must be true or false, got ${showValue(o[key])}`);
    }
  }
  if (o.sparseInput !== undefined && typeof o.sparseInput !== 'boolean' && o.sparseInput !== 'auto') {
    throw new ArgumentError(
      'sparseInput',
      `${where}: "sparseInput" must be true, false or 'auto', got ${showValue(o.sparseInput)}`,
    );
  }
  for (const key of ['iwaeK', 'batchSize'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
      throw new ArgumentError(key, `${where}: "${key}" must be a positive integer, got ${showValue(v)}`);
    }
  }
  if (typeof o.iwaeK === 'number' && o.iwaeK > INFERENCE_LIMITS.maxIwaeK) {
    throw new ArgumentError(
      'iwaeK',
      `${where}: "iwaeK" is ${o.iwaeK}, above the limit of ${INFERENCE_LIMITS.maxIwaeK} importance samples (INFERENCE_LIMITS.maxIwaeK)`,
    );
  }
}

/**
 * The library sizes of `rows` rows for a decode: `given` (one number, or one per row), else the recorded default.
 * @throws ArgumentError for a model without library size, a wrong length, a value that is not a finite number > 0,
 *   or no value and no recorded default.
 */
export function librarySizes(
  where: string,
  model: { librarySize: boolean; librarySizeMedian: number | null },
  rows: number,
  given: LibrarySizeOption | undefined,
): Float32Array | undefined {
  if (!model.librarySize) {
    if (given !== undefined) {
      throw new ArgumentError(
        'librarySize',
        `${where}: "librarySize" applies only to models built with librarySize: true`,
      );
    }
    return undefined;
  }
  // only an absent librarySize takes the recorded one: null is refused below like any other wrong value
  const value = orDefault<LibrarySizeOption | null>(given, model.librarySizeMedian);
  if (value === null && given === undefined) {
    throw new ArgumentError(
      'librarySize',
      `${where}: this library-size model has no recorded library size (fit records the median row total of its training data): pass { librarySize }`,
    );
  }
  const sizes = typeof value === 'number' ? new Float32Array(rows).fill(value) : undefined;
  const list =
    sizes ?? (typeof value === 'object' && value !== null && typeof value.length === 'number' ? value : undefined);
  if (!list || list.length !== rows) {
    throw new ArgumentError(
      'librarySize',
      `${where}: "librarySize" must be one number or ${rows} numbers (one per row), got ${describe(value)}`,
    );
  }
  for (let i = 0; i < rows; i++) {
    const l = list[i];
    if (typeof l !== 'number' || !(l > 0) || !Number.isFinite(l)) {
      throw new ArgumentError(
        'librarySize',
        `${where}: "librarySize" must be finite numbers > 0, got ${showValue(l)} at index ${i}`,
      );
    }
  }
  return sizes ?? Float32Array.from(list);
}

function describe(v: unknown): string {
  if (typeof v === 'object' && v !== null && 'length' in v) return `${(v as ArrayLike<unknown>).length} values`;
  return showValue(v);
}

/** The median of the row totals of a row-major matrix (the default library size of a library-size model). */
export function medianRowTotal(data: Float32Array, rows: number, cols: number): number {
  const totals = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += data[i * cols + j]!;
    totals[i] = s;
  }
  totals.sort();
  const mid = rows >> 1;
  const median = rows % 2 === 1 ? totals[mid]! : (totals[mid - 1]! + totals[mid]!) / 2;
  // a library size is at least 1, as in training (log max(total, 1))
  return Math.max(median, 1);
}
