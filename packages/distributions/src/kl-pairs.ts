import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { Bernoulli } from './bernoulli.js';
import { Independent } from './independent.js';
import { type DistributionClass, type KLFunction, klDivergence } from './kl.js';
import { Normal } from './normal.js';
import { Poisson } from './poisson.js';
import { Beta } from './beta.js';
import { Categorical } from './categorical.js';
import { Deterministic } from './deterministic.js';
import { Dirichlet } from './dirichlet.js';
import { Distribution } from './distribution.js';
import { Gamma } from './gamma.js';
import { Laplace } from './laplace.js';
import { MultivariateNormalDiag } from './multivariate-normal-diag.js';
import { OneHotCategorical } from './one-hot-categorical.js';
import { digamma, gradFreeMask, lbeta, lgamma } from './special.js';
import { broadcastShapes, shapesEqual } from './tensor-like.js';
import { familyKLPairs } from './kl-pairs-families.js';
import { crossKLPairs } from './kl-pairs-cross.js';

/**
 * KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½.
 */
export function klNormalNormal(p: Normal, q: Normal): tf.Tensor {
  // Against a q known to be N(0, 1) (a standard-normal prior given as host values) the division by σ₂ and the
  // subtraction of μ₂ are skipped: x / 1 and x − 0 are exact, so the values and gradients are the same bits, with
  // three operations less forward and about six less backward per step. Only when p's shape is already the result's.
  const standard =
    q.knownConstant('loc') === 0 &&
    q.knownConstant('scale') === 1 &&
    shapesEqual(broadcastShapes([p.batchShape, q.batchShape]), p.batchShape);
  if (standard && shapesEqual(p.loc.shape, p.scale.shape)) return klStandardNormal(p.loc, p.scale);
  const varRatio = tf.square(standard ? p.scale : tf.div(p.scale, q.scale));
  const t1 = tf.square(standard ? p.loc : tf.div(tf.sub(p.loc, q.loc), q.scale));
  return tf.mul(0.5, tf.sub(tf.sub(tf.add(varRatio, t1), 1), tf.log(varRatio)));
}

/**
 * KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − log σ²) as one taped operation: the forward kernels of the formula, and a
 * hand-written backward with the same kernels in the same order as tfjs's autodiff of it (h = ½·dy,
 * ∂/∂σ² = h + (−h)/σ², ∂/∂σ = ∂/∂σ²·(σ·2), ∂/∂μ = h·(μ·2)), so values and gradients are the same bits with about half
 * the kernels and none of the tape's saved copies.
 */
const klStandardNormal = tf.customGrad((loc: unknown, scale: unknown, save: unknown) => {
  const mu = loc as tf.Tensor;
  const sigma = scale as tf.Tensor;
  const varRatio = tf.square(sigma);
  const value = tf.mul(0.5, tf.sub(tf.sub(tf.add(varRatio, tf.square(mu)), 1), tf.log(varRatio)));
  (save as tf.GradSaveFunc)([mu, sigma, varRatio]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [m, s, v] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const h = tf.mul(dy, 0.5);
      const dVar = tf.add(tf.div(tf.neg(h), v), h);
      return [tf.mul(h, tf.mul(m, 2)), tf.mul(dVar, tf.mul(s, 2))];
    },
  };
}) as unknown as (loc: tf.Tensor, scale: tf.Tensor) => tf.Tensor;

/**
 * KL(Bern(p₁) ‖ Bern(p₂)) = p₁ (log p₁ − log p₂) + (1 − p₁)(log(1 − p₁) − log(1 − p₂)), in logits:
 * σ(ℓ₁)(ℓ₁ − ℓ₂) − softplus(ℓ₁) + softplus(ℓ₂).
 */
export function klBernoulliBernoulli(p: Bernoulli, q: Bernoulli): tf.Tensor {
  // Σₓ p(x)(log p(x) − log q(x)) with log σ(ℓ) = −softplus(−ℓ); a term of weight p(x) = 0 is 0 (safe where: ℓp is
  // replaced by 0 there before the product, so p = 0 or 1 gives exact values and finite gradients, not 0·∞ = NaN)
  const term = (lp: tf.Tensor, lq: tf.Tensor): tf.Tensor => {
    const w = tf.sigmoid(lp);
    const used = gradFreeMask([w], (v) => tf.greater(v, 0));
    const lpSafe = tf.where(used, lp, tf.zerosLike(lp));
    const t = tf.mul(tf.sigmoid(lpSafe), tf.sub(tf.softplus(tf.neg(lq)), tf.softplus(tf.neg(lpSafe))));
    return tf.where(used, t, tf.zerosLike(t));
  };
  return tf.add(term(p.logits, q.logits), term(tf.neg(p.logits), tf.neg(q.logits)));
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
  return tf.sum(
    kl,
    Array.from({ length: p.reinterpretedBatchDims }, (_, i) => kl.rank - 1 - i),
  );
}

/** KL(N(μ₁, diag σ₁²) ‖ N(μ₂, diag σ₂²)) = Σᵢ [log(σ₂ᵢ/σ₁ᵢ) + (σ₁ᵢ² + (μ₁ᵢ − μ₂ᵢ)²)/(2σ₂ᵢ²) − ½]. */
export function klMultivariateNormalDiag(p: MultivariateNormalDiag, q: MultivariateNormalDiag): tf.Tensor {
  const varRatio = tf.square(tf.div(p.scaleDiag, q.scaleDiag));
  const t1 = tf.square(tf.div(tf.sub(p.loc, q.loc), q.scaleDiag));
  return tf.sum(tf.mul(0.5, tf.sub(tf.sub(tf.add(varRatio, t1), 1), tf.log(varRatio))), -1);
}

/** KL(Laplace(μ₁, b₁) ‖ Laplace(μ₂, b₂)) = log(b₂/b₁) + |μ₁ − μ₂|/b₂ + (b₁/b₂)·e^{−|μ₁ − μ₂|/b₁} − 1. */
export function klLaplaceLaplace(p: Laplace, q: Laplace): tf.Tensor {
  const ratio = tf.div(p.scale, q.scale);
  const diff = tf.abs(tf.sub(p.loc, q.loc));
  return tf.sub(
    tf.add(tf.sub(tf.div(diff, q.scale), tf.log(ratio)), tf.mul(ratio, tf.exp(tf.neg(tf.div(diff, p.scale))))),
    1,
  );
}

/** KL(Cat(p) ‖ Cat(q)) = Σₖ pₖ (log pₖ − log qₖ), with 0·log 0 = 0 (also for one-hot categoricals). */
export function klCategoricalCategorical(
  p: Categorical | OneHotCategorical,
  q: Categorical | OneHotCategorical,
): tf.Tensor {
  const probs = tf.exp(p.logits);
  const terms = tf.mul(probs, tf.sub(p.logits, q.logits));
  return tf.sum(
    tf.where(
      gradFreeMask([probs], (v) => tf.greater(v, 0)),
      terms,
      tf.zerosLike(terms),
    ),
    -1,
  );
}

/**
 * KL(Gamma(α₁, β₁) ‖ Gamma(α₂, β₂)) = (α₁ − α₂)ψ(α₁) − log Γ(α₁) + log Γ(α₂) + α₂(log β₁ − log β₂) + α₁(β₂ − β₁)/β₁.
 */
export function klGammaGamma(p: Gamma, q: Gamma): tf.Tensor {
  const a1 = p.concentration;
  const a2 = q.concentration;
  return tf.add(
    tf.add(tf.mul(tf.sub(a1, a2), digamma(a1)), tf.sub(lgamma(a2), lgamma(a1))),
    tf.add(tf.mul(a2, tf.sub(tf.log(p.rate), tf.log(q.rate))), tf.div(tf.mul(a1, tf.sub(q.rate, p.rate)), p.rate)),
  );
}

/**
 * KL(Beta(a₁, b₁) ‖ Beta(a₂, b₂)) = log B(a₂, b₂) − log B(a₁, b₁) + (a₁ − a₂)ψ(a₁) + (b₁ − b₂)ψ(b₁)
 * + (a₂ − a₁ + b₂ − b₁)ψ(a₁ + b₁).
 */
export function klBetaBeta(p: Beta, q: Beta): tf.Tensor {
  const a1 = p.concentration1;
  const b1 = p.concentration0;
  const a2 = q.concentration1;
  const b2 = q.concentration0;
  const s1 = tf.add(a1, b1);
  return tf.add(
    tf.add(
      tf.sub(lbeta(a2, b2), lbeta(a1, b1)),
      tf.add(tf.mul(tf.sub(a1, a2), digamma(a1)), tf.mul(tf.sub(b1, b2), digamma(b1))),
    ),
    tf.mul(tf.sub(tf.add(a2, b2), s1), digamma(s1)),
  );
}

/**
 * KL(Dir(α) ‖ Dir(β)) = log Γ(α₀) − Σᵢ log Γ(αᵢ) − log Γ(β₀) + Σᵢ log Γ(βᵢ) + Σᵢ (αᵢ − βᵢ)(ψ(αᵢ) − ψ(α₀)).
 */
export function klDirichletDirichlet(p: Dirichlet, q: Dirichlet): tf.Tensor {
  const a = p.concentration;
  const b = q.concentration;
  const a0 = tf.sum(a, -1);
  const b0 = tf.sum(b, -1);
  const t1 = tf.sub(tf.sub(lgamma(a0), tf.sum(lgamma(a), -1)), tf.sub(lgamma(b0), tf.sum(lgamma(b), -1)));
  const t2 = tf.sum(tf.mul(tf.sub(a, b), tf.sub(digamma(a), digamma(tf.expandDims(a0, -1)))), -1);
  return tf.add(t1, t2);
}

/** KL(δ_{x₀} ‖ q) = −log q(x₀), for any q with a `logProb` (+∞ where q(x₀) = 0). */
export function klDeterministic(p: Deterministic, q: Distribution): tf.Tensor {
  return tf.neg(q.logProb(p.loc));
}

/** The analytic pairs `klDivergence` knows without registration, as `[P, Q, KL(p‖q)]`. */
export function builtinKLPairs(): [DistributionClass, DistributionClass, KLFunction][] {
  return [
    [Normal, Normal, klNormalNormal as KLFunction],
    [Bernoulli, Bernoulli, klBernoulliBernoulli as KLFunction],
    [Poisson, Poisson, klPoissonPoisson as KLFunction],
    [Independent, Independent, klIndependentIndependent as KLFunction],
    [MultivariateNormalDiag, MultivariateNormalDiag, klMultivariateNormalDiag as KLFunction],
    [Laplace, Laplace, klLaplaceLaplace as KLFunction],
    [Categorical, Categorical, klCategoricalCategorical as KLFunction],
    [OneHotCategorical, OneHotCategorical, klCategoricalCategorical as KLFunction],
    [Gamma, Gamma, klGammaGamma as KLFunction],
    [Beta, Beta, klBetaBeta as KLFunction],
    [Dirichlet, Dirichlet, klDirichletDirichlet as KLFunction],
    // Distribution's constructor is protected; the registry only uses the class as a prototype key.
    [Deterministic, Distribution as unknown as DistributionClass, klDeterministic as KLFunction],
    ...familyKLPairs(),
    ...crossKLPairs(),
  ];
}
