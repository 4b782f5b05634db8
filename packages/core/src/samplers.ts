import { ArgumentError } from './errors.js';
import { type Rng, standardNormal } from './random.js';

/**
 * Natural logarithm of the gamma function, log Γ(x), for x > 0.
 *
 * Stirling's series with ten Bernoulli terms, evaluated at x + n ≥ 7 and shifted back with
 * log Γ(x) = log Γ(x + n) − Σ log(x + k) (the method of NumPy's `loggam`); absolute error below 1e-14 for x ≥ 1.
 * Used by the Poisson sampler's acceptance test, log P(k) = k·log λ − λ − log Γ(k + 1).
 *
 * @param x - a positive real number.
 * @returns log Γ(x).
 */
export function logGamma(x: number): number {
  if (x === 1 || x === 2) return 0;
  // x ≤ 0 gave NaN (+∞ at 0) anyway, after a shift loop of ~|x| steps: endless at −∞ and for x ≤ −2⁵³ (a hang)
  if (!(x > 0)) return x === 0 ? Infinity : NaN;
  const n = x < 7 ? Math.floor(7 - x) : 0;
  let x0 = x + n;
  const x2 = 1 / (x0 * x0);
  let series = STIRLING[9]!;
  for (let k = 8; k >= 0; k--) series = series * x2 + STIRLING[k]!;
  let result = series / x0 + 0.5 * LOG_2PI + (x0 - 0.5) * Math.log(x0) - x0;
  for (let k = 1; k <= n; k++) {
    x0 -= 1;
    result -= Math.log(x0);
  }
  return result;
}

const LOG_2PI = 1.8378770664093453;
const STIRLING = [
  8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4, 8.417508417508418e-4,
  -1.917526917526918e-3, 6.41025641025641e-3, -2.955065359477124e-2, 1.796443723688307e-1, -1.3924322169059,
];

/** Below this rate the Poisson sampler multiplies uniforms (Knuth); from it on it uses PTRS. */
const PTRS_THRESHOLD = 10;

/**
 * Draws one sample from Poisson(rate): P(k) = λᵏ e^{−λ} / k!, mean λ, variance λ.
 *
 * - λ = 0 returns 0.
 * - λ < 10: Knuth's multiplication method (count uniforms until their product falls below e^{−λ}); it costs λ + 1
 *   uniforms on average and is exact, so tiny rates such as 1e−3 are handled correctly.
 * - λ ≥ 10: PTRS, the transformed rejection method with squeeze of W. Hörmann, "The transformed rejection method
 *   for generating Poisson random variables", Insurance: Mathematics and Economics 12 (1993); exact (no normal
 *   approximation), about 1.1 pairs of uniforms per sample for any λ.
 *
 * @param rng - source of uniforms in [0, 1), e.g. `mulberry32(seed)`.
 * @param rate - λ ≥ 0, finite.
 * @returns a non-negative integer.
 * @throws ArgumentError when `rate` is negative, NaN or infinite.
 */
export function samplePoisson(rng: Rng, rate: number): number {
  if (!(rate >= 0) || rate === Infinity) {
    throw new ArgumentError('rate', `samplePoisson: "rate" must be a finite number ≥ 0, got ${rate}`);
  }
  if (rate === 0) return 0;
  if (rate < PTRS_THRESHOLD) {
    const limit = Math.exp(-rate);
    let k = 0;
    let product = rng();
    while (product > limit) {
      k++;
      product *= rng();
    }
    return k;
  }
  const sqrtRate = Math.sqrt(rate);
  const logRate = Math.log(rate);
  const b = 0.931 + 2.53 * sqrtRate;
  const a = -0.059 + 0.02483 * b;
  const logInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng() - 0.5;
    const v = rng();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + rate + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (v > 0 && Math.log(v) + logInvAlpha - Math.log(a / (us * us) + b) <= -rate + k * logRate - logGamma(k + 1)) {
      return k;
    }
  }
}

/**
 * Draws one sample from Gamma(concentration α, rate β): density β^α x^{α−1} e^{−βx} / Γ(α), mean α/β,
 * variance α/β².
 *
 * Marsaglia & Tsang, "A simple method for generating gamma variables", ACM TOMS 26 (2000): for α ≥ 1, with
 * d = α − 1/3, c = 1/√(9d), draw x ~ N(0, 1), v = (1 + c·x)³ and accept d·v when log u < x²/2 + d − d·v + d·log v.
 * For α < 1 it uses Gamma(α) = Gamma(α + 1) · U^{1/α} (which may underflow to 0 for very small α).
 *
 * @param rng - source of uniforms in [0, 1).
 * @param concentration - α > 0 (shape).
 * @param rate - β > 0 (inverse scale); default 1.
 * @returns a non-negative real number.
 * @throws ArgumentError when `concentration` or `rate` is not a finite positive number.
 */
export function sampleGamma(rng: Rng, concentration: number, rate = 1): number {
  if (!(concentration > 0) || concentration === Infinity) {
    throw new ArgumentError(
      'concentration',
      `sampleGamma: "concentration" must be a finite number > 0, got ${concentration}`,
    );
  }
  if (!(rate > 0) || rate === Infinity) {
    throw new ArgumentError('rate', `sampleGamma: "rate" must be a finite number > 0, got ${rate}`);
  }
  if (concentration < 1) {
    let u = rng();
    while (u <= 0) u = rng();
    return (sampleGamma(rng, concentration + 1, 1) * u ** (1 / concentration)) / rate;
  }
  const d = concentration - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return (d * v) / rate;
    if (u > 0 && Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return (d * v) / rate;
  }
}

/**
 * Draws one sample from the negative binomial with mean μ and inverse dispersion θ, as the gamma–Poisson mixture
 * λ ~ Gamma(θ, rate θ/μ), k ~ Poisson(λ). Mean μ, variance μ + μ²/θ; θ → ∞ approaches Poisson(μ).
 * (In torch / TFP terms: `totalCount` = θ, success probability μ/(μ + θ).)
 *
 * @param rng - source of uniforms in [0, 1).
 * @param mean - μ ≥ 0, finite.
 * @param dispersion - θ > 0, the inverse dispersion.
 * @returns a non-negative integer.
 * @throws ArgumentError when `mean` or `dispersion` is out of range.
 */
export function sampleNegativeBinomial(rng: Rng, mean: number, dispersion: number): number {
  if (!(mean >= 0) || mean === Infinity) {
    throw new ArgumentError('mean', `sampleNegativeBinomial: "mean" must be a finite number ≥ 0, got ${mean}`);
  }
  if (!(dispersion > 0) || dispersion === Infinity) {
    throw new ArgumentError(
      'dispersion',
      `sampleNegativeBinomial: "dispersion" must be a finite number > 0, got ${dispersion}`,
    );
  }
  if (mean === 0) return 0;
  return samplePoisson(rng, sampleGamma(rng, dispersion, dispersion / mean));
}

/**
 * Draws one sample from Bernoulli(probs): 1 with probability p, else 0 (1 exactly when u < p).
 *
 * @param rng - source of uniforms in [0, 1).
 * @param probs - p in [0, 1].
 * @returns 0 or 1.
 * @throws ArgumentError when `probs` is outside [0, 1].
 */
export function sampleBernoulli(rng: Rng, probs: number): 0 | 1 {
  if (!(probs >= 0 && probs <= 1)) {
    throw new ArgumentError('probs', `sampleBernoulli: "probs" must be in [0, 1], got ${probs}`);
  }
  return rng() < probs ? 1 : 0;
}
