import * as tf from '@tensorflow/tfjs-core';
import { expm1, gradFreeMask } from './special.js';

/**
 * The functions of the continuous Bernoulli distribution in its logits ℓ, each accurate in value and gradient for
 * every ℓ, including 0 (where the closed forms are 0/0) and |ℓ| ≫ 1 (where e^{|ℓ|} overflows). Rule: near 0 a
 * truncated series, elsewhere the closed form evaluated on sanitized inputs (safe where), so the branch not taken
 * never produces a NaN gradient.
 */

/** Below this |ℓ| the cdf and the inverse cdf use their series in ℓ (closed forms lose ~ε/|ℓ| relative in the gradient). */
export const CB_SERIES_BELOW = 0.05;
/** Below this |ℓ| the log-normalizer uses its series (the closed form's gradient cancels like ε/ℓ²). */
const LOG_NORM_SERIES_BELOW = 0.5;
/** log(u/tanh u) = Σ c_k u^{2k}, k = 1…5 (u = ℓ/2). */
const LOG_NORM_COEFFS = [1 / 3, -7 / 90, 62 / 2835, -127 / 18900, 0.00218481107369996];

/** e^x − 1 with the exact gradient e^x (autodiff through `expm1`'s Kahan quotient loses ~ε/|x| relative). */
const expm1Exact = tf.customGrad((x: unknown, save: unknown) => {
  const t = x as tf.Tensor;
  (save as tf.GradSaveFunc)([t]);
  return { value: expm1(t), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.exp(saved[0]!)) };
}) as unknown as (x: tf.Tensor) => tf.Tensor;

/** Σ coeffs[i]·t^i by Horner. */
export function horner(t: tf.Tensor, coeffs: readonly number[]): tf.Tensor {
  let acc: tf.Tensor = tf.scalar(coeffs[coeffs.length - 1]!);
  for (let i = coeffs.length - 2; i >= 0; i--) acc = tf.add(tf.mul(acc, t), coeffs[i]!);
  return acc;
}

/** `values` where `mask`, else `fill`: the safe-where input sanitizer. */
function sanitize(mask: tf.Tensor, values: tf.Tensor, fill: number): tf.Tensor {
  return tf.where(mask, values, tf.fill(values.shape, fill));
}

/** 1/(k + 1)!, k = 0…6. */
const INV_FACT = [1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040];

/** expm1(z)/z = Σ_{k=0}^{6} z^k/(k + 1)! (relative error below 2e-11 for |z| < 0.05). */
function expm1OverZ(z: tf.Tensor): tf.Tensor {
  return horner(z, INV_FACT);
}

/** log C(ℓ) = log|ℓ| − log|tanh(ℓ/2)|; series log 2 + Σ c_k (ℓ/2)^{2k} for |ℓ| < ½. */
export function cbLogNormalizer(l: tf.Tensor): tf.Tensor {
  const near = gradFreeMask([l], (v) => tf.less(tf.abs(v), LOG_NORM_SERIES_BELOW));
  const far = sanitize(
    gradFreeMask([l], (v) => tf.greaterEqual(tf.abs(v), LOG_NORM_SERIES_BELOW)),
    l,
    1,
  );
  const exact = tf.sub(tf.log(tf.abs(far)), tf.log(tf.abs(tf.tanh(tf.mul(0.5, far)))));
  const u2 = tf.square(tf.mul(0.5, sanitize(near, l, 0)));
  const series = tf.add(Math.LN2, tf.mul(u2, horner(u2, LOG_NORM_COEFFS)));
  return tf.where(near, series, exact);
}

/**
 * F(x) = expm1(ℓx)/expm1(ℓ) for x ∈ [0, 1] (the caller clips): for ℓ > 0 as e^{ℓ(x−1)}·expm1(−ℓx)/expm1(−ℓ) so nothing
 * overflows; for |ℓ| < {@link CB_SERIES_BELOW} the ratio of the two series, exact to O(ℓ⁷) in value and gradient
 * (∂F/∂ℓ = x(x − 1)/2 at ℓ = 0).
 */
export function cbCdf(l: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const near = gradFreeMask([l], (v) => tf.less(tf.abs(v), CB_SERIES_BELOW));
  const pos = gradFreeMask([l], (v) => tf.greater(v, 0));
  const ln = sanitize(near, l, 0);
  // expm1(ℓx)/expm1(ℓ) = x·E(ℓx)/E(ℓ) with E(z) = expm1(z)/z
  const series = tf.div(tf.mul(x, expm1OverZ(tf.mul(ln, x))), expm1OverZ(ln));
  const lNeg = sanitize(
    gradFreeMask([l], (v) => tf.lessEqual(v, -CB_SERIES_BELOW)),
    l,
    -1,
  );
  const lPos = sanitize(
    gradFreeMask([l], (v) => tf.greaterEqual(v, CB_SERIES_BELOW)),
    l,
    1,
  );
  const negF = tf.div(expm1Exact(tf.mul(lNeg, x)), expm1Exact(lNeg));
  const posF = tf.mul(
    tf.exp(tf.mul(lPos, tf.sub(x, 1))),
    tf.div(expm1Exact(tf.neg(tf.mul(lPos, x))), expm1Exact(tf.neg(lPos))),
  );
  return tf.where(near, series, tf.where(pos, posF, negF));
}

/**
 * F⁻¹(u) = log1p(u·expm1(ℓ))/ℓ; for ℓ ≥ 1 as 1 + log(u + (1 − u)e^{−ℓ})/ℓ (no overflow); for |ℓ| < {@link CB_SERIES_BELOW}
 * as u·B·Σ_{k<6} (−y)^k/(k + 1) with B = expm1(ℓ)/ℓ and y = uℓB (the series of log1p(y)/y; |y| < 0.06).
 */
export function cbIcdf(l: tf.Tensor, u: tf.Tensor): tf.Tensor {
  const near = gradFreeMask([l], (v) => tf.less(tf.abs(v), CB_SERIES_BELOW));
  const upper = gradFreeMask([l], (v) => tf.greaterEqual(v, 1));
  const ln = sanitize(near, l, 0);
  const b = expm1OverZ(ln);
  const y = tf.mul(tf.mul(u, ln), b);
  const series = tf.mul(tf.mul(u, b), horner(tf.neg(y), [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6]));
  const midMask = gradFreeMask([l], (v) => tf.logicalAnd(tf.greaterEqual(tf.abs(v), CB_SERIES_BELOW), tf.less(v, 1)));
  const lMid = sanitize(midMask, l, -1);
  const mid = tf.div(tf.log1p(tf.mul(u, expm1Exact(lMid))), lMid);
  const lHigh = sanitize(upper, l, 1);
  const high = tf.add(1, tf.div(tf.log(tf.add(u, tf.mul(tf.sub(1, u), tf.exp(tf.neg(lHigh))))), lHigh));
  return tf.where(near, series, tf.where(upper, high, mid));
}

/**
 * E[X] = 1/(1 − e^{−ℓ}) − 1/ℓ, written with e = e^{−|ℓ|} ≤ 1 (1/(1 − e) for ℓ > 0, −e/(1 − e) for ℓ < 0) so neither
 * value nor gradient overflows at |ℓ| ≫ 1; `series(ℓ)` (the caller's) below |ℓ| = `seriesBelow`.
 */
export function cbMean(l: tf.Tensor, seriesBelow: number, series: (l: tf.Tensor) => tf.Tensor): tf.Tensor {
  const near = gradFreeMask([l], (v) => tf.less(tf.abs(v), seriesBelow));
  const pos = gradFreeMask([l], (v) => tf.greater(v, 0));
  const far = sanitize(
    gradFreeMask([l], (v) => tf.greaterEqual(tf.abs(v), seriesBelow)),
    l,
    1,
  );
  const e = tf.exp(tf.neg(tf.abs(far)));
  const first = tf.div(tf.where(pos, tf.onesLike(e), tf.neg(e)), tf.sub(1, e));
  const exact = tf.sub(first, tf.reciprocal(far));
  return tf.where(near, series(sanitize(near, l, 0)), exact);
}
