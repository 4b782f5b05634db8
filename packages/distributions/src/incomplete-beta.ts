import type * as tf from '@tensorflow/tfjs-core';
import { richardsonDerivative } from './float64.js';
import { hostOp } from './host-op.js';
import {
  betaIncDerivShape,
  betaIncInv,
  logBeta64,
  logBetaDensity,
  logIncompleteBeta,
} from './incomplete-beta-float64.js';

function value(a: number, b: number, x: number): number {
  return x <= 0 ? (x === 0 ? 0 : NaN) : x >= 1 ? (x === 1 ? 1 : NaN) : Math.exp(logIncompleteBeta(a, b, x).logI);
}
function density(a: number, b: number, x: number): number {
  return x > 0 && x < 1 ? Math.exp(logBetaDensity(a, b, x)) : 0;
}
function derivShape(wrt: 0 | 1): (a: number, b: number, x: number) => number {
  return (a, b, x) => (x > 0 && x < 1 ? betaIncDerivShape(a, b, x, wrt) : 0);
}
function inverseDeriv(wrt: 0 | 1): (a: number, b: number, p: number) => number {
  return (a, b, p) => {
    const x = betaIncInv(a, b, p);
    return x > 0 && x < 1 ? -betaIncDerivShape(a, b, x, wrt) / density(a, b, x) : 0;
  };
}

const betaincOp = hostOp({ value, partials: [derivShape(0), derivShape(1), density] });
const betaincInvOp = hostOp({
  value: betaIncInv,
  partials: [
    inverseDeriv(0),
    inverseDeriv(1),
    (a, b, p) => {
      const x = betaIncInv(a, b, p);
      return x > 0 && x < 1 ? 1 / density(a, b, x) : 0;
    },
  ],
});

/**
 * The regularized incomplete beta function, element-wise over broadcast `a`, `b`, `x`:
 *
 * I_x(a, b) = (1/B(a, b)) ∫₀ˣ t^{a−1}(1 − t)^{b−1} dt  (the Beta(a, b) cdf; SciPy's `betainc`),
 *
 * for a, b > 0 and x ∈ [0, 1] (NaN outside). Evaluated on the host in double precision by the continued fraction
 * (Numerical Recipes' betacf) on the fast side of the mean and I_x(a, b) = 1 − I_{1−x}(b, a) on the other; reads its
 * inputs synchronously. Gradients: ∂I/∂x = x^{a−1}(1 − x)^{b−1}/B(a, b), and ∂I/∂a, ∂I/∂b by Richardson differences of
 * log I or log(1 − I) in double precision.
 */
export function betainc(a: tf.Tensor, b: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return betaincOp(a, b, x);
}

/**
 * The inverse of I_·(a, b): x with I_x(a, b) = p, p ∈ [0, 1] (Halley steps in double precision). Gradients:
 * ∂x/∂p = 1/f(x), ∂x/∂a = −(∂I/∂a)/f(x), ∂x/∂b = −(∂I/∂b)/f(x), f the Beta(a, b) density.
 */
export function betaincInv(a: tf.Tensor, b: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return betaincInvOp(a, b, p);
}

/** log of the standard Student t density: −log B(ν/2, ½) − ½ log ν − (ν + 1)/2 · log(1 + t²/ν). */
function studentTLogDensity(df: number, t: number): number {
  return -logBeta64(df / 2, 0.5) - 0.5 * Math.log(df) - ((df + 1) / 2) * Math.log1p((t * t) / df);
}
/** log of the tail P(T > |t|) = ½ I_{ν/(ν+t²)}(ν/2, ½), with 1 − x = t²/(ν + t²) passed exactly. */
function studentTLogTail(df: number, t: number): number {
  const denom = df + t * t;
  return Math.log(0.5) + logIncompleteBeta(df / 2, 0.5, df / denom, (t * t) / denom).logI;
}
function studentTCdf(df: number, t: number): number {
  if (Number.isNaN(df) || Number.isNaN(t) || !(df > 0)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = Math.exp(studentTLogTail(df, t));
  return t > 0 ? 1 - tail : tail;
}
function studentTCdfDerivDf(df: number, t: number): number {
  if (t === 0 || !Number.isFinite(t)) return 0;
  // the tail varies with ν on the scale of ν itself (1/ν corrections to the normal): a relative step
  const dTail = Math.exp(studentTLogTail(df, t)) * richardsonDerivative((v) => studentTLogTail(v, t), df, 1e-2 * df);
  return t > 0 ? -dTail : dTail;
}
function studentTIcdf(df: number, p: number): number {
  if (Number.isNaN(df) || Number.isNaN(p) || !(df > 0) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const q = Math.min(p, 1 - p);
  // 2q = I_x(ν/2, ½) with x = ν/(ν + t²); near the centre invert the complement 1 − 2q = I_{1−x}(½, ν/2) instead
  let t2: number;
  if (2 * q < 0.5) {
    const x = betaIncInv(df / 2, 0.5, 2 * q);
    t2 = (df * (1 - x)) / x;
  } else {
    const y = betaIncInv(0.5, df / 2, 1 - 2 * q);
    t2 = (df * y) / (1 - y);
  }
  return p < 0.5 ? -Math.sqrt(t2) : Math.sqrt(t2);
}

const studentTCdfOp = hostOp({
  value: studentTCdf,
  partials: [studentTCdfDerivDf, (df, t) => (Number.isFinite(t) ? Math.exp(studentTLogDensity(df, t)) : 0)],
});
const studentTIcdfOp = hostOp({
  value: studentTIcdf,
  partials: [
    (df, p) => {
      const t = studentTIcdf(df, p);
      return Number.isFinite(t) ? -studentTCdfDerivDf(df, t) / Math.exp(studentTLogDensity(df, t)) : 0;
    },
    (df, p) => {
      const t = studentTIcdf(df, p);
      return Number.isFinite(t) ? Math.exp(-studentTLogDensity(df, t)) : 0;
    },
  ],
});

/**
 * The cdf of the standard Student t with ν degrees of freedom, F(t) = 1 − ½ I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0 and
 * ½ I_{ν/(ν+t²)}(ν/2, ½) for t < 0, in double precision on the host (1 − x = t²/(ν + t²) is passed exactly, so
 * huge ν keeps its precision). Gradients with respect to ν and t.
 */
export function studentTCdfStandard(df: tf.Tensor, t: tf.Tensor): tf.Tensor {
  return studentTCdfOp(df, t);
}

/** The inverse of {@link studentTCdfStandard}: t with F(t) = p (−∞ at p = 0, +∞ at p = 1), with gradients. */
export function studentTIcdfStandard(df: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return studentTIcdfOp(df, p);
}
