import * as tf from '@tensorflow/tfjs-core';
import { gradFreeMask, lgamma } from './special.js';

/*
 * Loader's saddle-point expansion of count log-masses ("Fast and accurate computation of binomial probabilities",
 * C. Loader 2000; R's dpois_raw / dbinom_raw). The naive x·log λ − λ − log Γ(x+1) subtracts numbers of size x·log x to
 * get an answer of size log x; in float32 that loses ~1e-2 at x ≈ 1e4. The saddle-point form keeps every term small.
 */

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Above this the asymptotic series for stirlerr is used (its truncation error there is below 1e-12). */
const STIRLERR_SERIES_FROM = 10;
/** |d| below this uses the power series of φ(d); above, the closed form. */
const BD0_SERIES_BELOW = 0.25;
/** d above this (x/m > 1e6, or m underflowed to 0) uses logarithms of x and m directly. */
const BD0_LOG_FROM = 1e6;
/** d below this (x < m/100, where 1 + d loses digits) uses logarithms of x and m directly. */
const BD0_LOG_BELOW = -0.99;
/** φ(d)/d² = Σ_{j≥0} (−1)^j d^j / ((j+2)(j+1)), truncated after 10 terms (relative error < 1e-8 for |d| < 0.25). */
const PHI_COEFFS = Array.from({ length: 10 }, (_, j) => (j % 2 === 0 ? 1 : -1) / ((j + 2) * (j + 1)));

/**
 * The error of Stirling's approximation, stirlerr(x) = log Γ(x+1) − ((x + ½) log x − x + ½ log 2π), for x > 0.
 * For x ≥ 10 the series 1/(12x) − 1/(360x³) + 1/(1260x⁵) − 1/(1680x⁷) is used (no cancellation); below, the
 * definition with {@link lgamma}. Differentiable in x.
 */
export function stirlerr(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const large = gradFreeMask([x], (v) => tf.greaterEqual(v, STIRLERR_SERIES_FROM));
    const xl = tf.maximum(x, STIRLERR_SERIES_FROM);
    const inv = tf.reciprocal(xl);
    const inv2 = tf.square(inv);
    const series = tf.mul(
      inv,
      tf.add(1 / 12, tf.mul(inv2, tf.add(-1 / 360, tf.mul(inv2, tf.add(1 / 1260, tf.mul(inv2, -1 / 1680)))))),
    );
    const xs = tf.minimum(x, STIRLERR_SERIES_FROM);
    const direct = tf.sub(tf.add(lgamma(tf.add(xs, 1)), xs), tf.add(tf.mul(tf.add(xs, 0.5), tf.log(xs)), HALF_LOG_2PI));
    return tf.where(large, series, direct);
  });
}

/** ln of the largest float32 (3.4028235e38): a mean μ with log μ above it is +∞ in float32. */
const LOG_FLOAT32_MAX = 88.72283905206835;
/** The largest exponent used as such (e^88.7 ≈ 3.3e38; 88.7228… itself rounds up to an overflowing float32). */
const EXP_ARG_MAX = 88.7;

/** |ℓ| above which σ(−|ℓ|) is subnormal in float32 (e^-69 ≈ 1e-30, just above the smallest normal 1.2e-38 … kept safe). */
const SUBNORMAL_SIGMOID_FROM = 69;

/** Below this m, (x − m)/m is formed from logarithms (see {@link bd0}). */
const TINY_M = 1e-15;

/** d = (x − m)/m with a finite gradient for every m ≥ 0 (see {@link bd0}). */
function safeRelativeDeviation(x: tf.Tensor, m: tf.Tensor, logM: tf.Tensor): tf.Tensor {
  const ok = gradFreeMask([m], (v) => tf.greater(v, TINY_M));
  const mSafe = tf.where(ok, m, tf.onesLike(m));
  const direct = tf.div(tf.sub(x, m), mSafe);
  const viaLogs = tf.sub(tf.exp(tf.minimum(tf.sub(tf.log(tf.maximum(x, 1e-30)), logM), 30)), 1);
  return tf.where(ok, direct, viaLogs);
}

/** Optional, more accurate inputs of {@link bd0}. */
export interface Bd0Extras {
  /** d = (x − m)/m, when the caller can compute it without cancellation. Default: computed from x and m. */
  d?: tf.Tensor;
  /** log m, when m may underflow (e.g. a rate stored as its log). Default: log m. */
  logM?: tf.Tensor;
}

/**
 * The deviance term bd0(x, m) = x·log(x/m) − x + m = m·φ(x/m − 1) with φ(d) = (1 + d)·log1p(d) − d ≥ 0, for x ≥ 0,
 * m > 0 (Loader 2000). For |d| < 0.25 it sums the series φ(d) = Σ_{k≥2} (−1)^k d^k / (k(k−1)); otherwise
 * x·log1p(d) − m·d; for d > 1e6 or d < −0.99, x·(log x − log m) − x + m. bd0(0, m) = m. Differentiable in x and m (the branches
 * are selected with safe inputs so unused ones give no NaN gradients).
 */
export function bd0(x: tf.Tensor, m: tf.Tensor, extras: Bd0Extras = {}): tf.Tensor {
  return tf.tidy(() => {
    const logM = extras.logM ?? tf.log(m);
    // d = (x − m)/m, exact where m is not tiny. For tiny m its gradient −x/m² overflows (m < 1e-19) and turns the zero
    // upstream gradient of an unused branch into NaN, so there d = x/m − 1 is formed from logarithms with the
    // exponent capped (those d are huge and take the logarithmic branch anyway).
    const d = extras.d ?? safeRelativeDeviation(x, m, logM);
    const small = gradFreeMask([d], (v) => tf.less(tf.abs(v), BD0_SERIES_BELOW));
    // x ≫ m (or m underflowed) and x ≪ m (d rounds towards −1): logarithms directly, no cancellation there.
    const huge = gradFreeMask([d], (v) =>
      tf.logicalNot(tf.logicalAnd(tf.less(v, BD0_LOG_FROM), tf.greaterEqual(v, BD0_LOG_BELOW))),
    );
    const zero = gradFreeMask([x], (v) => tf.lessEqual(v, 0));
    // series: m·d²·Σ c_j d^j (Horner)
    const ds = tf.where(small, d, tf.zerosLike(d));
    let poly: tf.Tensor = tf.scalar(PHI_COEFFS[PHI_COEFFS.length - 1]!);
    for (let j = PHI_COEFFS.length - 2; j >= 0; j--) poly = tf.add(tf.mul(poly, ds), PHI_COEFFS[j]!);
    const series = tf.mul(tf.mul(m, tf.square(ds)), poly);
    // moderate |d|: x·log1p(d) − m·d
    const one = tf.onesLike(d);
    const dm = tf.where(small, one, tf.where(huge, one, tf.where(zero, one, d)));
    const moderate = tf.sub(tf.mul(x, tf.log1p(dm)), tf.mul(m, dm));
    // huge d: logs directly
    const xs = tf.maximum(x, 1e-30);
    const logs = tf.add(tf.sub(tf.mul(x, tf.sub(tf.log(xs), logM)), x), m);
    return tf.where(zero, m, tf.where(small, series, tf.where(huge, logs, moderate)));
  });
}

/**
 * Poisson log-mass by Loader's saddle-point form: log p(0) = −λ and, for x ≥ 1,
 * log p(x) = −stirlerr(x) − ½ log(2πx) − bd0(x, λ). `rate` and `logRate` are both given so neither is recomputed
 * (log λ keeps tiny rates exact). Values are assumed to be non-negative integers.
 */
export function poissonLogPmf(x: tf.Tensor, rate: tf.Tensor, logRate: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const xs = tf.maximum(x, 1);
    const positive = tf.neg(
      tf.add(tf.add(stirlerr(xs), tf.mul(0.5, tf.log(tf.mul(xs, 2 * Math.PI)))), bd0(x, rate, { logM: logRate })),
    );
    return tf.where(
      gradFreeMask([x], (v) => tf.lessEqual(v, 0)),
      tf.neg(tf.broadcastTo(rate, positive.shape)),
      positive,
    );
  });
}

/**
 * Negative-binomial log-mass (torch's convention: x successes before r failures, success log-odds ℓ, mean
 * μ = r·e^ℓ) by Loader's saddle-point form of R's dnbinom: with n = r + x,
 *
 * log p(x) = log(r/n) + stirlerr(n) − stirlerr(r) − stirlerr(x) − bd0(r, n·σ(−ℓ)) − bd0(x, n·σ(ℓ))
 *            + ½ log(n / (2π r x))   for x ≥ 1,   and log p(0) = −r·softplus(ℓ).
 *
 * The relative deviations d₁ = (μ − x)/n and d₂ = r(x/μ − 1)/n are formed without cancellation. `mean`, when the
 * caller has μ exactly (scVI's mean/dispersion form), avoids recomputing it from log r + ℓ.
 */
export function negativeBinomialLogPmf(
  x: tf.Tensor,
  totalCount: tf.Tensor,
  logits: tf.Tensor,
  mean?: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const r = totalCount;
    const logR = tf.log(r);
    const logMu = tf.add(logR, logits);
    const mu = mean ?? tf.exp(tf.minimum(logMu, EXP_ARG_MAX));
    const invMu = tf.exp(tf.neg(tf.maximum(logMu, -80)));
    const xs = tf.maximum(x, 1);
    const n = tf.add(r, xs);
    const logN = tf.log(n);
    // m₁ = n·σ(−ℓ) and m₂ = n·σ(ℓ); from their logarithms where σ(∓ℓ) is below the normal float32 range (|ℓ| > 69):
    // a subnormal σ(−100) ≈ 3.7e-44 has about 5 significant bits
    const tiny = (v: tf.Tensor) => tf.greater(v, SUBNORMAL_SIGMOID_FROM);
    const logM1 = tf.sub(logN, tf.softplus(logits));
    const m1 = tf.where(gradFreeMask([logits], tiny), tf.exp(logM1), tf.mul(n, tf.sigmoid(tf.neg(logits))));
    // A mean beyond float32 (log r + ℓ > 88.72, e.g. logits 100) is +∞: d₁ = μ/n − x/n from log μ − log n there (it
    // only selects bd0's branch then: d₁ ≫ 1 unless x is within a factor ~1e6 of μ), directly elsewhere.
    const finiteMu = gradFreeMask([logMu], (v) => tf.lessEqual(v, LOG_FLOAT32_MAX));
    const d1Direct = tf.div(tf.sub(tf.where(finiteMu, mu, tf.zerosLike(mu)), xs), n);
    const d1Logs = tf.sub(tf.exp(tf.minimum(tf.sub(logMu, logN), 80)), tf.div(xs, n));
    const d1 = tf.where(finiteMu, d1Direct, d1Logs);
    const logM2 = tf.sub(logN, tf.softplus(tf.neg(logits)));
    const m2 = tf.where(
      gradFreeMask([logits], (v) => tiny(tf.neg(v))),
      tf.exp(logM2),
      tf.mul(n, tf.sigmoid(logits)),
    );
    // d₂ = r(x/μ − 1)/n: with 1/μ where log μ ≥ −80, else from logarithms, xe^{−ℓ}/n − r/n (r/μ = e^{−ℓ}): a 1/μ
    // capped at e⁸⁰ once made d₂ moderate for r = 1e-30, ℓ = −30 (log μ = −99), and bd0 took the wrong branch
    // (log p(1) −81.0 against −99.08)
    const muAbove = gradFreeMask([logMu], (v) => tf.greaterEqual(v, -80));
    const d2Direct = tf.div(tf.mul(r, tf.sub(tf.mul(xs, invMu), 1)), n);
    const d2Logs = tf.sub(tf.exp(tf.minimum(tf.sub(tf.sub(tf.log(xs), logits), logN), 80)), tf.div(r, n));
    const d2 = tf.where(muAbove, d2Direct, d2Logs);
    const stirling = tf.sub(tf.sub(stirlerr(n), stirlerr(r)), stirlerr(xs));
    const deviance = tf.add(bd0(r, m1, { d: d1, logM: logM1 }), bd0(xs, m2, { d: d2, logM: logM2 }));
    const norm = tf.mul(0.5, tf.sub(tf.sub(logN, tf.add(logR, tf.log(xs))), 2 * HALF_LOG_2PI));
    const positive = tf.add(tf.sub(tf.add(tf.sub(logR, logN), stirling), deviance), norm);
    const zero = tf.neg(tf.mul(r, tf.softplus(logits)));
    return tf.where(
      gradFreeMask([x], (v) => tf.lessEqual(v, 0)),
      tf.broadcastTo(zero, positive.shape),
      positive,
    );
  });
}
