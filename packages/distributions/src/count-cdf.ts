import * as tf from '@tensorflow/tfjs-core';
import { hostOp } from './host-op.js';
import { betaIncDerivShape, logBetaDensity, logIncompleteBeta } from './incomplete-beta-float64.js';
import { logGammaDensity, logIncompleteGamma } from './incomplete-gamma-float64.js';
import { gradFreeMask } from './special.js';
import { type Gate, gateProbs, notGate } from './zero-inflation.js';

/*
 * Cdfs of the count families through the incomplete gamma and beta functions, in double precision on the host.
 * The count k = ⌊x⌋ gets no gradient (the cdf is a step function of x).
 */

/** 1/(1 + e^{−t}) and 1/(1 + eᵗ) without overflow. */
function sigmoids(t: number): [number, number] {
  const e = Math.exp(-Math.abs(t));
  const big = 1 / (1 + e);
  const small = e / (1 + e);
  return t >= 0 ? [big, small] : [small, big];
}

const poissonCdfOp = hostOp({
  // P(X ≤ k) = Q(k + 1, λ)
  value: (k, rate) =>
    k < 0 ? 0 : rate === 0 ? 1 : Math.exp(logIncompleteGamma(Math.floor(k) + 1, Math.log(rate)).logQ),
  // ∂Q(k + 1, λ)/∂λ = −λᵏe^{−λ}/k!
  partials: [
    undefined,
    (k, rate) => (k < 0 || !(rate > 0) ? 0 : -Math.exp(logGammaDensity(Math.floor(k) + 1, Math.log(rate)))),
  ],
});

/** P(X ≤ x) for X ~ Poisson(λ): Q(⌊x⌋ + 1, λ) (0 for x < 0), differentiable in λ. */
export function poissonCdf(rate: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return poissonCdfOp(x, rate);
}

const negativeBinomialCdfOp = hostOp({
  // P(X ≤ k) = I_{σ(−ℓ)}(r, k + 1), with 1 − σ(−ℓ) = σ(ℓ) passed exactly
  value: (k, r, logit) => {
    if (k < 0) return 0;
    const [p, q] = sigmoids(logit);
    return Math.exp(logIncompleteBeta(r, Math.floor(k) + 1, q, p).logI);
  },
  partials: [
    undefined,
    (k, r, logit) => {
      if (k < 0) return 0;
      const [p, q] = sigmoids(logit);
      return q > 0 && p > 0 ? betaIncDerivShape(r, Math.floor(k) + 1, q, 0, p) : 0;
    },
    // ∂I_q/∂ℓ = f(q)·dq/dℓ, dq/dℓ = −q(1 − q)
    (k, r, logit) => {
      if (k < 0) return 0;
      const [p, q] = sigmoids(logit);
      return q > 0 && p > 0 ? -Math.exp(logBetaDensity(r, Math.floor(k) + 1, q, p) + Math.log(q) + Math.log(p)) : 0;
    },
  ],
});

/**
 * P(X ≤ x) for the negative binomial with r failures and success log-odds ℓ (torch's convention):
 * I_{1−p}(r, ⌊x⌋ + 1), p = σ(ℓ) (0 for x < 0), differentiable in r and ℓ.
 */
export function negativeBinomialCdf(totalCount: tf.Tensor, logits: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return negativeBinomialCdfOp(x, totalCount, logits);
}

/** A zero-inflated cdf: π + (1 − π)·F(x) for x ≥ 0, 0 below. */
export function zeroInflatedCdf(gate: Gate, baseCdf: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inflated = tf.add(gateProbs(gate), tf.mul(notGate(gate), baseCdf));
    return tf.where(
      gradFreeMask([x], (v) => tf.less(v, 0)),
      tf.zerosLike(inflated),
      inflated,
    );
  });
}
