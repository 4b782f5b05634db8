import { logGamma } from '@varia/core';

/*
 * Scalar special functions in double precision, for the host-side (CPU) evaluation of the incomplete gamma and beta
 * functions and their derivatives. Plain numbers in, plain numbers out; no tensors.
 */

export { logGamma };

const SQRT_PI = Math.sqrt(Math.PI);

/** log(1 + x) − x, accurate for small |x| (the power series below |x| = 0.1). */
export function log1pmx(x: number): number {
  if (Math.abs(x) >= 0.1) return Math.log1p(x) - x;
  // −x²/2 + x³/3 − x⁴/4 + …
  let term = -x * x;
  let sum = term / 2;
  for (let k = 3; k < 40; k++) {
    term *= -x;
    const t = term / k;
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return sum;
}

/**
 * The complementary error function erfc(z) = (2/√π) ∫_z^∞ e^{−t²} dt, to ~1e-15 relative: the Taylor series of
 * erf for |z| < 2, the Laplace continued fraction for z ≥ 2, erfc(−z) = 2 − erfc(z).
 */
export function erfc(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return 2 - erfc(-z);
  if (z < 2) {
    // erf(z) = (2/√π) Σ (−1)ⁿ z^{2n+1} / (n!(2n+1))
    const z2 = z * z;
    let term = z;
    let sum = z;
    for (let n = 1; n < 100; n++) {
      term *= -z2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / SQRT_PI) * sum;
  }
  if (z > 27) return 0;
  // erfc(z) = e^{−z²}/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), by modified Lentz
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const an = n / 2;
    d = z + an * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = z + an / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-z * z) / (SQRT_PI * f);
}

/**
 * The digamma function ψ(x) = d/dx log Γ(x) for x > 0 in double precision: ψ(x) = ψ(x + n) − Σ_{k<n} 1/(x + k) with
 * x + n ≥ 10, then the asymptotic series log z − 1/(2z) − Σ B₂ₖ/(2k z^{2k}) (seven terms; error below 1e-16).
 */
export function digamma64(x: number): number {
  // bounded work for every input: the upward recurrence below would never end at x = −∞ (or |x| ≥ 2⁵³, where x + 1 = x)
  if (!(x > -Infinity) || x === Infinity) return x === Infinity ? Infinity : NaN;
  if (x <= 0) return x === Math.floor(x) ? NaN : digamma64(1 - x) - Math.PI / Math.tan(Math.PI * x); // reflection
  let shift = 0;
  while (x < 10) {
    shift += 1 / x;
    x += 1;
  }
  const w = 1 / (x * x);
  const series =
    w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w * (1 / 240 - w * (1 / 132 - w * (691 / 32760 - w / 12))))));
  return Math.log(x) - 0.5 / x - series - shift;
}

/** log(1 − eˣ) for x ≤ 0 (Mächler 2012). */
export function log1mexp64(x: number): number {
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/**
 * d/dθ g(θ) by Richardson-extrapolated central differences, (4D(h/2) − D(h))/3 with D(h) = (g(θ+h) − g(θ−h))/2h:
 * truncation error O(h⁴). The host-side derivatives of the incomplete gamma and beta functions with respect to their
 * shape parameters use it on log P or log Q, which are smooth in the shape and evaluated to ~1e-15.
 */
export function richardsonDerivative(g: (t: number) => number, theta: number, h: number): number {
  const d1 = (g(theta + h) - g(theta - h)) / (2 * h);
  const h2 = h / 2;
  const d2 = (g(theta + h2) - g(theta - h2)) / (2 * h2);
  return (4 * d2 - d1) / 3;
}

/** The finite-difference step for a shape parameter θ > 0: small against θ and against its scale of variation √θ. */
export function shapeStep(theta: number): number {
  return 1e-3 * Math.min(theta, Math.max(1, Math.sqrt(theta)));
}
