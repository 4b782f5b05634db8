import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { enumeratedElboTerms, type EstimatedTerms, scoreFunctionElboTerms } from './elbo-estimators.js';
import { type GradientEstimator, type ResolvedEstimator, resolveEstimator } from './estimator.js';
import { type KLMode, klTerms, type KLTerms, meanOfRowSums } from './kl-terms.js';
import { type BaselineOption, baselineName, resolveBaseline } from './score-function.js';
import { sampleAndReconstructRows, type VariationalInputs } from './variational.js';

/** Options of {@link elbo} and {@link negativeElbo}. */
export interface ElboOptions {
  /** Number K of samples z ~ q(z|x) averaged in the reconstruction term; default 1 (unused by `'enumerate'`). */
  samples?: number;
  /** Weight β of the KL term (β-VAE; also the annealing factor); default 1. */
  beta?: number;
  /**
   * How KL(q ‖ p) is computed: `'analytic'` (throws when no pair is registered), `'monte-carlo'`
   * (log q(z) − log p(z) on the same samples), or `'auto'` (default: analytic when registered, else Monte Carlo).
   * Under `estimator: 'enumerate'` the non-analytic KL is the exact sum over the support, not a sample average.
   */
  kl?: KLMode;
  /**
   * The gradient estimator for the expectation over q(z|x) (see {@link GradientEstimator}); default `'auto'`:
   * `'reparam'` with `rsample`, else `'enumerate'` for a support of at most `maxEnumerate` values, else
   * `'score-function'`. The one used is reported in the terms' `estimator`.
   */
  estimator?: GradientEstimator;
  /**
   * The score-function estimator's control variate (see {@link BaselineOption}); default `'leave-one-out'` when
   * `samples` ≥ 2, else `'none'`. Ignored by the other estimators.
   */
  baseline?: BaselineOption;
  /** The largest joint support `'auto'` enumerates; default 64. */
  maxEnumerate?: number;
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
  /** The gradient estimator used (what `'auto'` resolved to): record it with the training history. */
  estimator: ResolvedEstimator;
  /** The score-function baseline used (`'none'`, `'leave-one-out'`, `'moving-average'`, `'learned'`, …); else absent. */
  baseline?: string;
}

function checkPositiveInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ArgumentError(name, `"${name}" must be a positive integer, got ${v}`);
}

function checkNonNegative(name: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v))
    throw new ArgumentError(name, `"${name}" must be a finite number >= 0, got ${v}`);
}

/** The samples z [K, n, d] from their rows [K·n, d]. */
function sampleMajor(zRows: tf.Tensor, k: number): tf.Tensor {
  return tf.reshape(zRows, [k, zRows.shape[0]! / k, zRows.shape[1]!]);
}

/** The Monte-Carlo KL on the reparameterized samples: mean_k [log q(z_k|x) − log p(z_k)], [n]. */
function monteCarloKl(inputs: VariationalInputs, zRows: tf.Tensor, k: number): () => tf.Tensor {
  return () => {
    const z = sampleMajor(zRows, k);
    return tf.mean(tf.sub(inputs.posterior.logProb(z), inputs.prior.logProb(z)), 0);
  };
}

/** Validated options, shared by {@link elbo} and {@link negativeElbo}. */
function resolveOptions(inputs: VariationalInputs, options: ElboOptions) {
  const k = options.samples ?? 1;
  const beta = options.beta ?? 1;
  checkPositiveInteger('samples', k);
  checkNonNegative('beta', beta);
  const estimator = resolveEstimator(inputs.posterior, options.estimator, { maxEnumerate: options.maxEnumerate });
  const baseline = estimator === 'score-function' ? resolveBaseline(options.baseline, k) : undefined;
  return { k, beta, estimator, baseline, klMode: options.kl ?? 'auto' };
}

/** The non-pathwise estimators' terms (score function or enumeration). */
function estimatedTerms(
  inputs: VariationalInputs,
  o: ReturnType<typeof resolveOptions>,
  seed?: number,
  checkKl?: (kl: KLTerms) => void,
): EstimatedTerms {
  return o.estimator === 'enumerate'
    ? enumeratedElboTerms(inputs, o.klMode)
    : scoreFunctionElboTerms(inputs, o.k, o.beta, o.klMode, o.baseline!, seed, checkKl);
}

/** The estimator fields of the returned terms. */
function estimatorFields(o: ReturnType<typeof resolveOptions>): { estimator: ResolvedEstimator; baseline?: string } {
  return o.baseline === undefined
    ? { estimator: o.estimator }
    : { estimator: o.estimator, baseline: baselineName(o.baseline) };
}

/**
 * The evidence lower bound, per example:
 *
 * ELBO(x) = E_{q(z|x)}[log p(x|z)] − β·KL(q(z|x) ‖ p(z)),
 *
 * the expectation estimated with K samples (or summed exactly, `estimator: 'enumerate'`), the KL analytic when
 * registered. The gradient of `elbo` is unbiased whatever the posterior family: pathwise with `rsample`, else the
 * enumerated sum or the score-function estimator. Under the score function the value of `elbo` is the plain Monte-Carlo
 * ELBO (the surrogate adds exactly 0), so logged values stay comparable across estimators.
 * @throws ArgumentError for bad options, or when the requested estimator cannot serve this posterior (the message
 *   names the ones that can).
 */
export function elbo(inputs: VariationalInputs, options: ElboOptions = {}): ElboTerms {
  const o = resolveOptions(inputs, options);
  const terms = tf.tidy(() => {
    if (o.estimator !== 'reparam') {
      const t = estimatedTerms(inputs, o, options.seed);
      const e = tf.sub(t.reconstruction, tf.mul(t.kl.kl, o.beta));
      return { elbo: t.surrogate ? tf.add(e, t.surrogate) : e, reconstruction: t.reconstruction, kl: t.kl.kl };
    }
    const { zRows, logLikelihood } = sampleAndReconstructRows(inputs, o.k, options.seed, true);
    const reconstruction = tf.mean(tf.reshape(logLikelihood, [o.k, -1]), 0);
    const { kl } = klTerms(inputs.posterior, inputs.prior, monteCarloKl(inputs, zRows, o.k), o.klMode);
    return { elbo: tf.sub(reconstruction, tf.mul(kl, o.beta)), reconstruction, kl };
  });
  return { ...terms, ...estimatorFields(o) };
}

/** The batch loss and its parts, as scalars. */
export interface ElboLoss {
  /** The loss to minimize: −mean_n ELBO (with free bits applied when set). */
  loss: tf.Scalar;
  /** mean_n E_q[log p(x|z)]. */
  reconstruction: tf.Scalar;
  /** mean_n KL(q ‖ p) (the true KL, before free bits). */
  kl: tf.Scalar;
  /** The gradient estimator used (what `'auto'` resolved to): record it with the training history. */
  estimator: ResolvedEstimator;
  /** The score-function baseline used; absent for the other estimators. */
  baseline?: string;
}

/**
 * The batch objective to minimize, −(1/n) Σₙ ELBO(xₙ) = −mean recon + β·mean KL, or with free bits λ:
 * −mean recon + β·Σⱼ max(λ, mean_n KLₙⱼ). Its gradient is unbiased for any posterior family (see {@link elbo}); under
 * the score function, `loss` has the value of the Monte-Carlo −ELBO and the score-function gradient.
 * @throws ArgumentError as {@link elbo}, and for free bits without an analytic per-dimension KL.
 */
export function negativeElbo(inputs: VariationalInputs, options: ElboOptions = {}): ElboLoss {
  const freeBits = options.freeBits ?? 0;
  checkNonNegative('freeBits', freeBits);
  const o = resolveOptions(inputs, options);
  const out = tf.tidy(() => {
    let reconstruction: tf.Scalar;
    let klParts: { kl: tf.Tensor; perDim?: tf.Tensor };
    let surrogate: tf.Scalar | undefined;
    const checkKl = (parts: { perDim?: tf.Tensor }): void => {
      if (freeBits > 0 && !parts.perDim) {
        throw new ArgumentError(
          'freeBits',
          '"freeBits" needs an analytic per-dimension KL: an Independent posterior and prior with a registered base pair',
        );
      }
    };
    if (o.estimator === 'reparam') {
      // the mean over all K·n rows: no reshape to [K, n] needed
      const { zRows, logLikelihood } = sampleAndReconstructRows(inputs, o.k, options.seed, true);
      reconstruction = tf.mean(logLikelihood) as tf.Scalar;
      klParts = klTerms(inputs.posterior, inputs.prior, monteCarloKl(inputs, zRows, o.k), o.klMode);
    } else {
      const t = estimatedTerms(inputs, o, options.seed, checkKl);
      reconstruction = tf.mean(t.reconstruction) as tf.Scalar;
      klParts = t.kl;
      if (t.surrogate) surrogate = tf.mean(t.surrogate) as tf.Scalar;
    }
    const meanKl = klParts.perDim?.rank === 2 ? meanOfRowSums(klParts.perDim) : (tf.mean(klParts.kl) as tf.Scalar);
    let klPenalty: tf.Tensor = meanKl;
    checkKl(klParts);
    if (freeBits > 0) {
      klPenalty = tf.sum(tf.maximum(tf.mean(klParts.perDim!, 0), freeBits));
    }
    // β = 1 (the default) needs no multiply: one kernel less forward and backward in every step
    let loss = tf.sub(o.beta === 1 ? klPenalty : tf.mul(klPenalty, o.beta), reconstruction) as tf.Scalar;
    if (surrogate) loss = tf.sub(loss, surrogate) as tf.Scalar;
    return { loss, reconstruction, kl: meanKl };
  });
  return { ...out, ...estimatorFields(o) };
}
