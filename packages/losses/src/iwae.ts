import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { sampleAndReconstruct, type VariationalInputs } from './variational.js';

/** Options of {@link iwaeBound}. */
export interface IwaeOptions {
  /** Number K of importance samples; default 5. K = 1 gives the ELBO with Monte-Carlo KL. */
  k?: number;
  /** Seed of the samples. */
  seed?: number;
}

/**
 * The importance-weighted bound (Burda et al. 2016), per example [n]:
 *
 * IWAE_K(x) = log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x),  z_k ~ q(z|x),
 *
 * computed as logSumExp_k(log wₖ) − log K. It increases with K towards log p(x).
 */
export function iwaeBound(inputs: VariationalInputs, options: IwaeOptions = {}): tf.Tensor {
  const k = options.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError('k', `"k" must be a positive integer, got ${k}`);
  return tf.tidy(() => {
    const { z, logLikelihood } = sampleAndReconstruct(inputs, k, options.seed);
    const logW = tf.sub(tf.add(logLikelihood, inputs.prior.logProb(z)), inputs.posterior.logProb(z));
    return tf.sub(tf.logSumExp(logW, 0), Math.log(k));
  });
}
