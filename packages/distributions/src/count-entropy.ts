import * as tf from '@tensorflow/tfjs-core';
import { logIncompleteBeta } from './incomplete-beta-float64.js';
import { logIncompleteGamma } from './incomplete-gamma-float64.js';
import { gradFreeMask } from './special.js';

/*
 * Entropies of count distributions that have no closed form (NegativeBinomial, ZeroInflatedPoisson, ZINB: neither
 * torch nor TFP has them), by the truncated sum H = −Σ_{k=0}^{K} p(k) log p(k). K is the largest (1 − 1e-12)
 * quantile over the batch, found on the host in double precision from the incomplete gamma / beta tail; the dropped
 * tail contributes below 1e-9 nats. The sum runs over the family's own `logProb` (Loader's saddle-point form), so it is
 * differentiable in every parameter.
 */

/** The tail mass left out of the sum. */
export const ENTROPY_TAIL = 1e-12;
/** At most this many grid points (K + 1)·batch size; beyond it K is cut (the error then exceeds the tolerance). */
const MAX_GRID = 1 << 24;

/** The smallest k ≥ 0 with log P(X > k) < log ENTROPY_TAIL, by doubling then bisection on a decreasing log-tail. */
function tailQuantile(logTail: (k: number) => number, start: number): number {
  const target = Math.log(ENTROPY_TAIL);
  let lo = 0;
  let hi = Math.max(1, Math.ceil(start));
  while (logTail(hi) >= target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e9) return hi;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (logTail(mid) >= target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** K for Poisson(λ) over a batch of rates: P(X > k) = P(k + 1, λ). */
export function poissonEntropyCutoff(rates: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < rates.length; i++) {
    const rate = rates[i]!;
    if (rate > 0 && Number.isFinite(rate))
      k = Math.max(
        k,
        tailQuantile((j) => logIncompleteGamma(j + 1, Math.log(rate)).logP, rate),
      );
  }
  return k;
}

/** K for the negative binomial (r failures, success log-odds ℓ) over a batch: P(X > k) = 1 − I_{σ(−ℓ)}(r, k + 1). */
export function negativeBinomialEntropyCutoff(totalCount: ArrayLike<number>, logits: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < totalCount.length; i++) {
    const r = totalCount[i]!;
    const l = logits[i]!;
    if (!(r > 0) || !Number.isFinite(l)) continue;
    const e = Math.exp(-Math.abs(l));
    const p = l >= 0 ? 1 / (1 + e) : e / (1 + e); // σ(ℓ)
    const q = l >= 0 ? e / (1 + e) : 1 / (1 + e); // σ(−ℓ)
    k = Math.max(
      k,
      tailQuantile((j) => logIncompleteBeta(r, j + 1, q, p).logIc, r * Math.exp(l)),
    );
  }
  return k;
}

/**
 * H = −Σ_{k=0}^{K} p(k) log p(k) for a batch of count distributions, given their log-mass function on a grid of
 * counts (shape `[K + 1, 1, …, 1]`, `batchRank` ones) and the cutoff K. Terms with p(k) = 0 count 0 (0·log 0 = 0),
 * with no NaN gradient.
 */
export function truncatedCountEntropy(
  logPmf: (k: tf.Tensor) => tf.Tensor,
  batchShape: readonly number[],
  cutoff: number,
): tf.Tensor {
  const batchSize = batchShape.reduce((a, b) => a * b, 1);
  const k = Math.max(0, Math.min(cutoff, Math.floor(MAX_GRID / Math.max(1, batchSize)) - 1));
  const grid = tf.reshape(tf.range(0, k + 1, 1, 'float32'), [k + 1, ...batchShape.map(() => 1)]);
  const lp = logPmf(grid);
  const finite = gradFreeMask([lp], (v) => tf.isFinite(v));
  const lpSafe = tf.where(finite, lp, tf.zerosLike(lp));
  return tf.neg(tf.sum(tf.where(finite, tf.mul(tf.exp(lpSafe), lpSafe), tf.zerosLike(lp)), 0));
}
