import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, NotImplementedError } from '@varia/core';
import { type Distribution, Independent, klDivergence } from '@varia/distributions';
import { sampleAndReconstructRows, type VariationalInputs } from './variational.js';

/** Options of {@link elbo} and {@link negativeElbo}. */
export interface ElboOptions {
  /** Number K of reparameterized samples z ~ q(z|x) averaged in the reconstruction term; default 1. */
  samples?: number;
  /** Weight β of the KL term (β-VAE; also the annealing factor); default 1. */
  beta?: number;
  /**
   * How KL(q ‖ p) is computed: `'analytic'` (throws when no pair is registered), `'monte-carlo'`
   * (log q(z) − log p(z) on the same samples), or `'auto'` (default: analytic when registered, else Monte Carlo).
   */
  kl?: 'auto' | 'analytic' | 'monte-carlo';
  /**
   * Free bits λ (Kingma et al. 2016), nats per latent dimension: the batch loss uses Σⱼ max(λ, mean_n KLₙⱼ) instead
   * of mean_n Σⱼ KLₙⱼ, so no dimension is pushed below λ. Needs an `Independent` posterior and prior.
   * Default 0 (off). Affects {@link negativeElbo} only; {@link elbo} reports the true KL.
   */
  freeBits?: number;
  /** Seed of the samples z. */
  seed?: number;
}

/** Per-example terms of the ELBO, each of shape [n]. */
export interface ElboTerms {
  /** ELBO = reconstruction − β·KL (a lower bound on log p(x) when β = 1). */
  elbo: tf.Tensor;
  /** E_q[log p(x|z)], averaged over the K samples. */
  reconstruction: tf.Tensor;
  /** KL(q(z|x) ‖ p(z)). */
  kl: tf.Tensor;
}

function checkPositiveInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ArgumentError(name, `"${name}" must be a positive integer, got ${v}`);
}

function checkNonNegative(name: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) throw new ArgumentError(name, `"${name}" must be a finite number >= 0, got ${v}`);
}

/**
 * Per-example KL [n], and per-dimension KL [n, d] when both are `Independent` (for free bits). `samples` gives the
 * samples z [K, n, d] for the Monte-Carlo estimate; it is called only when that estimate is used.
 */
function klTerms(
  posterior: Distribution,
  prior: Distribution,
  samples: () => tf.Tensor,
  mode: 'auto' | 'analytic' | 'monte-carlo',
): { kl: tf.Tensor; perDim?: tf.Tensor } {
  if (mode !== 'monte-carlo') {
    try {
      if (posterior instanceof Independent && prior instanceof Independent && posterior.reinterpretedBatchDims === 1 && prior.reinterpretedBatchDims === 1) {
        const perDim = klDivergence(posterior.base, prior.base);
        return { kl: tf.sum(perDim, -1), perDim };
      }
      return { kl: klDivergence(posterior, prior) };
    } catch (e) {
      if (mode === 'analytic' || !(e instanceof NotImplementedError)) throw e;
    }
  }
  // Monte Carlo on the same samples: KL ≈ mean_k [log q(z_k|x) − log p(z_k)]
  const z = samples();
  return { kl: tf.mean(tf.sub(posterior.logProb(z), prior.logProb(z)), 0) };
}

/** The samples z [K, n, d] from their rows [K·n, d]. */
function sampleMajor(zRows: tf.Tensor, k: number): tf.Tensor {
  return tf.reshape(zRows, [k, zRows.shape[0]! / k, zRows.shape[1]!]);
}

/**
 * The evidence lower bound, per example:
 *
 * ELBO(x) = E_{q(z|x)}[log p(x|z)] − β·KL(q(z|x) ‖ p(z)),
 *
 * the expectation estimated with K reparameterized samples, the KL analytic when registered.
 */
export function elbo(inputs: VariationalInputs, options: ElboOptions = {}): ElboTerms {
  const k = options.samples ?? 1;
  const beta = options.beta ?? 1;
  checkPositiveInteger('samples', k);
  checkNonNegative('beta', beta);
  const terms = tf.tidy(() => {
    const { zRows, logLikelihood } = sampleAndReconstructRows(inputs, k, options.seed);
    const reconstruction = tf.mean(tf.reshape(logLikelihood, [k, -1]), 0);
    const { kl } = klTerms(inputs.posterior, inputs.prior, () => sampleMajor(zRows, k), options.kl ?? 'auto');
    return { elbo: tf.sub(reconstruction, tf.mul(kl, beta)), reconstruction, kl };
  });
  return terms;
}

/** The batch loss and its parts, as scalars. */
export interface ElboLoss {
  /** The loss to minimize: −mean_n ELBO (with free bits applied when set). */
  loss: tf.Scalar;
  /** mean_n E_q[log p(x|z)]. */
  reconstruction: tf.Scalar;
  /** mean_n KL(q ‖ p) (the true KL, before free bits). */
  kl: tf.Scalar;
}

/**
 * The batch objective to minimize, −(1/n) Σₙ ELBO(xₙ) = −mean recon + β·mean KL, or with free bits λ:
 * −mean recon + β·Σⱼ max(λ, mean_n KLₙⱼ).
 */
export function negativeElbo(inputs: VariationalInputs, options: ElboOptions = {}): ElboLoss {
  const k = options.samples ?? 1;
  const beta = options.beta ?? 1;
  const freeBits = options.freeBits ?? 0;
  checkPositiveInteger('samples', k);
  checkNonNegative('beta', beta);
  checkNonNegative('freeBits', freeBits);
  return tf.tidy(() => {
    // the mean over all K·n rows: no reshape to [K, n] needed
    const { zRows, logLikelihood } = sampleAndReconstructRows(inputs, k, options.seed);
    const reconstruction = tf.mean(logLikelihood) as tf.Scalar;
    const { kl, perDim } = klTerms(inputs.posterior, inputs.prior, () => sampleMajor(zRows, k), options.kl ?? 'auto');
    const meanKl = tf.mean(kl) as tf.Scalar;
    let klPenalty: tf.Tensor = meanKl;
    if (freeBits > 0) {
      if (!perDim) {
        throw new ArgumentError('freeBits', '"freeBits" needs an analytic per-dimension KL: an Independent posterior and prior with a registered base pair');
      }
      klPenalty = tf.sum(tf.maximum(tf.mean(perDim, 0), freeBits));
    }
    // β = 1 (the default) needs no multiply: one kernel less forward and backward in every step
    const loss = tf.sub(beta === 1 ? klPenalty : tf.mul(klPenalty, beta), reconstruction) as tf.Scalar;
    return { loss, reconstruction, kl: meanKl };
  });
}
