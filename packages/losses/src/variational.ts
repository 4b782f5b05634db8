import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@varia/core';
import type { Distribution } from '@varia/distributions';
import { logLikelihoodOf } from './log-likelihood.js';

/**
 * The pieces of a latent-variable model p(x, z) = p(z) p(x|z) with an amortized posterior q(z|x), evaluated on one
 * batch x of n examples. Objectives take these, so they work with any encoder/decoder.
 */
export interface VariationalInputs {
  /** The observed batch, [n, D]. */
  x: tf.Tensor;
  /** The approximate posterior q(z|x): batch shape [n], event shape [d]. */
  posterior: Distribution;
  /** The prior p(z): batch shape [] (or broadcastable to [n]), event shape [d]. */
  prior: Distribution;
  /**
   * The likelihood p(x|z) for latent rows z of shape [m, d]: batch shape [m], event [D]. With K samples the rows are
   * sample-major (m = K·n: rows k·n … k·n + n − 1 belong to sample k), so per-example context can be tiled K times.
   */
  decode: (z: tf.Tensor) => Distribution;
}

/** K samples z ~ q(z|x) as rows and log p(x|z) per row: what {@link sampleAndReconstruct} returns, flat. */
export interface FlatSamples {
  /** The samples z as rows [K·n, d], sample-major (rows k·n … k·n + n − 1 are sample k). */
  zRows: tf.Tensor;
  /** log p(x | z) per row [K·n]. */
  logLikelihood: tf.Tensor;
}

/**
 * {@link sampleAndReconstruct} without its final reshapes to [K, n, …], for objectives that reduce over all rows: with
 * K = 1 the single sample is drawn as [n, d] (`rsample([])`) and decoded as it is, which saves a reshape and a
 * broadcast over the sample axis, forward and backward, in every training step.
 *
 * `reparameterize` (default: the posterior's `hasRsample`) draws with `rsample`; otherwise with `sample`, and no
 * gradient flows through z — the objectives then add a score-function term (see `GradientEstimator`).
 */
export function sampleAndReconstructRows(
  inputs: VariationalInputs,
  k: number,
  seed?: number,
  reparameterize: boolean = inputs.posterior.hasRsample,
): FlatSamples {
  const { x, posterior, decode } = inputs;
  const n = x.shape[0]!;
  if (posterior.batchShape.length !== 1 || posterior.batchShape[0] !== n) {
    throw new ShapeError(
      'posterior',
      `posterior batch shape must be [${n}] (one per example), got [${posterior.batchShape.join(', ')}]`,
    );
  }
  const sampleShape = k === 1 ? [] : [k];
  const z = reparameterize ? posterior.rsample(sampleShape, { seed }) : posterior.sample(sampleShape, { seed });
  const d = z.shape[z.rank - 1]!;
  const zRows = z.rank === 2 && z.shape[0] === k * n ? z : tf.reshape(z, [k * n, d]);
  const likelihood = decode(zRows);
  const xs = k === 1 ? x : tf.tile(x, [k, ...new Array<number>(x.rank - 1).fill(1)]);
  return { zRows, logLikelihood: logLikelihoodOf(likelihood, xs, k * n) };
}

/**
 * Draws K samples z ~ q(z|x) and evaluates log p(x|z): returns z [K, n, d] and log p(x | z) [K, n]. The samples are
 * reparameterized (`rsample`) when `reparameterize` is true (default: when the posterior has `rsample`); otherwise
 * drawn with `sample`, without a gradient through z — use an objective with an `estimator` to train such a posterior.
 */
export function sampleAndReconstruct(
  inputs: VariationalInputs,
  k: number,
  seed?: number,
  reparameterize: boolean = inputs.posterior.hasRsample,
): {
  /** The samples z [K, n, d]. */
  z: tf.Tensor;
  /** log p(x | z) [K, n]. */
  logLikelihood: tf.Tensor;
} {
  const n = inputs.x.shape[0]!;
  const { zRows, logLikelihood } = sampleAndReconstructRows(inputs, k, seed, reparameterize);
  return { z: tf.reshape(zRows, [k, n, zRows.shape[1]!]), logLikelihood: tf.reshape(logLikelihood, [k, n]) };
}
