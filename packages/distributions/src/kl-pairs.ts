import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { Bernoulli } from './bernoulli.js';
import { Independent } from './independent.js';
import { type DistributionClass, type KLFunction, klDivergence } from './kl.js';
import { Normal } from './normal.js';
import { Poisson } from './poisson.js';

/**
 * KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½.
 */
export function klNormalNormal(p: Normal, q: Normal): tf.Tensor {
  const varRatio = tf.square(tf.div(p.scale, q.scale));
  const t1 = tf.square(tf.div(tf.sub(p.loc, q.loc), q.scale));
  return tf.mul(0.5, tf.sub(tf.sub(tf.add(varRatio, t1), 1), tf.log(varRatio)));
}

/**
 * KL(Bern(p₁) ‖ Bern(p₂)) = p₁ (log p₁ − log p₂) + (1 − p₁)(log(1 − p₁) − log(1 − p₂)), in logits:
 * σ(ℓ₁)(ℓ₁ − ℓ₂) − softplus(ℓ₁) + softplus(ℓ₂).
 */
export function klBernoulliBernoulli(p: Bernoulli, q: Bernoulli): tf.Tensor {
  return tf.add(
    tf.mul(tf.sigmoid(p.logits), tf.sub(p.logits, q.logits)),
    tf.sub(tf.softplus(q.logits), tf.softplus(p.logits)),
  );
}

/** KL(Poi(λ₁) ‖ Poi(λ₂)) = λ₁ (log λ₁ − log λ₂) − λ₁ + λ₂. */
export function klPoissonPoisson(p: Poisson, q: Poisson): tf.Tensor {
  const r1 = tf.exp(p.logRate);
  return tf.add(tf.mul(r1, tf.sub(p.logRate, q.logRate)), tf.sub(tf.exp(q.logRate), r1));
}

/** KL of two `Independent`s with the same reinterpreted dims: the base KL summed over those dims. */
export function klIndependentIndependent(p: Independent, q: Independent): tf.Tensor {
  if (p.reinterpretedBatchDims !== q.reinterpretedBatchDims) {
    throw new ArgumentError(
      'q',
      `klDivergence(Independent, Independent): reinterpretedBatchDims differ (${p.reinterpretedBatchDims} vs ${q.reinterpretedBatchDims})`,
    );
  }
  const kl = klDivergence(p.base, q.base);
  if (p.reinterpretedBatchDims === 0) return kl;
  return tf.sum(kl, Array.from({ length: p.reinterpretedBatchDims }, (_, i) => kl.rank - 1 - i));
}

/** The analytic pairs `klDivergence` knows without registration, as `[P, Q, KL(p‖q)]`. */
export function builtinKLPairs(): [DistributionClass, DistributionClass, KLFunction][] {
  return [
    [Normal, Normal, klNormalNormal as KLFunction],
    [Bernoulli, Bernoulli, klBernoulliBernoulli as KLFunction],
    [Poisson, Poisson, klPoissonPoisson as KLFunction],
    [Independent, Independent, klIndependentIndependent as KLFunction],
  ];
}
