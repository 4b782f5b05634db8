import * as tf from '@tensorflow/tfjs-core';
import { Bernoulli } from './bernoulli.js';
import { Beta } from './beta.js';
import { Binomial } from './binomial.js';
import { ContinuousBernoulli } from './continuous-bernoulli.js';
import type { Distribution } from './distribution.js';
import { Exponential } from './exponential.js';
import { Gamma } from './gamma.js';
import { EULER_GAMMA, Gumbel } from './gumbel.js';
import type { DistributionClass, KLFunction } from './kl.js';
import { infiniteWhere } from './kl-pairs-families.js';
import { Laplace } from './laplace.js';
import { Normal } from './normal.js';
import { Pareto } from './pareto.js';
import { Poisson } from './poisson.js';
import { digamma, gradFreeMask, lbeta, lgamma, xlogy } from './special.js';
import { broadcastShapes } from './tensor-like.js';
import { Uniform } from './uniform.js';

const LOG_2PI = Math.log(2 * Math.PI);
const xlogx = (x: tf.Tensor): tf.Tensor => xlogy(x, x);
const mask = (inputs: tf.Tensor[], f: (...v: tf.Tensor[]) => tf.Tensor): tf.Tensor => gradFreeMask(inputs, f);

/** +∞ with the broadcast batch shape of p and q: the supports do not nest (torch's `_infinite_like`). */
export function klInfinite(p: Distribution, q: Distribution): tf.Tensor {
  return tf.fill(broadcastShapes([p.batchShape, q.batchShape]), Infinity);
}

/** E_q-free part shared by the pairs below: KL(p ‖ N(μ, σ²)) = −H(p) + ½ log(2πσ²) + (E[X²] − 2μE[X] + μ²)/(2σ²). */
function klToNormal(negEntropy: tf.Tensor, mean: tf.Tensor, secondMoment: tf.Tensor, q: Normal): tf.Tensor {
  const v = tf.square(q.scale);
  const quad = tf.add(tf.sub(secondMoment, tf.mul(tf.mul(2, q.loc), mean)), tf.square(q.loc));
  return tf.add(tf.add(negEntropy, tf.mul(0.5, tf.add(tf.log(v), LOG_2PI))), tf.div(quad, tf.mul(2, v)));
}

/** KL(N(μ₁, σ₁²) ‖ Laplace(μ₂, b)) = −log(σ₁/b) + (σ₁√(2/π)e^{−δ²/2σ₁²} + δ·erf(δ/(σ₁√2)))/b − ½(1 + log(π/2)), δ = μ₁ − μ₂. */
export function klNormalLaplace(p: Normal, q: Laplace): tf.Tensor {
  const diff = tf.sub(p.loc, q.loc);
  const r = tf.div(diff, p.scale);
  const t2 = tf.mul(Math.sqrt(2 / Math.PI), tf.mul(p.scale, tf.exp(tf.mul(-0.5, tf.square(r)))));
  const t3 = tf.mul(diff, tf.erf(tf.mul(Math.SQRT1_2, r)));
  return tf.sub(
    tf.sub(tf.div(tf.add(t2, t3), q.scale), tf.log(tf.div(p.scale, q.scale))),
    0.5 * (1 + Math.log(0.5 * Math.PI)),
  );
}

/** KL(Laplace(μ₁, b) ‖ N(μ₂, σ²)) = −½ log(2b²/(πσ²)) + b²/σ² + (μ₁ − μ₂)²/(2σ²) − 1. */
export function klLaplaceNormal(p: Laplace, q: Normal): tf.Tensor {
  const v = tf.square(q.scale);
  const ratio = tf.div(tf.square(p.scale), v);
  return tf.sub(
    tf.add(
      tf.sub(ratio, tf.mul(0.5, tf.log(tf.mul(ratio, 2 / Math.PI)))),
      tf.div(tf.square(tf.sub(p.loc, q.loc)), tf.mul(2, v)),
    ),
    1,
  );
}

/** KL(N ‖ Gumbel(μ, β)) (torch's `_kl_normal_gumbel`). */
export function klNormalGumbel(p: Normal, q: Gumbel): tf.Tensor {
  const m = tf.div(p.loc, q.scale);
  const v = tf.square(tf.div(p.scale, q.scale));
  const l = tf.div(q.loc, q.scale);
  const t3 = tf.exp(tf.add(tf.add(tf.neg(m), tf.mul(0.5, v)), l));
  return tf.sub(tf.add(tf.sub(tf.sub(m, l), tf.mul(0.5, tf.log(v))), t3), 0.5 * (1 + LOG_2PI));
}

/** KL(Gumbel ‖ N) (torch's `_kl_gumbel_normal`). */
export function klGumbelNormal(p: Gumbel, q: Normal): tf.Tensor {
  const r = tf.div(p.scale, q.scale);
  const t2 = tf.div(tf.square(tf.mul(0.5 * Math.PI, r)), 3);
  const t3 = tf.mul(0.5, tf.square(tf.div(tf.sub(tf.add(p.loc, tf.mul(p.scale, EULER_GAMMA)), q.loc), q.scale)));
  return tf.sub(tf.add(tf.add(tf.neg(tf.log(tf.div(r, Math.sqrt(2 * Math.PI)))), t2), t3), EULER_GAMMA + 1);
}

/** KL(Gamma(α, β) ‖ N(μ, σ²)) = −H + ½ log 2πσ² + (E[X²] − 2μE[X] + μ²)/(2σ²), E[X] = α/β, E[X²] = α(α + 1)/β². */
export function klGammaNormal(p: Gamma, q: Normal): tf.Tensor {
  const mean = tf.div(p.concentration, p.rate);
  const second = tf.div(tf.mul(p.concentration, tf.add(p.concentration, 1)), tf.square(p.rate));
  return klToNormal(tf.neg(p.entropy()), mean, second, q);
}

/** KL(Beta(a, b) ‖ N(μ, σ²)), E[X] = a/(a + b), E[X²] = E[X](a + 1)/(a + b + 1). */
export function klBetaNormal(p: Beta, q: Normal): tf.Tensor {
  const s = tf.add(p.concentration1, p.concentration0);
  const mean = tf.div(p.concentration1, s);
  const second = tf.div(tf.mul(mean, tf.add(p.concentration1, 1)), tf.add(s, 1));
  return klToNormal(tf.neg(p.entropy()), mean, second, q);
}

/** KL(Beta(a, b) ‖ Gamma(α, β)) = −H + log Γ(α) − α log β − (α − 1)(ψ(a) − ψ(a + b)) + βa/(a + b). */
export function klBetaGamma(p: Beta, q: Gamma): tf.Tensor {
  const s = tf.add(p.concentration1, p.concentration0);
  const t2 = tf.sub(lgamma(q.concentration), tf.mul(q.concentration, tf.log(q.rate)));
  const t3 = tf.mul(tf.sub(q.concentration, 1), tf.sub(digamma(p.concentration1), digamma(s)));
  return tf.add(tf.sub(tf.add(tf.neg(p.entropy()), t2), t3), tf.div(tf.mul(q.rate, p.concentration1), s));
}

/** KL(Beta(a, b) ‖ Exp(λ)) = −H − log λ + λa/(a + b). */
export function klBetaExponential(p: Beta, q: Exponential): tf.Tensor {
  return tf.add(
    tf.sub(tf.neg(p.entropy()), tf.log(q.rate)),
    tf.div(tf.mul(q.rate, p.concentration1), tf.add(p.concentration1, p.concentration0)),
  );
}

/** KL(Beta ‖ U(a, b)) = −H + log(b − a), +∞ unless [0, 1] ⊆ [a, b]. */
export function klBetaUniform(p: Beta, q: Uniform): tf.Tensor {
  const kl = tf.add(tf.neg(p.entropy()), tf.log(tf.sub(q.high, q.low)));
  return infiniteWhere(
    kl,
    mask([q.low, q.high], (l, h) => tf.logicalOr(tf.greater(l, 0), tf.less(h!, 1))),
  );
}

/** KL(Bern(p) ‖ Poi(λ)) = −H(p) − (p log λ − λ). */
export function klBernoulliPoisson(p: Bernoulli, q: Poisson): tf.Tensor {
  return tf.add(tf.neg(p.entropy()), tf.sub(q.rate, tf.mul(tf.sigmoid(p.logits), q.logRate)));
}

/** KL(U(a, b) ‖ N(μ, σ²)) = log(√(2π)σ/(b − a)) + ((b − a)²/12 + ((a + b)/2 − μ)²)/(2σ²). */
export function klUniformNormal(p: Uniform, q: Normal): tf.Tensor {
  const w = tf.sub(p.high, p.low);
  const t3 = tf.square(tf.sub(tf.mul(0.5, tf.add(p.high, p.low)), q.loc));
  return tf.add(
    tf.log(tf.div(tf.mul(Math.sqrt(2 * Math.PI), q.scale), w)),
    tf.div(tf.add(tf.div(tf.square(w), 12), t3), tf.mul(2, tf.square(q.scale))),
  );
}

/** KL(U(a, b) ‖ Gumbel(μ, β)) (torch's `_kl_uniform_gumbel`). */
export function klUniformGumbel(p: Uniform, q: Gumbel): tf.Tensor {
  const c = tf.div(q.scale, tf.sub(p.high, p.low));
  const hi = tf.div(tf.sub(p.high, q.loc), q.scale);
  const lo = tf.div(tf.sub(p.low, q.loc), q.scale);
  return tf.sub(
    tf.add(tf.log(c), tf.mul(0.5, tf.add(hi, lo))),
    tf.mul(c, tf.sub(tf.exp(tf.neg(hi)), tf.exp(tf.neg(lo)))),
  );
}

/** KL(U(a, b) ‖ Exp(λ)) = λ(a + b)/2 − log((b − a)λ), +∞ where a < 0. */
export function klUniformExponential(p: Uniform, q: Exponential): tf.Tensor {
  const kl = tf.sub(tf.mul(q.rate, tf.mul(0.5, tf.add(p.high, p.low))), tf.log(tf.mul(tf.sub(p.high, p.low), q.rate)));
  return infiniteWhere(
    kl,
    mask([p.low], (l) => tf.less(l, 0)),
  );
}

/** (b log b − a log a − (b − a))/(b − a) = E_U[log X] for U(a, b), a ≥ 0. */
function meanLog(p: Uniform): tf.Tensor {
  const w = tf.sub(p.high, p.low);
  return tf.div(tf.sub(tf.sub(xlogx(p.high), xlogx(tf.relu(p.low))), w), w);
}

/** KL(U(a, b) ‖ Gamma(α, β)), +∞ where a < 0. */
export function klUniformGamma(p: Uniform, q: Gamma): tf.Tensor {
  const t2 = tf.sub(lgamma(q.concentration), tf.mul(q.concentration, tf.log(q.rate)));
  const t3 = tf.mul(tf.sub(1, q.concentration), meanLog(p));
  const t4 = tf.mul(q.rate, tf.mul(0.5, tf.add(p.high, p.low)));
  const kl = tf.add(tf.add(tf.sub(t2, tf.log(tf.sub(p.high, p.low))), t3), t4);
  return infiniteWhere(
    kl,
    mask([p.low], (l) => tf.less(l, 0)),
  );
}

/** KL(U(a, b) ‖ Beta(α, β)) = −log(b − a) − (α − 1)E[log X] − (β − 1)E[log(1 − X)] + log B(α, β), +∞ unless [a, b] ⊆ [0, 1]. */
export function klUniformBeta(p: Uniform, q: Beta): tf.Tensor {
  const w = tf.sub(p.high, p.low);
  const lo = tf.clipByValue(p.low, 0, 1);
  const hi = tf.clipByValue(p.high, 0, 1);
  const eLog = tf.div(tf.sub(tf.sub(xlogx(hi), xlogx(lo)), w), w);
  const eLog1m = tf.div(tf.sub(tf.sub(xlogx(tf.sub(1, lo)), xlogx(tf.sub(1, hi))), w), w);
  const kl = tf.sub(
    tf.sub(tf.sub(lbeta(q.concentration1, q.concentration0), tf.log(w)), tf.mul(tf.sub(q.concentration1, 1), eLog)),
    tf.mul(tf.sub(q.concentration0, 1), eLog1m),
  );
  return infiniteWhere(
    kl,
    mask([p.low, p.high], (l, h) => tf.logicalOr(tf.less(l, 0), tf.greater(h!, 1))),
  );
}

/** KL(U(a, b) ‖ Pareto(xₘ, α)) = (α + 1)E[log X] − log(α xₘ^α (b − a)), +∞ where a < xₘ. */
export function klUniformPareto(p: Uniform, q: Pareto): tf.Tensor {
  const t1 = tf.log(tf.mul(tf.mul(q.alpha, tf.pow(q.scale, q.alpha)), tf.sub(p.high, p.low)));
  const kl = tf.sub(tf.mul(tf.add(q.alpha, 1), meanLog(p)), t1);
  return infiniteWhere(
    kl,
    mask([p.low, q.scale], (l, s) => tf.less(l, s!)),
  );
}

/** KL(Exp(λ) ‖ Gamma(α, β)) (torch's `_kl_exponential_gamma`). */
export function klExponentialGamma(p: Exponential, q: Gamma): tf.Tensor {
  const r = tf.div(q.rate, p.rate);
  const t = tf.add(
    tf.sub(r, tf.mul(q.concentration, tf.log(r))),
    tf.add(lgamma(q.concentration), tf.mul(q.concentration, EULER_GAMMA)),
  );
  return tf.sub(t, 1 + EULER_GAMMA);
}

/** KL(Exp(λ) ‖ Gumbel(μ, β)) (torch's `_kl_exponential_gumbel`). */
export function klExponentialGumbel(p: Exponential, q: Gumbel): tf.Tensor {
  const s = tf.mul(p.rate, q.scale);
  const l = tf.div(q.loc, q.scale);
  const t2 = tf.div(tf.mul(tf.exp(l), s), tf.add(s, 1));
  return tf.add(tf.add(tf.sub(tf.sub(tf.log(s), 1), l), t2), tf.reciprocal(s));
}

/** KL(Exp(λ) ‖ N(μ, σ²)), E[X] = 1/λ, E[X²] = 2/λ². */
export function klExponentialNormal(p: Exponential, q: Normal): tf.Tensor {
  return klToNormal(tf.sub(tf.log(p.rate), 1), tf.reciprocal(p.rate), tf.div(2, tf.square(p.rate)), q);
}

/** KL(Gamma(α, β) ‖ Exp(λ)) = −H − log λ + λα/β. */
export function klGammaExponential(p: Gamma, q: Exponential): tf.Tensor {
  return tf.add(tf.sub(tf.neg(p.entropy()), tf.log(q.rate)), tf.div(tf.mul(q.rate, p.concentration), p.rate));
}

/** KL(Gamma ‖ Gumbel) (torch's `_kl_gamma_gumbel`). */
export function klGammaGumbel(p: Gamma, q: Gumbel): tf.Tensor {
  const a = p.concentration;
  const bs = tf.mul(p.rate, q.scale);
  const l = tf.div(q.loc, q.scale);
  const t1 = tf.sub(tf.sub(tf.mul(tf.sub(a, 1), digamma(a)), lgamma(a)), a);
  const t2 = tf.add(tf.log(bs), tf.div(a, bs));
  const t3 = tf.sub(tf.mul(tf.exp(l), tf.pow(tf.add(1, tf.reciprocal(bs)), tf.neg(a))), l);
  return tf.add(tf.add(t1, t2), t3);
}

/** `f` at α where α > `above`, +∞ elsewhere (α made safe where masked so no gradient is NaN). */
function finiteAbove(alpha: tf.Tensor, above: number, f: (a: tf.Tensor) => tf.Tensor): tf.Tensor {
  const ok = mask([alpha], (a) => tf.greater(a, above));
  const v = f(tf.where(ok, alpha, tf.fill(alpha.shape, above + 1)));
  return infiniteWhere(
    v,
    mask([alpha], (a) => tf.lessEqual(a, above)),
  );
}

/** KL(Pareto(xₘ, α) ‖ Exp(λ)), +∞ for α ≤ 1. */
export function klParetoExponential(p: Pareto, q: Exponential): tf.Tensor {
  return finiteAbove(p.alpha, 1, (a) => {
    const s = tf.mul(p.scale, q.rate);
    return tf.sub(tf.add(tf.sub(tf.log(tf.div(a, s)), tf.reciprocal(a)), tf.div(tf.mul(a, s), tf.sub(a, 1))), 1);
  });
}

/** KL(Pareto(xₘ, α) ‖ Gamma(k, β)), +∞ for α ≤ 1. */
export function klParetoGamma(p: Pareto, q: Gamma): tf.Tensor {
  return finiteAbove(p.alpha, 1, (a) => {
    const common = tf.add(tf.log(p.scale), tf.reciprocal(a));
    const t1 = tf.sub(tf.log(a), common);
    const t2 = tf.sub(lgamma(q.concentration), tf.mul(q.concentration, tf.log(q.rate)));
    const t3 = tf.mul(tf.sub(1, q.concentration), common);
    const t4 = tf.div(tf.mul(tf.mul(q.rate, a), p.scale), tf.sub(a, 1));
    return tf.sub(tf.add(tf.add(tf.add(t1, t2), t3), t4), 1);
  });
}

/** KL(Pareto(xₘ, α) ‖ N(μ, σ²)), +∞ for α ≤ 2. */
export function klParetoNormal(p: Pareto, q: Normal): tf.Tensor {
  return finiteAbove(p.alpha, 2, (a) => {
    const v2 = tf.mul(2, tf.square(q.scale));
    const common = tf.div(p.scale, tf.sub(a, 1));
    const t1 = tf.log(tf.div(tf.mul(Math.sqrt(2 * Math.PI), tf.mul(q.scale, a)), p.scale));
    const t3 = tf.div(tf.mul(a, tf.square(common)), tf.sub(a, 2));
    const t4 = tf.square(tf.sub(tf.mul(a, common), q.loc));
    return tf.sub(tf.add(tf.sub(t1, tf.reciprocal(a)), tf.div(tf.add(t3, t4), v2)), 1);
  });
}

/** −log q(0) for a continuous Bernoulli q: log C(λ) + log(1 − λ) at x = 0 (so E_p[log q(X)] = E_p[X]ℓ + log q(0)). */
function cbLogAtZero(q: ContinuousBernoulli): tf.Tensor {
  return q.logProb(0);
}

/** KL(Beta ‖ CB(λ)) = −H − E[X]ℓ − log q(0). */
export function klBetaContinuousBernoulli(p: Beta, q: ContinuousBernoulli): tf.Tensor {
  return tf.sub(tf.sub(tf.neg(p.entropy()), tf.mul(p.mean(), q.logits)), cbLogAtZero(q));
}

/** KL(U(a, b) ‖ CB(λ)) = −H − E[X]ℓ − log q(0), +∞ unless [a, b] ⊆ [0, 1] (torch also sends [0, 1] itself to +∞; the integral is finite). */
export function klUniformContinuousBernoulli(p: Uniform, q: ContinuousBernoulli): tf.Tensor {
  const kl = tf.sub(tf.sub(tf.neg(p.entropy()), tf.mul(p.mean(), q.logits)), cbLogAtZero(q));
  return infiniteWhere(
    kl,
    mask([p.low, p.high], (l, h) => tf.logicalOr(tf.less(l, 0), tf.greater(h!, 1))),
  );
}

/** KL(CB ‖ Exp(λ)) = −H − log λ + λE[X]. */
export function klContinuousBernoulliExponential(p: ContinuousBernoulli, q: Exponential): tf.Tensor {
  return tf.add(tf.sub(tf.neg(p.entropy()), tf.log(q.rate)), tf.mul(q.rate, p.mean()));
}

/** KL(CB ‖ N(μ, σ²)) with E[X²] = Var + E[X]². */
export function klContinuousBernoulliNormal(p: ContinuousBernoulli, q: Normal): tf.Tensor {
  const m = p.mean();
  return klToNormal(tf.neg(p.entropy()), m, tf.add(p.variance(), tf.square(m)), q);
}

/** KL(CB ‖ U(a, b)) = −H + log(b − a), +∞ unless [0, 1] ⊆ [a, b]. */
export function klContinuousBernoulliUniform(p: ContinuousBernoulli, q: Uniform): tf.Tensor {
  const kl = tf.add(tf.neg(p.entropy()), tf.log(tf.sub(q.high, q.low)));
  return infiniteWhere(
    kl,
    mask([q.low, q.high], (l, h) => tf.logicalOr(tf.greater(l, 0), tf.less(h!, 1))),
  );
}

/** Cross-family analytic pairs (torch 1.13's registry) and the +∞ pairs whose supports do not nest. */
export function crossKLPairs(): [DistributionClass, DistributionClass, KLFunction][] {
  const pairs: [DistributionClass, DistributionClass, KLFunction<never, never>][] = [
    [Normal, Laplace, klNormalLaplace],
    [Laplace, Normal, klLaplaceNormal],
    [Normal, Gumbel, klNormalGumbel],
    [Gumbel, Normal, klGumbelNormal],
    [Gamma, Normal, klGammaNormal],
    [Gamma, Exponential, klGammaExponential],
    [Gamma, Gumbel, klGammaGumbel],
    [Beta, Normal, klBetaNormal],
    [Beta, Gamma, klBetaGamma],
    [Beta, Exponential, klBetaExponential],
    [Beta, Uniform, klBetaUniform],
    [Beta, ContinuousBernoulli, klBetaContinuousBernoulli],
    [Bernoulli, Poisson, klBernoulliPoisson],
    [Uniform, Normal, klUniformNormal],
    [Uniform, Gumbel, klUniformGumbel],
    [Uniform, Exponential, klUniformExponential],
    [Uniform, Gamma, klUniformGamma],
    [Uniform, Beta, klUniformBeta],
    [Uniform, Pareto, klUniformPareto],
    [Uniform, ContinuousBernoulli, klUniformContinuousBernoulli],
    [Exponential, Gamma, klExponentialGamma],
    [Exponential, Gumbel, klExponentialGumbel],
    [Exponential, Normal, klExponentialNormal],
    [Pareto, Exponential, klParetoExponential],
    [Pareto, Gamma, klParetoGamma],
    [Pareto, Normal, klParetoNormal],
    [ContinuousBernoulli, Exponential, klContinuousBernoulliExponential],
    [ContinuousBernoulli, Normal, klContinuousBernoulliNormal],
    [ContinuousBernoulli, Uniform, klContinuousBernoulliUniform],
  ];
  const infinite: [DistributionClass, DistributionClass[]][] = [
    [Normal, [Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform]],
    [Laplace, [Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform]],
    [Gumbel, [Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform]],
    [Exponential, [Beta, ContinuousBernoulli, Pareto, Uniform]],
    [Gamma, [Beta, ContinuousBernoulli, Pareto, Uniform]],
    [Pareto, [Beta, ContinuousBernoulli, Uniform]],
    [Beta, [Pareto]],
    [ContinuousBernoulli, [Pareto]],
    [Poisson, [Bernoulli, Binomial]],
  ];
  for (const [P, Qs] of infinite) for (const Q of Qs) pairs.push([P, Q, klInfinite]);
  return pairs as unknown as [DistributionClass, DistributionClass, KLFunction][];
}
