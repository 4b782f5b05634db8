import { digamma64, erfc, log1mexp64, log1pmx, logGamma, richardsonDerivative, shapeStep } from './float64.js';

/*
 * The regularized incomplete gamma functions in double precision on the host:
 *
 *   P(a, x) = γ(a, x)/Γ(a) = (1/Γ(a)) ∫₀ˣ t^{a−1} e^{−t} dt,   Q(a, x) = 1 − P(a, x),
 *
 * by the power series (x < a + 1), Legendre's continued fraction (x ≥ a + 1) and, for a ≥ 1e4 near the centre
 * (|x/a − 1| < 0.3), Temme's uniform asymptotic expansion (as Cephes' igam.c). Both log P and log Q are returned so that
 * either tail keeps its relative precision; x is passed as log x so that x below the double range (Gamma samples with
 * a tiny concentration) still works.
 */

/** Relative tolerance of the series and continued fractions. */
const EPS = 1e-16;
/** Iteration cap (the slowest case, a just below TEMME_FROM with x ≈ a, needs ~1e3). */
const MAX_ITER = 100_000;
/** From this a on, Temme's expansion is used near the centre. */
const TEMME_FROM = 1e4;
const FPMIN = 1e-300;

/** log P and log Q for one (a, x). */
export interface LogIncompleteGamma {
  /** log P(a, x). */
  logP: number;
  /** log Q(a, x) = log(1 − P(a, x)). */
  logQ: number;
}

/** log of the series Σₙ xⁿ/((a+1)…(a+n)); P = x^a e^{−x}/Γ(a+1) · that. */
function logSeries(a: number, x: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 1; n < MAX_ITER; n++) {
    term *= x / (a + n);
    sum += term;
    if (!(term >= EPS * sum)) break;
  }
  return Math.log(sum);
}

/** log of Legendre's continued fraction; Q = x^a e^{−x}/Γ(a) · that (modified Lentz). */
function logContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (!(Math.abs(delta - 1) >= EPS)) break; // converged, or NaN/∞ from a degenerate input
  }
  return Math.log(h);
}

/**
 * Temme's expansion: Q(a, x) = ½ erfc(η√(a/2)) + e^{−aη²/2}/√(2πa) · (c₀(η) + c₁(η)/a), P likewise with −η and the
 * sum negated, where λ = x/a and η = sign(λ − 1)·√(2(λ − 1 − log λ)). Truncation error ~4e-3/a² of the second term.
 */
function temme(a: number, x: number, upper: boolean): number {
  const lambda = x / a;
  const s = lambda - 1;
  const eta = s === 0 ? 0 : Math.sign(s) * Math.sqrt(-2 * log1pmx(s));
  let c0: number;
  let c1: number;
  if (Math.abs(s) < 0.01) {
    // Taylor series in η (Cephes' d table, as exact fractions), accurate to 1e-14 here
    c0 = -1 / 3 + eta * (1 / 12 + eta * (-2 / 135 + eta * (1 / 864 + eta / 2835)));
    c1 = -1 / 540 + eta * (-1 / 288 + eta * (1 / 378 + (eta * -77) / 77760));
  } else {
    c0 = 1 / s - 1 / eta;
    c1 = 1 / eta ** 3 - 1 / s ** 3 - 1 / s ** 2 - 1 / (12 * s);
  }
  const sgn = upper ? 1 : -1;
  const r = (Math.exp(-0.5 * a * eta * eta) * (c0 + c1 / a)) / Math.sqrt(2 * Math.PI * a);
  return 0.5 * erfc(sgn * eta * Math.sqrt(a / 2)) + sgn * r;
}

/**
 * log P(a, x) and log Q(a, x) for a > 0, given log x (−∞ for x = 0, +∞ for x = ∞). Relative accuracy ~1e-14 in either
 * tail (for a ≥ 1e4 near the centre: ~1e-11 absolute).
 */
export function logIncompleteGamma(a: number, logX: number): LogIncompleteGamma {
  if (Number.isNaN(logX) || !(a > 0 && a < Infinity)) return { logP: NaN, logQ: NaN };
  if (logX === -Infinity) return { logP: -Infinity, logQ: 0 };
  if (logX === Infinity) return { logP: 0, logQ: -Infinity };
  const x = Math.exp(logX);
  if (x > 2 * a + 1000 && (a - 1) * logX - x - logGamma(a) < -1000) {
    // far upper tail (Q below 1e-434): its leading asymptotic term, without iterating on denormals
    return { logP: 0, logQ: (a - 1) * logX - x - logGamma(a) };
  }
  if (a >= TEMME_FROM && Math.abs(x / a - 1) < 0.3) {
    return { logP: Math.log(temme(a, x, false)), logQ: Math.log(temme(a, x, true)) };
  }
  if (x < a + 1) {
    const logP = a * logX - x - logGamma(a + 1) + logSeries(a, x);
    return { logP: Math.min(logP, 0), logQ: log1mexp64(Math.min(logP, 0)) };
  }
  const logQ = a * logX - x - logGamma(a) + logContinuedFraction(a, x);
  return { logP: log1mexp64(Math.min(logQ, 0)), logQ: Math.min(logQ, 0) };
}

/** log P, log Q and their derivatives with respect to a. */
export interface LogIncompleteGammaDerivA extends LogIncompleteGamma {
  /** ∂ log P/∂a. */
  dLogP: number;
  /** ∂ log Q/∂a. */
  dLogQ: number;
}

/**
 * log P(a, x), log Q(a, x) and their a-derivatives in one pass. Power series region: with tₙ = Πⱼ₌₁ⁿ x/(a + j) and
 * Hₙ = Σⱼ₌₁ⁿ 1/(a + j), log P = a log x − x − log Γ(a + 1) + log Σtₙ, so ∂log P/∂a = log x − ψ(a + 1) − ΣtₙHₙ/Σtₙ.
 * Continued-fraction region: the Lentz recursion is differentiated alongside (forward mode), ∂log Q/∂a =
 * log x − ψ(a) + h′/h. Temme's region: a Richardson difference. The other tail follows from P + Q = 1:
 * ∂log Q/∂a = −(P/Q)·∂log P/∂a.
 */
export function logIncompleteGammaDerivA(a: number, logX: number): LogIncompleteGammaDerivA {
  if (Number.isNaN(logX) || !(a > 0 && a < Infinity)) return { logP: NaN, logQ: NaN, dLogP: 0, dLogQ: 0 };
  const x = Math.exp(logX);
  if (x > 2 * a + 1000 && (a - 1) * logX - x - logGamma(a) < -1000) {
    // far upper tail: log Q ≈ (a − 1) log x − x − log Γ(a), P = 1
    return { logP: 0, logQ: (a - 1) * logX - x - logGamma(a), dLogP: 0, dLogQ: logX - digamma64(a) };
  }
  if (!(a > 0) || !Number.isFinite(logX) || (a >= TEMME_FROM && Math.abs(x / a - 1) < 0.3)) {
    const v = logIncompleteGamma(a, logX);
    if (!Number.isFinite(v.logP) || !Number.isFinite(v.logQ)) return { ...v, dLogP: 0, dLogQ: 0 };
    const h = shapeStep(a);
    return v.logP <= v.logQ
      ? { ...v, dLogP: richardsonDerivative((t) => logIncompleteGamma(t, logX).logP, a, h), dLogQ: NaN }
      : { ...v, dLogP: NaN, dLogQ: richardsonDerivative((t) => logIncompleteGamma(t, logX).logQ, a, h) };
  }
  if (x < a + 1) {
    let term = 1;
    let harmonic = 0;
    let sum = 1;
    let weighted = 0;
    for (let n = 1; n < MAX_ITER; n++) {
      term *= x / (a + n);
      harmonic += 1 / (a + n);
      sum += term;
      weighted += term * harmonic;
      if (!(term >= EPS * sum || term * harmonic > EPS * weighted)) break;
    }
    const logP = Math.min(a * logX - x - logGamma(a + 1) + Math.log(sum), 0);
    const logQ = log1mexp64(logP);
    const dLogP = logX - digamma64(a + 1) - weighted / sum;
    return { logP, logQ, dLogP, dLogQ: -Math.exp(logP - logQ) * dLogP };
  }
  // Lentz's recursion for h and its a-derivative
  let b = x + 1 - a;
  const db = -1;
  let c = 1 / FPMIN;
  let dc = 0;
  let d = 1 / b;
  let dd = -db / (b * b);
  let h = d;
  let dh = dd;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    const dan = i;
    b += 2;
    let dInv = an * d + b;
    let dDInv = dan * d + an * dd + db;
    if (Math.abs(dInv) < FPMIN) {
      dInv = FPMIN;
      dDInv = 0;
    }
    const cNew = b + an / c;
    let dcNew = db + dan / c - (an * dc) / (c * c);
    c = cNew;
    if (Math.abs(c) < FPMIN) {
      c = FPMIN;
      dcNew = 0;
    }
    dc = dcNew;
    d = 1 / dInv;
    dd = -dDInv * d * d;
    const delta = d * c;
    const dDelta = dd * c + d * dc;
    dh = dh * delta + h * dDelta;
    h *= delta;
    if (!(Math.abs(delta - 1) >= EPS)) break; // converged, or NaN/∞ from a degenerate input
  }
  const logQ = Math.min(a * logX - x - logGamma(a) + Math.log(h), 0);
  const logP = log1mexp64(logQ);
  const dLogQ = logX - digamma64(a) + dh / h;
  return { logP, logQ, dLogP: -Math.exp(logQ - logP) * dLogQ, dLogQ };
}

/** P(a, x), the regularized lower incomplete gamma function (the Gamma(a, 1) cdf). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return x === 0 || a > 0 ? 0 : NaN;
  return Math.exp(logIncompleteGamma(a, Math.log(x)).logP);
}

/** Q(a, x) = 1 − P(a, x), the regularized upper incomplete gamma function. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return x === 0 || a > 0 ? 1 : NaN;
  return Math.exp(logIncompleteGamma(a, Math.log(x)).logQ);
}

/** log of the Gamma(a, 1) density at x = e^{logX}: (a − 1) log x − x − log Γ(a). */
export function logGammaDensity(a: number, logX: number): number {
  return (a - 1) * logX - Math.exp(logX) - logGamma(a);
}

/**
 * ∂P(a, x)/∂a (= −∂Q/∂a) = P·∂log P/∂a = −Q·∂log Q/∂a, from the smaller tail (see
 * {@link logIncompleteGammaDerivA}).
 */
export function gammaPDerivA(a: number, logX: number): number {
  const v = logIncompleteGammaDerivA(a, logX);
  if (!Number.isFinite(v.logP) || !Number.isFinite(v.logQ)) return 0;
  return v.logP <= v.logQ ? Math.exp(v.logP) * v.dLogP : -Math.exp(v.logQ) * v.dLogQ;
}

/**
 * The implicit reparameterization gradient (Figurnov, Mohamed & Mnih 2018) of log G for G ~ Gamma(a, 1) at
 * G = e^{logX}: holding the cdf u = P(a, G) fixed, dG/da = −(∂P/∂a)/p(G), so
 * d log G/da = −(∂P/∂a)/(G·p(G)), evaluated in log space (G·p(G) = e^{a log G − G − log Γ(a)}).
 */
export function logGammaSampleGradA(a: number, logX: number): number {
  if (!Number.isFinite(logX)) return 0;
  const v = logIncompleteGammaDerivA(a, logX);
  if (!Number.isFinite(v.logP) || !Number.isFinite(v.logQ)) return 0;
  const logGDensity = a * logX - Math.exp(logX) - logGamma(a);
  return v.logP <= v.logQ ? -v.dLogP * Math.exp(v.logP - logGDensity) : v.dLogQ * Math.exp(v.logQ - logGDensity);
}

/**
 * The inverse of P(a, ·): x with P(a, x) = p, for p ∈ [0, 1] (Numerical Recipes' initial guess, then Halley steps on
 * log P or log Q, whichever tail p is in). 0 at p = 0, +∞ at p = 1.
 */
export function gammaPInv(a: number, p: number): number {
  if (Number.isNaN(p) || !(a > 0 && a < Infinity) || p < 0 || p > 1) return NaN;
  if (p === 0) return 0;
  if (p === 1) return Infinity;
  const lower = p <= 0.5;
  const logTarget = lower ? Math.log(p) : Math.log1p(-p);
  let x: number;
  if (a > 1) {
    const pp = lower ? p : 1 - p;
    const t = Math.sqrt(-2 * Math.log(pp));
    let z = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t;
    if (lower) z = -z;
    x = Math.max(1e-3 * a, a * (1 - 1 / (9 * a) - z / (3 * Math.sqrt(a))) ** 3);
  } else {
    const t = 1 - a * (0.253 + a * 0.12);
    x = p < t ? Math.exp((Math.log(p) - Math.log(t)) / a) : 1 - Math.log1p(-(p - t) / (1 - t));
  }
  if (x === 0) return 0;
  // Newton on g(log x) = log P(a, x) − log p (or log Q): dg/dlog x = ±x·p(x)/P, with a Halley correction
  let logX = Math.log(x);
  for (let i = 0; i < 100; i++) {
    const { logP, logQ } = logIncompleteGamma(a, logX);
    const logF = lower ? logP : logQ;
    const err = logF - logTarget;
    const logXDensity = a * logX - Math.exp(logX) - logGamma(a);
    const slope = (lower ? 1 : -1) * Math.exp(logXDensity - logF);
    if (!Number.isFinite(slope) || slope === 0) break;
    let step = err / slope;
    if (Math.abs(step) > 1) step = Math.sign(step);
    logX -= step;
    if (logX < -745) return 0;
    if (Math.abs(step) < 1e-15) break;
  }
  return Math.exp(logX);
}
