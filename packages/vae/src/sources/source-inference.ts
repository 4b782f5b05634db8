import type * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, type Matrix, ShapeError, type VariaError } from '@varia/core';
import { type DataInput, type DataRules, readData } from '../data.js';
import type { FitOptions, History } from '../fit-options.js';
import type { FittableModel } from '../fit.js';
import { type EncodeOptions, type EvaluateOptions, iwaeBatchSize } from '../inference-options.js';
import { MatrixBatchSource } from '../trainer/batch-source.js';
import { runTraining } from '../trainer/trainer.js';
import { resolveTrainerOptions } from '../trainer/trainer-options.js';
import type { Evaluation } from '../vae.js';
import { vaeTrainable } from '../vae-trainable.js';
import { isRowSource, type RowBatchSource } from './row-batch-source.js';

/*
 * What `VAE.fit`, `VAE.encode` and `VAE.evaluate` do with a sparse, random-access or stream source: the same checks
 * and the same training / inference as for a matrix, batch by batch. Internal.
 */

/** The data rules of a model's likelihood. */
function rulesOf(model: FittableModel): DataRules {
  return { domain: model.likelihood.domain, likelihood: model.config.likelihood, validate: model.likelihood.validate };
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
 * `VAE.fit` on a source: the options checked first, then the source's width (and its values, when it holds them in
 * memory); each batch is checked before it is uploaded. Trains exactly as `trainModel` does on a matrix: the same
 * shuffle, seeds and steps, so a source of a matrix's rows gives bit-identical weights.
 */
export async function trainOnSource(
  model: FittableModel,
  source: RowBatchSource,
  options: FitOptions,
  control: { stopError?(): VariaError | undefined },
): Promise<History> {
  const o = resolveTrainerOptions(options, model.config);
  if (((model.config as { covariates?: unknown[] }).covariates?.length ?? 0) > 0) {
    throw new ArgumentError('data', 'VAE.fit: a conditional model (covariates) trains on a matrix, not on a source');
  }
  const rules = rulesOf(model);
  checkWidth(source, model.config.inputDim, 'data');
  const train = source.checkedBy(rules, 'data');
  let validationData: MatrixBatchSource | ReturnType<RowBatchSource['checkedBy']> | undefined;
  const v = o.validationData as DataInput | RowBatchSource | undefined;
  if (isRowSource(v)) {
    checkWidth(v, model.config.inputDim, 'validationData');
    validationData = v.checkedBy(rules, 'validationData');
  } else if (v !== undefined) {
    validationData = new MatrixBatchSource({ x: readData(v, model.config.inputDim, rules, 'validationData') });
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
 * the batch's first row.
 */
async function eachBatch(
  model: FittableModel,
  source: RowBatchSource,
  batchSize: number,
  argument: string,
  perBatch: (m: Matrix, first: number) => Promise<void>,
): Promise<number> {
  checkWidth(source, model.config.inputDim, argument);
  let rows = 0;
  const batches = source.checkedHostBatches(
    { epoch: 1, batchSize, shuffle: false, rng: () => 0 },
    rulesOf(model),
    argument,
  );
  for await (const h of batches) {
    await perBatch({ data: h.data, rows: h.rows, cols: source.widths.x }, rows);
    rows += h.rows;
  }
  return rows;
}

/** Rows per batch when `encode` reads a source. */
const ENCODE_BATCH = 512;

/**
 * `VAE.encode` of a source: `encodeBatch` (the VAE's own `encode` of a matrix) on each batch of 512 rows, in order;
 * the latents of all rows as one host matrix `[n, latentDim]`. With `sample: true` and a `seed`, the batch starting at
 * row r samples with seed `seed + r`.
 * @throws ArgumentError for `covariates` (a source has none); the source's DataError / ShapeError.
 */
export async function encodeSource(
  model: FittableModel,
  source: RowBatchSource,
  options: EncodeOptions,
  encodeBatch: (m: Matrix, options: EncodeOptions) => tf.Tensor2D,
): Promise<Matrix> {
  if ((options as { covariates?: unknown }).covariates !== undefined)
    throw new ArgumentError('covariates', 'VAE.encode: "covariates" cannot be given with a source of rows');
  let out = new Float32Array(0);
  let cols = 0;
  const rows = await eachBatch(model, source, ENCODE_BATCH, 'x', async (m, first) => {
    const seed = options.seed === undefined ? {} : { seed: options.seed + first };
    const z = encodeBatch(m, { ...options, ...seed });
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
  });
  return { data: out.subarray(0, rows * cols), rows, cols };
}

/**
 * `VAE.evaluate` of a source: the batches `evaluate` of a matrix would use (the same size, shrunk for `iwaeK`), each
 * evaluated by `evaluateBatch` (the VAE's own `evaluate` of a matrix) with the seed of its first row, `seed + r`, so
 * the averages equal those of the matrix up to float64 rounding.
 * @throws ArgumentError for `covariates`; the errors of `evaluate`; the source's DataError / ShapeError.
 */
export async function evaluateSource(
  model: FittableModel & { config: { latentDim: number; decoderUnits: readonly number[] } },
  source: RowBatchSource,
  options: EvaluateOptions,
  evaluateBatch: (m: Matrix, options: EvaluateOptions) => Promise<Evaluation>,
): Promise<Evaluation> {
  if ((options as { covariates?: unknown }).covariates !== undefined)
    throw new ArgumentError('covariates', 'VAE.evaluate: "covariates" cannot be given with a source of rows');
  const batchSize = iwaeBatchSize('VAE.evaluate', options.batchSize ?? 256, options.iwaeK, model.config);
  const seed = options.seed ?? 0;
  const sums = { elbo: 0, reconstruction: 0, kl: 0, iwae: 0 };
  const n = await eachBatch(model, source, batchSize, 'x', async (m, first) => {
    const r = await evaluateBatch(m, { ...options, batchSize, seed: seed + first });
    sums.elbo += r.elbo * r.n;
    sums.reconstruction += r.reconstruction * r.n;
    sums.kl += r.kl * r.n;
    if (r.iwae !== undefined) sums.iwae += r.iwae * r.n;
  });
  const result: Evaluation = { elbo: sums.elbo / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n, n };
  if (options.iwaeK) result.iwae = sums.iwae / n;
  return result;
}
