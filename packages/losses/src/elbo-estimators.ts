import * as tf from '@tensorflow/tfjs-core';
import { decodeSupport } from './enumerate.js';
import { type KLMode, klTerms, type KLTerms } from './kl-terms.js';
import { type BaselineOption, leaveOneOutMean, scoreSurrogate } from './score-function.js';
import { sampleAndReconstruct, type VariationalInputs } from './variational.js';

/** The ELBO's parts per example from a non-pathwise estimator. */
export interface EstimatedTerms {
  /** E_q[log p(x|z)] per example, [n] (exact under enumeration; its gradient is exact there). */
  reconstruction: tf.Tensor;
  /** The KL per example, and how it was computed. */
  kl: KLTerms;
  /** A per-example term of value 0 whose gradient is the score-function part, [n] (score-function only). */
  surrogate?: tf.Tensor;
}

/**
 * Score-function terms with K samples z_k ~ q(z|x) drawn without gradient. The learning signal is f_k = log p(x|z_k)
 * when the KL is analytic (its gradient is then exact), else f_k = log p(x|z_k) − β(log q(z_k|x) − log p(z_k)); the
 * surrogate adds Σ_k (1/K)(⊡(log q(z_k|x)) − 1)(f_k − b_k), see {@link scoreSurrogate}. `checkKl` may reject the KL
 * terms (free bits without a per-dimension KL) before a stateful baseline is updated.
 */
export function scoreFunctionElboTerms(
  inputs: VariationalInputs,
  k: number,
  beta: number,
  klMode: KLMode,
  baseline: BaselineOption,
  seed?: number,
  checkKl?: (kl: KLTerms) => void,
): EstimatedTerms {
  const { z, logLikelihood } = sampleAndReconstruct(inputs, k, seed, false);
  const logQ = inputs.posterior.logProb(z);
  let klSample: tf.Tensor | undefined;
  const kl = klTerms(
    inputs.posterior,
    inputs.prior,
    () => {
      klSample = tf.sub(logQ, inputs.prior.logProb(z));
      return tf.mean(klSample, 0);
    },
    klMode,
  );
  checkKl?.(kl); // before the baseline updates its state
  const signal = klSample === undefined ? logLikelihood : tf.sub(logLikelihood, tf.mul(klSample, beta));
  const surrogate = scoreSurrogate(inputs.x, logQ, signal, baseline, 'mean', leaveOneOutMean);
  return { reconstruction: tf.mean(logLikelihood, 0), kl, surrogate };
}

/**
 * Enumerated terms: every value z_s of the latent's finite support, for every example, weighted by q(z_s|x):
 *
 * E_q[log p(x|z)] = Σ_s q(z_s|x) log p(x|z_s),  KL = analytic, or Σ_s q(z_s|x)(log q(z_s|x) − log p(z_s)) exactly,
 *
 * batched: the decoder sees S·n rows (support-major). Exact values and exact gradients; `samples` and `seed` play no
 * part. Values with q(z_s|x) = 0 contribute 0 (not 0·∞).
 */
export function enumeratedElboTerms(inputs: VariationalInputs, klMode: KLMode): EstimatedTerms {
  const { posterior, prior } = inputs;
  const { z, logLikelihood } = decodeSupport(inputs, 'estimator "enumerate"');
  const logQ = posterior.logProb(z); // [S, n]
  const q = tf.exp(logQ);
  /**
   * Σ_s q_s·v_s over the support, with v floored at −1e30 so that a value of probability 0 (log q = −∞) contributes
   * 0·(−1e30) = 0, not 0·∞ = NaN (a floor, not a `where`: tfjs has no gradient for comparisons).
   */
  const expect = (v: tf.Tensor): tf.Tensor => tf.sum(tf.mul(q, tf.maximum(v, -1e30)), 0);
  const kl = klTerms(posterior, prior, () => expect(tf.sub(logQ, prior.logProb(z))), klMode);
  return { reconstruction: expect(logLikelihood), kl };
}
