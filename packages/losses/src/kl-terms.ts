import * as tf from '@tensorflow/tfjs-core';
import { NotImplementedError } from '@varia/core';
import { type Distribution, Independent, klDivergence } from '@varia/distributions';

/** How KL(q ‖ p) is computed (see `ElboOptions.kl`). */
export type KLMode = 'auto' | 'analytic' | 'monte-carlo';

/** What {@link klTerms} returns. */
export interface KLTerms {
  /** KL per example, [n]. */
  kl: tf.Tensor;
  /** KL per example and dimension, [n, d], when analytic over `Independent` posterior and prior (for free bits). */
  perDim?: tf.Tensor;
  /** Whether `kl` is the analytic pair (else the estimator's fallback). */
  analytic: boolean;
}

/**
 * Per-example KL [n], analytic when a pair is registered (and `mode` allows it), else `fallback()` — the estimator's
 * own estimate (Monte Carlo on the samples, or the exact sum over an enumerated support). `fallback` is called only
 * when it is used.
 */
export function klTerms(
  posterior: Distribution,
  prior: Distribution,
  fallback: () => tf.Tensor,
  mode: KLMode,
): KLTerms {
  if (mode !== 'monte-carlo') {
    try {
      if (
        posterior instanceof Independent &&
        prior instanceof Independent &&
        posterior.reinterpretedBatchDims === 1 &&
        prior.reinterpretedBatchDims === 1
      ) {
        const perDim = klDivergence(posterior.base, prior.base);
        return { kl: tf.sum(perDim, -1), perDim, analytic: true };
      }
      return { kl: klDivergence(posterior, prior), analytic: true };
    } catch (e) {
      if (mode === 'analytic' || !(e instanceof NotImplementedError)) throw e;
    }
  }
  return { kl: fallback(), analytic: false };
}
