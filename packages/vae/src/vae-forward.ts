// The forward computations of a VAE on its parts: q(z|x), p(x|z), the covariate features of a batch, and the
// inputs of the objectives. The VAE class checks that it is alive and delegates here.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { Distribution } from '@varia/distributions';
import type { VariationalInputs } from '@varia/losses';
import type { CovariateInput } from './covariates.js';
import { readCovariates } from './covariates-rows.js';
import { applyHidden } from './covariates-network.js';
import { type DataInput, type DataRules, readData } from './data.js';
import { sparseInputHidden } from './sparse-input-training.js';
import type { VaeParts } from './vae-parts.js';

/** Covariate features of a batch and whether they need gradients (embeddings); undefined without covariates. */
type CovariateBlock = { block: tf.Tensor2D; trainable: boolean } | undefined;

/**
 * q(z|x) — or q(z|x, c) for a model with `encodeCovariates` — for a batch x [n, inputDim] (a tensor) and its raw
 * covariates [n, C] (level indices and values, already valid). Lives in the caller's tidy scope.
 */
export function posteriorOf(parts: VaeParts, x: tf.Tensor, covariates?: tf.Tensor): Distribution {
  // an encoder that does not read covariates ignores them (a model without covariates refuses them)
  const reads = parts.config.encodeCovariates || !parts.covariateFeatures;
  return posteriorFrom(parts, x, reads ? covariateBlock(parts, covariates, x.shape[0]!, 'VAE.posterior') : undefined);
}

/**
 * The point summary of q(z|x) that `encode` returns (see `LatentModule.posteriorMean`: μ(x) for Gaussians, the
 * image of the base mean for a flow, …), for x [n, inputDim] and its raw covariates.
 */
export function posteriorPoint(parts: VaeParts, x: tf.Tensor, covariates?: tf.Tensor): tf.Tensor2D {
  const reads = parts.config.encodeCovariates || !parts.covariateFeatures;
  const features = reads ? covariateBlock(parts, covariates, x.shape[0]!, 'VAE.posterior') : undefined;
  const input = parts.config.inputTransform === 'log1p' ? tf.log1p(x) : x;
  return parts.latent.posteriorMean(applyHidden(parts.encoder, input, features));
}

export function posteriorFrom(
  parts: VaeParts,
  x: tf.Tensor,
  features: CovariateBlock,
  step?: number,
  sparseInput = false,
): Distribution {
  const input = parts.config.inputTransform === 'log1p' ? tf.log1p(x) : x;
  // the data needs no gradient: the first layer skips dx (one large matMul per step); with `sparseInput` (fit's
  // option, where the encoder takes it) the first layer reads only the non-zeros
  const hidden =
    (sparseInput ? sparseInputHidden(parts.encoder, input) : undefined) ??
    applyHidden(parts.encoder, input, features, { constantInput: true });
  return parts.latent.posterior(hidden, step);
}

/**
 * p(x|z) — p(x|z, c) for a model with covariates — for latents z [m, latentDim]; `logLibrarySize` [m, 1] for
 * library-size count models; `covariates` [m, C] raw covariates (already valid).
 */
export function likelihoodOf(
  parts: VaeParts,
  z: tf.Tensor,
  logLibrarySize?: tf.Tensor,
  covariates?: tf.Tensor,
): Distribution {
  return likelihoodFrom(parts, z, logLibrarySize, covariateBlock(parts, covariates, z.shape[0]!, 'VAE.likelihoodFor'));
}

function likelihoodFrom(
  parts: VaeParts,
  z: tf.Tensor,
  logLibrarySize: tf.Tensor | undefined,
  features: CovariateBlock,
): Distribution {
  const d: unknown = parts.likelihoodHead.apply(applyHidden(parts.decoder, z, features), { logLibrarySize });
  return checkedLikelihood(parts, d, z.shape[0]!);
}

/**
 * A likelihood head's output, checked: a Distribution with batch shape [rows] and inputDim values per event. A user's
 * head that gave a tensor, a distribution of the wrong width, or independent features without `Independent` once
 * went on into sample, decode or reconstruct (a raw TypeError, or a result of the wrong shape).
 * @throws ArgumentError or ShapeError naming `likelihood`.
 */
function checkedLikelihood(parts: VaeParts, d: unknown, rows: number): Distribution {
  const name = parts.likelihood.name;
  if (!(d instanceof Distribution)) {
    if (d instanceof tf.Tensor) d.dispose();
    throw new ArgumentError(
      'likelihood',
      `the "${name}" likelihood's head must give a Distribution p(x|z), got ${d instanceof tf.Tensor ? `a tensor of shape [${d.shape.join(', ')}]` : typeof d}`,
    );
  }
  const width = d.eventShape.reduce((a, b) => a * b, 1);
  if (d.batchShape.length !== 1 || d.batchShape[0] !== rows || width !== parts.config.inputDim) {
    const shapes = `batch shape [${d.batchShape.join(', ')}] and event shape [${d.eventShape.join(', ')}]`;
    d.dispose();
    throw new ShapeError(
      'likelihood',
      `the "${name}" likelihood's head gave a distribution of ${shapes}; p(x|z) needs batch [${rows}] and ${parts.config.inputDim} values per event${d.eventShape.length === 0 ? ' (independent features: wrap it in Independent(…, 1))' : ''}`,
    );
  }
  return d;
}

/**
 * The covariate features c [rows, F] of raw covariates [rows, C] (undefined for a model without covariates).
 * Checks presence and shape only: the values were validated where they entered (`readCovariates`).
 */
export function covariateBlock(
  parts: VaeParts,
  raw: tf.Tensor | undefined,
  rows: number,
  where: string,
): CovariateBlock {
  const features = parts.covariateFeatures;
  if (!features) {
    if (raw !== undefined) throw new ArgumentError('covariates', `${where}: this model declares no covariates`);
    return undefined;
  }
  const names = parts.config.covariates.map((c) => c.name).join(', ');
  if (raw === undefined) {
    throw new ArgumentError('covariates', `${where}: this model is conditioned on covariates (${names}): pass them`);
  }
  if (raw.rank !== 2 || raw.shape[0] !== rows || raw.shape[1] !== parts.config.covariates.length) {
    throw new ShapeError(
      'covariates',
      `${where}: "covariates" must be [${rows}, ${parts.config.covariates.length}] (${names}), got [${raw.shape.join(', ')}]`,
    );
  }
  return { block: features.apply(raw), trainable: features.trainable };
}

/**
 * q(z|x), p(z) and p(x|z) for the batch x, as the objectives in `@varia/losses` take them; `covariates` [n, C] are
 * the batch's raw covariates for a conditional model (values already valid: level indices, finite values); `step`
 * is the training step (it anneals a relaxed latent's temperature; absent: the final temperature); `sparseInput` runs
 * the encoder's first layer from x's non-zeros where it can (see `fit`'s option).
 */
export function variationalInputsOf(
  parts: VaeParts,
  x: tf.Tensor,
  options: { covariates?: tf.Tensor; step?: number; sparseInput?: boolean } = {},
): VariationalInputs {
  const n = x.shape[0]!;
  const logLib = parts.config.librarySize ? tf.log(tf.maximum(tf.sum(x, 1, true), 1)) : undefined;
  const features = covariateBlock(parts, options.covariates, n, 'VAE.variationalInputs');
  return {
    x,
    posterior: posteriorFrom(parts, x, features, options.step, options.sparseInput),
    prior: parts.latent.prior(options.step),
    decode: (z) => {
      const m = z.shape[0]!;
      const ctx = logLib && m !== n ? tf.tile(logLib, [m / n, 1]) : logLib;
      const block = features && m !== n ? { ...features, block: tf.tile(features.block, [m / n, 1]) } : features;
      return likelihoodFrom(parts, z, ctx, block);
    },
  };
}

/** The data rules of this model's likelihood (what fit, encode, reconstruct and evaluate accept). */
export function dataRules(parts: VaeParts): DataRules {
  return { domain: parts.likelihood.domain, likelihood: parts.config.likelihood, validate: parts.likelihood.validate };
}

/** x checked like `fit` checks its data (type, width, domain), as a float32 tensor (the caller's when it is one). */
export function inputTensor(
  parts: VaeParts,
  x: DataInput | tf.Tensor,
  argument = 'x',
  rules = dataRules(parts),
  width = parts.config.inputDim,
): tf.Tensor2D {
  const m = readData(x as DataInput, width, rules, argument);
  if (x instanceof tf.Tensor && x.dtype === 'float32') return x as tf.Tensor2D;
  return tf.tensor2d(m.data, [m.rows, m.cols], 'float32');
}

/**
 * The covariate rows of a call as a float32 tensor [rows, C] (undefined for a model without covariates): validated
 * by `readCovariates` (values, width, rows; one row is repeated for all with `broadcast`).
 */
export function covariateRows(
  parts: VaeParts,
  input: CovariateInput | undefined,
  rows: number,
  where: string,
  broadcast = false,
): tf.Tensor2D | undefined {
  const m = readCovariates(parts.config.covariates, input, rows, where, { broadcast });
  return m && tf.tensor2d(m.data, [m.rows, m.cols], 'float32');
}
