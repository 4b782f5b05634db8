import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type GradientEstimator, type ResolvedEstimator, resolveEstimator } from './estimator.js';
import { type BaselineOption, baselineName, resolveBaseline, scoreSurrogate } from './score-function.js';
import { sampleAndReconstruct, type VariationalInputs } from './variational.js';

/** Options of {@link iwaeBound} and {@link iwaeTerms}. */
export interface IwaeOptions {
  /** Number K of importance samples; default 5. K = 1 gives the ELBO with Monte-Carlo KL. */
  k?: number;
  /** Seed of the samples. */
  seed?: number;
  /**
   * The gradient estimator: `'reparam'`, `'score-function'`, or `'auto'` (default: `'reparam'` with `rsample`, else
   * `'score-function'`). The bound has no enumerated form (`'enumerate'` throws): for a finite latent,
   * {@link logMarginalByEnumeration} gives log p(x) exactly.
   */
  estimator?: GradientEstimator;
  /**
   * The score-function control variate; default `'leave-one-out'` (VIMCO, Mnih & Rezende 2016) when K ≥ 2, else
   * `'none'`. A {@link Baseline} object sees the bound itself as every sample's signal.
   */
  baseline?: BaselineOption;
}

/** The IWAE bound per example, and the estimator its gradient used. */
export interface IwaeTerms {
  /** IWAE_K(x), [n]. */
  iwae: tf.Tensor;
  /** The gradient estimator used (what `'auto'` resolved to). */
  estimator: ResolvedEstimator;
  /** The score-function baseline used; absent under `'reparam'`. */
  baseline?: string;
}

/** log wₖ = log p(x|z_k) + log p(z_k) − log q(z_k|x), [K, n], and log q(z_k|x) [K, n]. */
export function importanceLogWeights(
  inputs: VariationalInputs,
  k: number,
  seed: number | undefined,
  reparameterize: boolean,
): { logW: tf.Tensor; logQ: tf.Tensor } {
  const { z, logLikelihood } = sampleAndReconstruct(inputs, k, seed, reparameterize);
  const logQ = inputs.posterior.logProb(z);
  return { logW: tf.sub(tf.add(logLikelihood, inputs.prior.logProb(z)), logQ), logQ };
}

/**
 * VIMCO's per-sample baseline, [K, n]: the bound recomputed with log w_k replaced by the mean of the other K − 1 log
 * weights (their geometric mean),
 *
 * L̂_{−k} = log (1/K) (Σ_{j≠k} w_j + exp(mean_{j≠k} log w_j)).
 */
export function vimcoBaseline(logW: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const k = logW.shape[0]!;
    const others = tf.div(tf.sub(tf.sum(logW, 0, true), logW), k - 1); // [K, n]
    const eye = tf.reshape(tf.cast(tf.eye(k), 'bool'), [k, k, 1]);
    // row k of the [K, K, n] tensor: the log weights with entry k replaced by the geometric mean of the others
    const replaced = tf.where(eye, tf.expandDims(others, 1), tf.expandDims(logW, 0));
    return tf.sub(tf.logSumExp(replaced, 1), Math.log(k));
  });
}

/**
 * The importance-weighted bound (Burda et al. 2016) per example, with the estimator its gradient uses. Without
 * `rsample` (or with `estimator: 'score-function'`) the value is the same bound and the gradient is the
 * score-function one, Σ_k (IWAE − b_k) ∇log q(z_k|x) + Σ_k w̃_k ∇log w_k, with VIMCO's leave-one-out b_k by default.
 * @throws ArgumentError for a bad `k`, an estimator that cannot serve the posterior, or a bad baseline.
 */
export function iwaeTerms(inputs: VariationalInputs, options: IwaeOptions = {}): IwaeTerms {
  const k = options.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError('k', `"k" must be a positive integer, got ${k}`);
  const estimator = resolveEstimator(inputs.posterior, options.estimator, { allowEnumerate: false });
  const baseline = estimator === 'score-function' ? resolveBaseline(options.baseline, k) : undefined;
  const iwae = tf.tidy(() => {
    const { logW, logQ } = importanceLogWeights(inputs, k, options.seed, estimator === 'reparam');
    const bound = tf.sub(tf.logSumExp(logW, 0), Math.log(k));
    if (baseline === undefined) return bound;
    const signal = tf.broadcastTo(tf.expandDims(bound, 0), logW.shape);
    return tf.add(
      bound,
      scoreSurrogate(inputs.x, logQ, signal, baseline, 'sum', () => vimcoBaseline(logW)),
    );
  });
  return baseline === undefined ? { iwae, estimator } : { iwae, estimator, baseline: baselineName(baseline) };
}

/**
 * The importance-weighted bound (Burda et al. 2016), per example [n]:
 *
 * IWAE_K(x) = log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x),  z_k ~ q(z|x),
 *
 * computed as logSumExp_k(log wₖ) − log K. It increases with K towards log p(x). Its gradient is unbiased for any
 * posterior family (see {@link iwaeTerms}, which also reports the estimator used).
 */
export function iwaeBound(inputs: VariationalInputs, options: IwaeOptions = {}): tf.Tensor {
  return iwaeTerms(inputs, options).iwae;
}
