import type * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  assertSparseMatrix,
  type Matrix,
  ShapeError,
  type SparseMatrix,
  type VariaError,
} from '@varia/core';
import type { ResolvedCovariate } from '../covariates.js';
import { readCovariates } from '../covariates-rows.js';
import { type DataInput, type DataRules, readData } from '../data.js';
import { FIT_OPTION_NAMES, type FitOptions, type History } from '../fit-options.js';
import type { FittableModel } from '../fit.js';
import { type EncodeOptions, type EvaluateOptions, iwaeBatchSize } from '../inference-options.js';
import { MatrixBatchSource } from '../trainer/batch-source.js';
import { checkSparseValues, markChecked } from '../sparse-input.js';
import { runTraining } from '../trainer/trainer.js';
import { resolveTrainerOptions } from '../trainer/trainer-options.js';
import type { Evaluation } from '../vae.js';
import { assertOptions } from '../known-keys.js';
import { vaeTrainable } from '../vae-trainable.js';
import { isRowSource, type RowBatchSource } from './row-batch-source.js';
import { bindCovariates, type SourceCovariates } from './source-covariates.js';
import { SparseBatchSource } from './sparse-batch-source.js';

/*
 * What `VAE.fit`, `VAE.encode` and `VAE.evaluate` do with a sparse, random-access or stream source: the same checks
 * and the same training / inference as for a matrix, batch by batch. Internal.
 */

/** The data rules of a model's likelihood. */
function rulesOf(model: FittableModel): DataRules {
  return { domain: model.likelihood.domain, likelihood: model.config.likelihood, validate: model.likelihood.validate };
}

/** A model's covariate declarations (none for a model without covariates) and whether its encoder reads them. */
function covariatesOf(model: FittableModel): { declarations: readonly ResolvedCovariate[]; encoded: boolean } {
  const c = model.config as { covariates?: readonly ResolvedCovariate[]; encodeCovariates?: boolean };
  return { declarations: c.covariates ?? [], encoded: c.encodeCovariates === true };
}

/**
 * The covariates of a source for `where` (`VAE.fit`, …): `input` are rows held in memory alongside it (or undefined:
 * the batches carry them); `required` when every batch needs them.
 */
function bind(
  model: FittableModel,
  source: RowBatchSource,
  input: unknown,
  where: string,
  argument = 'covariates',
  required = covariatesOf(model).declarations.length > 0,
): SourceCovariates {
  return bindCovariates(source, covariatesOf(model).declarations, input, { required, argument, where });
}

/** Checks that a source's width is the model's `inputDim`. @throws ShapeError naming `argument`. */
function checkWidth(source: RowBatchSource, inputDim: number, argument: string): void {
  if (source.widths.x !== inputDim) {
    throw new ShapeError(
      argument,
      `"${argument}" has ${source.widths.x} columns per example, the model's inputDim is ${inputDim}`,
    );
  }
}

/**
 * `VAE.fit` on a source: the options checked first, then the source's width (and its values and covariate rows, when
 * they are held in memory); each batch is checked before it is uploaded. Trains exactly as `trainModel` does on a
 * matrix: the same shuffle, seeds and steps, so a source of a matrix's rows (and the same `covariates`) gives
 * bit-identical weights. A conditional model's covariate rows come alongside (`options.covariates`, one row per
 * example of the source) or with each batch (`{ matrix, covariates }` of a callback or stream block).
 */
export async function trainOnSource(
  model: FittableModel,
  source: RowBatchSource,
  options: FitOptions,
  control: { stopError?(): VariaError | undefined },
): Promise<History> {
  const isObject = typeof options === 'object' && options !== null && !Array.isArray(options);
  if (isObject) assertOptions(options, FIT_OPTION_NAMES, 'fit');
  const { covariates, validationCovariates, ...rest } = isObject ? options : ({} as FitOptions);
  const o = resolveTrainerOptions(isObject ? rest : options, model.config);
  const rules = rulesOf(model);
  checkWidth(source, model.config.inputDim, 'data');
  const train = source.checkedBy(rules, 'data', bind(model, source, covariates, 'VAE.fit'));
  let validationData: MatrixBatchSource | ReturnType<RowBatchSource['checkedBy']> | undefined;
  const v = o.validationData as DataInput | RowBatchSource | undefined;
  if (isRowSource(v)) {
    checkWidth(v, model.config.inputDim, 'validationData');
    const c = bind(model, v, validationCovariates, 'VAE.fit', 'validationCovariates');
    validationData = v.checkedBy(rules, 'validationData', c);
  } else if (v !== undefined) {
    const x = readData(v, model.config.inputDim, rules, 'validationData');
    const c = readCovariates(covariatesOf(model).declarations, validationCovariates, x.rows, 'VAE.fit', {
      argument: 'validationCovariates',
    });
    validationData = new MatrixBatchSource({ x, ...(c && { covariates: c }) });
  } else if (validationCovariates !== undefined) {
    throw new ArgumentError(
      'validationCovariates',
      'VAE.fit: "validationCovariates" belong to "validationData", which is not given (with "validationSplit" the covariates split with their rows)',
    );
  }
  return runTraining(
    vaeTrainable(model),
    train,
    { ...o, validationData },
    {
      ...control,
      onTrainingData: (part) => {
        // library-size models record the median row total, when the source knows its rows' totals
        const totals = (part as { rowTotals?: () => Float64Array }).rowTotals?.();
        if (totals) model.onTrainingData?.({ data: Float32Array.from(totals), rows: totals.length, cols: 1 });
      },
    },
  ) as Promise<History>;
}

/**
 * Runs `perBatch` on every batch of a source, in order, checked against the model's rules: `first` is the index of
 * the batch's first row; `options` carry the batch's covariate rows, when it has any.
 */
async function eachBatch(
  model: FittableModel,
  source: RowBatchSource,
  batchSize: number,
  covariates: SourceCovariates,
  perBatch: (m: Matrix, first: number, options: { covariates?: Matrix }) => Promise<void>,
): Promise<number> {
  let rows = 0;
  const batches = source.checkedHostBatches(
    { epoch: 1, batchSize, shuffle: false, rng: () => 0 },
    rulesOf(model),
    'x',
    covariates,
  );
  const cols = covariates.declarations.length;
  for await (const h of batches) {
    const c = h.covariates && { covariates: { data: h.covariates, rows: h.rows, cols } };
    await perBatch({ data: h.data, rows: h.rows, cols: source.widths.x }, rows, c ?? {});
    rows += h.rows;
  }
  return rows;
}

/** Takes `covariates` out of inference options and binds them to the source (checked in this order). */
function inferenceCovariates<O extends { covariates?: unknown }>(
  model: FittableModel,
  source: RowBatchSource,
  options: O,
  where: string,
  required: boolean,
): { rest: Omit<O, 'covariates'>; covariates: SourceCovariates } {
  checkWidth(source, model.config.inputDim, 'x');
  const { covariates, ...rest } = options;
  return { rest, covariates: bind(model, source, covariates, where, 'covariates', required) };
}

/** Rows per batch when `encode` reads a source. */
const ENCODE_BATCH = 512;

/**
 * Runs `perBatch` on a sparse source's batches as CSR matrices (nothing densified: `encode` takes each through the
 * sparse path where the encoder allows it, else densifies it in bounded blocks), in order, after the checks
 * `eachBatch` makes: every stored value against the model's rules once, up front (rows and columns of the whole
 * source), and each batch's covariate rows from those held in memory. Undefined for a source that is not a whole
 * sparse matrix (a subset): `eachBatch` then reads it.
 */
async function eachCsrBatch(
  model: FittableModel,
  source: RowBatchSource,
  covariates: SourceCovariates,
  perBatch: (x: SparseMatrix, first: number, options: { covariates?: Matrix }) => Promise<void>,
): Promise<number | undefined> {
  const batches = source instanceof SparseBatchSource ? source.csrBatches(ENCODE_BATCH) : undefined;
  if (!batches) return undefined;
  // the whole matrix once (its structure too: it may have changed since the source was made), not each batch again
  const matrix = (source as SparseBatchSource).matrix;
  assertSparseMatrix(matrix, 'x');
  checkSparseValues(matrix, rulesOf(model), 'x');
  const memory = covariates.memory;
  let first = 0;
  for (const x of batches) {
    const c = memory && {
      covariates: {
        data: memory.data.subarray(first * memory.cols, (first + x.rows) * memory.cols),
        rows: x.rows,
        cols: memory.cols,
      },
    };
    await perBatch(markChecked(x), first, c ?? {});
    first += x.rows;
  }
  return first;
}

/**
 * `VAE.encode` of a source: `encodeBatch` (the VAE's own `encode` of a matrix) on each batch of 512 rows, in order;
 * the latents of all rows as one host matrix `[n, latentDim]`. A {@link SparseBatchSource}'s batches are CSR matrices
 * (`encode` of a CSR matrix: the sparse path where the encoder is the built-in MLP and `sparseInput` allows it, else
 * densified in bounded blocks); other sources' are dense. With `sample: true` and a `seed`, the batch starting at
 * row r samples with seed `seed + r`. A model whose encoder reads covariates takes them alongside (`covariates`, one
 * row per example of the source) or from the batches.
 * @throws the errors of the covariate rows (see `bindCovariates`, `readCovariates`); the source's DataError / ShapeError.
 */
export async function encodeSource(
  model: FittableModel,
  source: RowBatchSource,
  options: EncodeOptions,
  encodeBatch: (m: Matrix | SparseMatrix, options: EncodeOptions) => tf.Tensor2D,
): Promise<Matrix> {
  const { rest, covariates } = inferenceCovariates(model, source, options, 'VAE.encode', covariatesOf(model).encoded);
  let out = new Float32Array(0);
  let cols = 0;
  const perBatch = async (m: Matrix | SparseMatrix, first: number, c: { covariates?: Matrix }) => {
    const seed = options.seed === undefined ? {} : { seed: options.seed + first };
    const z = encodeBatch(m, { ...rest, ...seed, ...c });
    try {
      cols = z.shape[1];
      const values = (await z.data()) as Float32Array;
      const need = (first + m.rows) * cols;
      if (out.length < need) {
        const grown = new Float32Array(Math.max(need, (source.length ?? 0) * cols, 2 * out.length));
        grown.set(out.subarray(0, first * cols));
        out = grown;
      }
      out.set(values, first * cols);
    } finally {
      z.dispose();
    }
  };
  const rows =
    (await eachCsrBatch(model, source, covariates, perBatch)) ??
    (await eachBatch(model, source, ENCODE_BATCH, covariates, perBatch));
  return { data: out.subarray(0, rows * cols), rows, cols };
}

/**
 * `VAE.evaluate` of a source: the batches `evaluate` of a matrix would use (the same size, shrunk for `iwaeK`), each
 * evaluated by `evaluateBatch` (the VAE's own `evaluate` of a matrix) with the seed of its first row, `seed + r`, so
 * the averages equal those of the matrix up to float64 rounding. A conditional model's covariate rows come alongside
 * (`covariates`, one row per example of the source) or with the batches.
 * @throws the errors of `evaluate` and of the covariate rows; the source's DataError / ShapeError.
 */
export async function evaluateSource(
  model: FittableModel & { config: { latentDim: number; decoderUnits: readonly number[] } },
  source: RowBatchSource,
  options: EvaluateOptions,
  evaluateBatch: (m: Matrix, options: EvaluateOptions) => Promise<Evaluation>,
): Promise<Evaluation> {
  const batchSize = iwaeBatchSize('VAE.evaluate', options.batchSize ?? 256, options.iwaeK, model.config);
  const required = covariatesOf(model).declarations.length > 0;
  const { rest, covariates } = inferenceCovariates(model, source, options, 'VAE.evaluate', required);
  const seed = options.seed ?? 0;
  const sums = { elbo: 0, reconstruction: 0, kl: 0, iwae: 0 };
  const n = await eachBatch(model, source, batchSize, covariates, async (m, first, c) => {
    const r = await evaluateBatch(m, { ...rest, batchSize, seed: seed + first, ...c });
    sums.elbo += r.elbo * r.n;
    sums.reconstruction += r.reconstruction * r.n;
    sums.kl += r.kl * r.n;
    if (r.iwae !== undefined) sums.iwae += r.iwae * r.n;
  });
  const result: Evaluation = { elbo: sums.elbo / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n, n };
  if (options.iwaeK) result.iwae = sums.iwae / n;
  return result;
}
