import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { importanceLogWeights } from './iwae.js';
import type { VariationalInputs } from './variational.js';

/** A model that can produce the variational pieces for a batch (the VAE in `@varia/vae` is one). */
export interface LatentVariableModel {
  /** q(z|x), p(z) and p(x|z) for the batch x. Tensors live in the caller's `tf.tidy` scope. */
  variationalInputs(x: tf.Tensor): VariationalInputs;
}

/** Options of {@link marginalLogLikelihood}. */
export interface MarginalLikelihoodOptions {
  /** Number of importance samples per example; default 100. */
  k?: number;
  /** Examples per evaluation batch (bounds memory: K·batchSize decoder rows); default 100. */
  batchSize?: number;
  /** Seed. */
  seed?: number;
}

/**
 * Importance-sampling estimate of log p(x) per example [n], with the posterior as proposal:
 *
 * log p(x) ≈ log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x),  z_k ~ q(z|x)
 *
 * (the IWAE bound with large K; it is a stochastic lower bound whose bias vanishes as K → ∞).
 */
export function marginalLogLikelihood(
  model: LatentVariableModel,
  x: tf.Tensor,
  options: MarginalLikelihoodOptions = {},
): tf.Tensor {
  const k = options.k ?? 100;
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError('k', `"k" must be a positive integer, got ${k}`);
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ArgumentError('batchSize', `"batchSize" must be a positive integer, got ${batchSize}`);
  }
  return tf.tidy(() => {
    const n = x.shape[0]!;
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      parts.push(
        tf.tidy(() => {
          const xb = tf.slice(x, [start, 0], [size, -1]);
          const inputs = model.variationalInputs(xb);
          const seed = options.seed === undefined ? undefined : options.seed + start;
          // values only: no gradient estimator is needed, any posterior family works
          const { logW } = importanceLogWeights(inputs, k, seed, inputs.posterior.hasRsample);
          return tf.sub(tf.logSumExp(logW, 0), Math.log(k));
        }),
      );
    }
    return tf.concat(parts, 0);
  });
}
