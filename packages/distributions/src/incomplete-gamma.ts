import type * as tf from '@tensorflow/tfjs-core';
import { hostOp } from './host-op.js';
import { gammaP, gammaPDerivA, gammaPInv, gammaQ, logGammaDensity } from './incomplete-gamma-float64.js';

/** Gamma(a, 1) density at x ≥ 0 (0 at x = 0 unless a ≤ 1, where it is 1 or +∞; 0 at x = ∞). */
function density(a: number, x: number): number {
  if (!(x > 0) || x === Infinity) return x === 0 && a <= 1 ? (a === 1 ? 1 : Infinity) : 0;
  return Math.exp(logGammaDensity(a, Math.log(x)));
}
function derivA(a: number, x: number): number {
  return x > 0 && x < Infinity ? gammaPDerivA(a, Math.log(x)) : 0;
}

const igammaOp = hostOp({ value: gammaP, partials: [derivA, density] });
const igammacOp = hostOp({ value: gammaQ, partials: [(a, x) => -derivA(a, x), (a, x) => -density(a, x)] });
const igammaInvOp = hostOp({
  value: gammaPInv,
  partials: [
    (a, p) => {
      const x = gammaPInv(a, p);
      return x > 0 && x < Infinity ? -gammaPDerivA(a, Math.log(x)) / density(a, x) : 0;
    },
    (a, p) => {
      const x = gammaPInv(a, p);
      return x > 0 && x < Infinity ? 1 / density(a, x) : 0;
    },
  ],
});
const standardGammaGradOp = hostOp({
  value: (a, x) => (x > 0 && x < Infinity ? -gammaPDerivA(a, Math.log(x)) / density(a, x) : 0),
  partials: [undefined, undefined],
});

/**
 * The regularized lower incomplete gamma function, element-wise over broadcast `a` and `x`:
 *
 * P(a, x) = γ(a, x)/Γ(a) = (1/Γ(a)) ∫₀ˣ t^{a−1} e^{−t} dt  (the Gamma(a, 1) cdf; SciPy's `gammainc`),
 *
 * for a > 0, x ≥ 0 (P = 0 at x = 0, 1 at x = ∞; NaN for a ≤ 0). Evaluated on the host in double precision (power
 * series for x < a + 1, Legendre's continued fraction above, Temme's uniform expansion for a ≥ 1e4 near x = a), so
 * the float32 result is correctly rounded up to ~1e-7 relative in both tails. Reads its inputs synchronously.
 * Gradients: ∂P/∂x = x^{a−1}e^{−x}/Γ(a) and ∂P/∂a (analytic, differentiating the series or continued fraction).
 */
export function igamma(a: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return igammaOp(a, x);
}

/** Q(a, x) = 1 − P(a, x) = Γ(a, x)/Γ(a), computed directly (no cancellation in the upper tail); see {@link igamma}. */
export function igammac(a: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return igammacOp(a, x);
}

/**
 * The inverse of P(a, ·): x with P(a, x) = p, for p ∈ [0, 1] (0 at p = 0, +∞ at p = 1); Halley/Newton steps in
 * double precision from Numerical Recipes' start. Gradients: ∂x/∂p = 1/f(x) and ∂x/∂a = −(∂P/∂a)/f(x), with f the
 * Gamma(a, 1) density.
 */
export function igammaInv(a: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return igammaInvOp(a, p);
}

/**
 * The implicit reparameterization gradient of a Gamma(a, 1) draw x (Figurnov, Mohamed & Mnih 2018; torch's
 * `_standard_gamma_grad`): the derivative of x with respect to a holding its cdf u = P(a, x) fixed,
 *
 * dx/da = −(∂P(a, x)/∂a) / f(x; a),  f(x; a) = x^{a−1}e^{−x}/Γ(a),
 *
 * in double precision on the host (∂P/∂a differentiating the series or continued fraction of the smaller tail). No
 * gradient flows through it.
 */
export function standardGammaGrad(a: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return standardGammaGradOp(a, x);
}
