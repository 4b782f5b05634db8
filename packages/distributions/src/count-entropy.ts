import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { logIncompleteBeta } from './incomplete-beta-float64.js';
import { expm1, gradFreeMask } from './special.js';
import type { Gate } from './zero-inflation.js';

/*
 * Entropies of count distributions that have no closed form (NegativeBinomial, ZeroInflatedPoisson, ZINB: neither
 * torch nor TFP has them), by the truncated sum H = −Σ_{k=0}^{K} p(k) log p(k). K is the largest (1 − 1e-12)
 * quantile over the batch, found on the host in double precision from the incomplete gamma / beta tail; the dropped
 * tail contributes below 1e-9 nats. The sum runs over the family's own `logProb` (Loader's saddle-point form), so it is
 * differentiable in every parameter. The zero-inflated families reduce to their base family in closed form
 * ({@link zeroInflatedEntropy}); beyond MAX_ENTROPY_GRID terms the sum throws an ArgumentError rather than hang (the
 * negative binomial integrates instead from 2^14 terms on: `negativeBinomialEntropy`).
 */

/** The tail mass left out of the sum. */
export const ENTROPY_TAIL = 1e-12;
/**
 * At most this many grid points (K + 1)·batch size (about a second of work on the CPU backend); beyond it `entropy`
 * throws an ArgumentError instead of summing for minutes (a negative binomial with mean ≳ 1e5, e.g.).
 */
export const MAX_ENTROPY_GRID = 1 << 20;

/** The smallest k ≥ 0 with log P(X > k) < log ENTROPY_TAIL, by doubling then bisection on a decreasing log-tail. */
function tailQuantile(logTail: (k: number) => number, start: number): number {
  const target = Math.log(ENTROPY_TAIL);
  let lo = 0;
  let hi = Math.max(1, Math.ceil(start));
  if (!(hi <= MAX_ENTROPY_GRID)) return hi; // the quantile is past the mean: too many terms to sum (the caller throws)
  while (logTail(hi) >= target) {
    lo = hi;
    hi *= 2;
    if (hi > MAX_ENTROPY_GRID) return hi;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (logTail(mid) >= target) lo = mid;
    else hi = mid;
  }
  return hi;
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
  if ((cutoff + 1) * Math.max(1, batchSize) > MAX_ENTROPY_GRID)
    throw new ArgumentError(
      'parameters',
      `entropy: the sum over the support needs ${cutoff + 1} terms per batch member (batch ${batchSize}), more than ` +
        `${MAX_ENTROPY_GRID} in all; the mean is too large for the truncated-sum entropy`,
    );
  const k = Math.max(0, cutoff);
  const grid = tf.reshape(tf.range(0, k + 1, 1, 'float32'), [k + 1, ...batchShape.map(() => 1)]);
  const lp = logPmf(grid);
  const finite = gradFreeMask([lp], (v) => tf.isFinite(v));
  const lpSafe = tf.where(finite, lp, tf.zerosLike(lp));
  return tf.neg(tf.sum(tf.where(finite, tf.mul(tf.exp(lpSafe), lpSafe), tf.zerosLike(lp)), 0));
}

/** −Σ w·log w over the entries of a log-weight tensor, elementwise, with 0·log 0 = 0 and no NaN gradient. */
function negXLogX(logW: tf.Tensor): tf.Tensor {
  const finite = gradFreeMask([logW], (v) => tf.isFinite(v));
  const safe = tf.where(finite, logW, tf.zerosLike(logW));
  return tf.where(finite, tf.neg(tf.mul(tf.exp(safe), safe)), tf.zerosLike(logW));
}

/**
 * The entropy of a zero-inflated count distribution p(0) = π + (1 − π)f₀, p(k) = (1 − π)f(k) (k ≥ 1), in closed form
 * from the base entropy H_f, with no sum over the support:
 *
 * H = −p(0) log p(0) − (1 − π)(1 − f₀) log(1 − π) + (1 − π)(H_f + f₀ log f₀),
 *
 * since −Σ_{k≥1} f(k) log f(k) = H_f + f₀ log f₀. `logP0` is log p(0) and `baseLogP0` is log f₀. Terms with a zero
 * weight count 0 (gate 1: H = 0), with finite gradients.
 */
export function zeroInflatedEntropy(
  gate: Gate,
  logP0: tf.Tensor,
  baseLogP0: tf.Tensor,
  baseEntropy: tf.Tensor,
): tf.Tensor {
  const notGate = gate.probs !== undefined ? tf.sub(1, gate.probs) : tf.sigmoid(tf.neg(gate.logits));
  const positive = gradFreeMask([notGate], (v) => tf.greater(v, 0));
  const logNotGate =
    gate.probs !== undefined
      ? tf.log(tf.where(positive, notGate, tf.onesLike(notGate)))
      : tf.neg(tf.softplus(tf.where(positive, gate.logits, tf.zerosLike(gate.logits))));
  const notF0 = tf.neg(expm1(baseLogP0)); // 1 − f₀ without cancellation at tiny rates
  const gateTerm = tf.where(positive, tf.neg(tf.mul(tf.mul(notGate, notF0), logNotGate)), tf.zerosLike(notGate));
  const baseTerm = tf.where(positive, tf.mul(notGate, tf.sub(baseEntropy, negXLogX(baseLogP0))), tf.zerosLike(notGate));
  return tf.add(tf.add(negXLogX(logP0), gateTerm), baseTerm);
}
