import type * as tf from '@tensorflow/tfjs-core';
import { erfc } from './float64.js';
import { hostOp } from './host-op.js';

const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Φ(x) − p on the side of x where it keeps its relative precision. */
function residual(x: number, p: number): number {
  return x < 0 ? 0.5 * erfc(-x / Math.SQRT2) - p : 1 - p - 0.5 * erfc(x / Math.SQRT2);
}

/**
 * Φ⁻¹(p), the standard normal quantile, in double precision: Acklam's rational approximation (relative error 1e-9)
 * refined by two Halley steps on Φ(x) − p with {@link erfc} (to ~1e-15). −∞ at 0, +∞ at 1, NaN outside [0, 1].
 */
export function ndtri64(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  let x: number;
  if (p < P_LOW || p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p < P_LOW ? p : 1 - p));
    const v =
      (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
      ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
    x = p < P_LOW ? v : -v;
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
      (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
  }
  for (let i = 0; i < 2; i++) {
    // for x > 0 the residual is of the upper tail, 1 − p − Q(x): its sign is that of Φ(x) − p as well
    const e = residual(x, p);
    const u = e * SQRT_2PI * Math.exp((x * x) / 2);
    x -= u / (1 + (x * u) / 2);
  }
  return x;
}

const ndtriOp = hostOp({
  value: ndtri64,
  partials: [
    (p) => {
      const x = ndtri64(p);
      return Number.isFinite(x) ? SQRT_2PI * Math.exp((x * x) / 2) : 0;
    },
  ],
});

/**
 * The standard normal quantile Φ⁻¹(p) element-wise (SciPy's `ndtri`), evaluated on the host in double precision, so
 * the float32 result is accurate in the far tails (p = 1e-30 gives −11.46, where √2·erf⁻¹(2p − 1) has lost p
 * entirely). Gradient dΦ⁻¹/dp = √(2π)·e^{x²/2}.
 */
export function ndtri(p: tf.Tensor): tf.Tensor {
  return ndtriOp(p);
}
