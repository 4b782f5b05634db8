import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@varia/core';
import type { Distribution } from '@varia/distributions';

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

/**
 * Draws K reparameterized samples z ~ q(z|x) and evaluates log p(x|z): returns z [K, n, d] and
 * log p(x | z) [K, n].
 */
export function sampleAndReconstruct(
  inputs: VariationalInputs,
  k: number,
  seed?: number,
): {
  /** The samples z [K, n, d]. */
  z: tf.Tensor;
  /** log p(x | z) [K, n]. */
  logLikelihood: tf.Tensor;
} {
  const { x, posterior, decode } = inputs;
  const n = x.shape[0]!;
  if (posterior.batchShape.length !== 1 || posterior.batchShape[0] !== n) {
    throw new ShapeError('posterior', `posterior batch shape must be [${n}] (one per example), got [${posterior.batchShape.join(', ')}]`);
  }
  const z = posterior.hasRsample ? posterior.rsample([k], { seed }) : posterior.sample([k], { seed });
  const d = z.shape[z.rank - 1]!;
  const likelihood = decode(tf.reshape(z, [k * n, d]));
  const xs = k === 1 ? x : tf.tile(x, [k, ...new Array<number>(x.rank - 1).fill(1)]);
  const logLikelihood = tf.reshape(likelihood.logProb(xs), [k, n]);
  return { z, logLikelihood };
}
