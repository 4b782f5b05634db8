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
        // the per-example sum only when read: a batch loss takes meanOfRowSums(perDim) instead
        let kl: tf.Tensor | undefined;
        return {
          get kl(): tf.Tensor {
            kl ??= tf.sum(perDim, -1);
            return kl;
          },
          perDim,
          analytic: true,
        };
      }
      return { kl: klDivergence(posterior, prior), analytic: true };
    } catch (e) {
      if (mode === 'analytic' || !(e instanceof NotImplementedError)) throw e;
    }
  }
  return { kl: fallback(), analytic: false };
}

/**
 * mean_n Σⱼ tₙⱼ of a [n, d] tensor as one taped operation: the forward kernels of `tf.mean(tf.sum(t, -1))` and the
 * gradient dy/n broadcast to [n, d] — the same bits as tfjs's autodiff of the two reductions (dy·1/n, then ·1), with
 * three kernels instead of five and no tape copies.
 */
export const meanOfRowSums = tf.customGrad((t: unknown) => {
  const x = t as tf.Tensor;
  const shape = x.shape;
  return {
    value: tf.mean(tf.sum(x, -1)),
    gradFunc: (dy: tf.Tensor) => tf.broadcastTo(tf.div(dy, shape[0]!), shape),
  };
}) as unknown as (t: tf.Tensor) => tf.Scalar;
