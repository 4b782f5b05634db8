import * as tf from '@tensorflow/tfjs-core';
import { NotImplementedError, ShapeError } from '@varia/core';
import { Binomial } from './binomial.js';
import { Cauchy } from './cauchy.js';
import { ContinuousBernoulli } from './continuous-bernoulli.js';
import { Exponential } from './exponential.js';
import { Geometric } from './geometric.js';
import { Gumbel, EULER_GAMMA } from './gumbel.js';
import { HalfNormal } from './half-normal.js';
import type { DistributionClass, KLFunction } from './kl.js';
import { klDivergence } from './kl.js';
import { cholesky, triangularSolve, triangularSolveVec } from './linalg.js';
import { LogNormal } from './log-normal.js';
import { LowRankMultivariateNormal } from './low-rank-multivariate-normal.js';
import { halfLogDet, MultivariateNormal } from './multivariate-normal.js';
import { Pareto } from './pareto.js';
import { gradFreeMask, lgamma } from './special.js';
import { TransformedDistribution } from './transformed-distribution.js';
import { Uniform } from './uniform.js';

/** `value` where `infinite` is false, +∞ where it is true (the mask carries no gradient; torch's `_infinite_like`). */
export function infiniteWhere(value: tf.Tensor, infinite: tf.Tensor): tf.Tensor {
  const mask = infinite.shape.length === value.shape.length ? infinite : tf.broadcastTo(infinite, value.shape);
  return tf.where(mask, tf.fill(value.shape, Infinity), value);
}

/** KL(U(a₁, b₁) ‖ U(a₂, b₂)) = log((b₂ − a₂)/(b₁ − a₁)), +∞ unless [a₁, b₁] ⊆ [a₂, b₂]. */
export function klUniformUniform(p: Uniform, q: Uniform): tf.Tensor {
  const kl = tf.log(tf.div(tf.sub(q.high, q.low), tf.sub(p.high, p.low)));
  return infiniteWhere(
    kl,
    gradFreeMask([p.low, p.high, q.low, q.high], (pl, ph, ql, qh) =>
      tf.logicalOr(tf.greater(ql!, pl!), tf.less(qh!, ph!)),
    ),
  );
}

/** KL(Exp(λ₁) ‖ Exp(λ₂)) = λ₂/λ₁ − log(λ₂/λ₁) − 1. */
export function klExponentialExponential(p: Exponential, q: Exponential): tf.Tensor {
  const r = tf.div(q.rate, p.rate);
  return tf.sub(tf.sub(r, tf.log(r)), 1);
}

/** KL(Gumbel(μ₁, β₁) ‖ Gumbel(μ₂, β₂)) = −log(β₁/β₂) + (μ₁ − μ₂)/β₂ + γβ₁/β₂ + e^{(μ₂ − μ₁)/β₂}Γ(1 + β₁/β₂) − (1 + γ). */
export function klGumbelGumbel(p: Gumbel, q: Gumbel): tf.Tensor {
  const ct1 = tf.div(p.scale, q.scale);
  const ct2 = tf.div(q.loc, q.scale);
  const ct3 = tf.div(p.loc, q.scale);
  const t1 = tf.add(tf.sub(tf.neg(tf.log(ct1)), ct2), ct3);
  const t3 = tf.exp(tf.sub(tf.add(ct2, lgamma(tf.add(ct1, 1))), ct3));
  return tf.sub(tf.add(tf.add(t1, tf.mul(ct1, EULER_GAMMA)), t3), 1 + EULER_GAMMA);
}

/** KL(Pareto(x₁, α₁) ‖ Pareto(x₂, α₂)) = α₂ log(x₁/x₂) − log(α₂/α₁) + α₂/α₁ − 1, +∞ where x₁ < x₂. */
export function klParetoPareto(p: Pareto, q: Pareto): tf.Tensor {
  const ar = tf.div(q.alpha, p.alpha);
  const kl = tf.sub(tf.add(tf.sub(tf.mul(q.alpha, tf.log(tf.div(p.scale, q.scale))), tf.log(ar)), ar), 1);
  return infiniteWhere(
    kl,
    gradFreeMask([p.scale, q.scale], (ps, qs) => tf.less(ps, qs!)),
  );
}

/** KL(Geom(p) ‖ Geom(q)) = −H(p) − log(1 − q)/p − logit(q) (failures before the first success). */
export function klGeometricGeometric(p: Geometric, q: Geometric): tf.Tensor {
  const invP = tf.add(1, tf.exp(tf.neg(p.logits)));
  return tf.sub(tf.add(tf.neg(p.entropy()), tf.mul(tf.softplus(q.logits), invP)), q.logits);
}

/**
 * KL(Bin(n₁, p₁) ‖ Bin(n₂, p₂)) = n(p₁(ℓ₁ − ℓ₂) + log(1 − p₁) − log(1 − p₂)) for n₁ = n₂ = n; +∞ where n₁ > n₂.
 * @throws NotImplementedError where n₁ < n₂ (no closed form; torch raises too).
 */
export function klBinomialBinomial(p: Binomial, q: Binomial): tf.Tensor {
  const fewer = tf.tidy(() => tf.any(tf.less(p.totalCount, q.totalCount)).dataSync()[0]);
  if (fewer)
    throw new NotImplementedError('klDivergence(Binomial, Binomial): no closed form where p.totalCount < q.totalCount');
  const probs = tf.sigmoid(p.logits);
  const terms = tf.add(tf.mul(probs, tf.sub(p.logits, q.logits)), tf.sub(tf.softplus(q.logits), tf.softplus(p.logits)));
  return infiniteWhere(
    tf.mul(p.totalCount, terms),
    gradFreeMask([p.totalCount, q.totalCount], (a, b) => tf.greater(a, b!)),
  );
}

/** KL(HalfNormal(σ₁) ‖ HalfNormal(σ₂)) = log(σ₂/σ₁) + σ₁²/(2σ₂²) − ½. */
export function klHalfNormalHalfNormal(p: HalfNormal, q: HalfNormal): tf.Tensor {
  const vr = tf.square(tf.div(p.scale, q.scale));
  return tf.mul(0.5, tf.sub(tf.sub(vr, 1), tf.log(vr)));
}

/** KL(LogNormal ‖ LogNormal) = KL of the underlying normals (exp is a bijection). */
export function klLogNormalLogNormal(p: LogNormal, q: LogNormal): tf.Tensor {
  const vr = tf.square(tf.div(p.scale, q.scale));
  const t1 = tf.square(tf.div(tf.sub(p.loc, q.loc), q.scale));
  return tf.mul(0.5, tf.sub(tf.sub(tf.add(vr, t1), 1), tf.log(vr)));
}

/** KL(Cauchy(μ₁, σ₁) ‖ Cauchy(μ₂, σ₂)) = log(((σ₁ + σ₂)² + (μ₁ − μ₂)²)/(4σ₁σ₂)) (Chyzak & Nielsen 2019). */
export function klCauchyCauchy(p: Cauchy, q: Cauchy): tf.Tensor {
  const num = tf.add(tf.square(tf.add(p.scale, q.scale)), tf.square(tf.sub(p.loc, q.loc)));
  return tf.log(tf.div(num, tf.mul(4, tf.mul(p.scale, q.scale))));
}

/**
 * KL(CB(λ₁) ‖ CB(λ₂)) = E₁[X](ℓ₁ − ℓ₂) + log p₁(0) − log p₂(0), with log p(0) = log C(λ) + log(1 − λ) the log-density
 * at 0 (so the normalizers come from the family's own stable evaluation).
 */
export function klContinuousBernoulliContinuousBernoulli(p: ContinuousBernoulli, q: ContinuousBernoulli): tf.Tensor {
  return tf.add(tf.mul(p.mean(), tf.sub(p.logits, q.logits)), tf.sub(p.logProb(0), q.logProb(0)));
}

/** A Gaussian's mean and lower Cholesky factor of its covariance. */
function gaussian(d: MultivariateNormal | LowRankMultivariateNormal): { loc: tf.Tensor; tril: tf.Tensor } {
  return d instanceof MultivariateNormal
    ? { loc: d.loc, tril: d.scaleTril }
    : { loc: d.loc, tril: cholesky(d.covarianceMatrixParameter()) };
}

/**
 * KL(N(μ₁, Σ₁) ‖ N(μ₂, Σ₂)) = Σ log diag L₂ − Σ log diag L₁ + ½(‖L₂⁻¹L₁‖²_F + ‖L₂⁻¹(μ₂ − μ₁)‖² − D), for full and
 * low-rank Gaussians in any combination (low-rank ones through the Cholesky factor of WWᵀ + diag d).
 * @throws ShapeError when the event sizes differ.
 */
export function klGaussianGaussian(
  p: MultivariateNormal | LowRankMultivariateNormal,
  q: MultivariateNormal | LowRankMultivariateNormal,
): tf.Tensor {
  if (p.eventShape[0] !== q.eventShape[0]) {
    throw new ShapeError('q', `klDivergence: event sizes differ (${p.eventShape[0]} vs ${q.eventShape[0]})`);
  }
  const a = gaussian(p);
  const b = gaussian(q);
  const term2 = tf.sum(tf.square(triangularSolve(b.tril, a.tril)), [-2, -1]);
  const term3 = tf.sum(tf.square(triangularSolveVec(b.tril, tf.sub(b.loc, a.loc))), -1);
  const half1 = tf.sub(halfLogDet(b.tril), halfLogDet(a.tril));
  return tf.add(half1, tf.mul(0.5, tf.sub(tf.add(term2, term3), p.eventShape[0]!)));
}

/** Whether two bijectors are the same map: the same instance, or the same parameterless class. */
function sameBijector(p: TransformedDistribution, q: TransformedDistribution): boolean {
  if (p.bijector === q.bijector) return true;
  const hasTensors = (b: object): boolean =>
    Object.values(b).some((v) => v instanceof tf.Tensor || (typeof v === 'object' && v !== null && 'bijectors' in v));
  return p.bijector.constructor === q.bijector.constructor && !hasTensors(p.bijector) && !hasTensors(q.bijector);
}

/**
 * KL(f(X) ‖ f(Y)) = KL(X ‖ Y) for one bijector f (KL is invariant under bijections).
 * @throws NotImplementedError when the bijectors cannot be shown equal (different instances with parameters).
 */
export function klTransformedTransformed(p: TransformedDistribution, q: TransformedDistribution): tf.Tensor {
  if (!sameBijector(p, q) || p.eventShape.length !== q.eventShape.length) {
    throw new NotImplementedError(
      `klDivergence(TransformedDistribution, TransformedDistribution) needs the same bijector (the same instance, or the same parameterless class); got ${p.bijector.name} and ${q.bijector.name}`,
    );
  }
  return klDivergence(p.base, q.base);
}

/** Same-family analytic pairs of the transform-era families, as `[P, Q, KL(p‖q)]`. */
export function familyKLPairs(): [DistributionClass, DistributionClass, KLFunction][] {
  const pairs: [DistributionClass, DistributionClass, KLFunction<never, never>][] = [
    [Uniform, Uniform, klUniformUniform],
    [Exponential, Exponential, klExponentialExponential],
    [Gumbel, Gumbel, klGumbelGumbel],
    [Pareto, Pareto, klParetoPareto],
    [Geometric, Geometric, klGeometricGeometric],
    [Binomial, Binomial, klBinomialBinomial],
    [HalfNormal, HalfNormal, klHalfNormalHalfNormal],
    [LogNormal, LogNormal, klLogNormalLogNormal],
    [Cauchy, Cauchy, klCauchyCauchy],
    [ContinuousBernoulli, ContinuousBernoulli, klContinuousBernoulliContinuousBernoulli],
    [MultivariateNormal, MultivariateNormal, klGaussianGaussian],
    [LowRankMultivariateNormal, LowRankMultivariateNormal, klGaussianGaussian],
    [MultivariateNormal, LowRankMultivariateNormal, klGaussianGaussian],
    [LowRankMultivariateNormal, MultivariateNormal, klGaussianGaussian],
    [TransformedDistribution, TransformedDistribution, klTransformedTransformed],
  ];
  return pairs as unknown as [DistributionClass, DistributionClass, KLFunction][];
}
