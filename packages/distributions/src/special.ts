import * as tf from '@tensorflow/tfjs-core';
import { LGAMMA_KERNEL } from '@varia/core';

/*
 * Special functions TensorFlow.js lacks, with gradients. All take x > 0 and use the same scheme:
 * shift the argument up by SHIFT with the recurrence Γ(x+1) = xΓ(x), then an asymptotic (Stirling / de Moivre)
 * series that is accurate to float32 precision for z ≥ SHIFT.
 */
const SHIFT = 6;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Σ_{k=0}^{SHIFT−1} f(x + k). */
function shiftSum(x: tf.Tensor, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  let acc = f(x);
  for (let k = 1; k < SHIFT; k++) acc = tf.add(acc, f(tf.add(x, k)));
  return acc;
}

function lgammaForward(x: tf.Tensor): tf.Tensor {
  // one fused kernel where the backend has it (the native kernels on wasm): the same algorithm in one pass
  if (x.dtype === 'float32' && tf.getKernel(LGAMMA_KERNEL, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(LGAMMA_KERNEL, { x }, {}) as tf.Tensor;
  }
  return tf.tidy(() => {
    // log Γ(x) = log Γ(x+6) − Σ_{k<6} log(x+k)
    const z = tf.add(x, SHIFT);
    const zInv = tf.reciprocal(z);
    const zInv2 = tf.square(zInv);
    // Stirling: (z−½)log z − z + ½log 2π + 1/(12z) − 1/(360z³) + 1/(1260z⁵) − 1/(1680z⁷)
    const series = tf.mul(
      zInv,
      tf.add(1 / 12, tf.mul(zInv2, tf.add(-1 / 360, tf.mul(zInv2, tf.add(1 / 1260, tf.mul(zInv2, -1 / 1680)))))),
    );
    const stirling = tf.add(tf.sub(tf.mul(tf.sub(z, 0.5), tf.log(z)), z), tf.add(series, HALF_LOG_2PI));
    return tf.sub(stirling, shiftSum(x, tf.log));
  });
}

function digammaForward(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // ψ(x) = ψ(x+6) − Σ_{k<6} 1/(x+k);  ψ(z) ≈ log z − 1/(2z) − 1/(12z²) + 1/(120z⁴) − 1/(252z⁶) + 1/(240z⁸)
    const z = tf.add(x, SHIFT);
    const zInv = tf.reciprocal(z);
    const zInv2 = tf.square(zInv);
    const series = tf.mul(
      zInv2,
      tf.add(-1 / 12, tf.mul(zInv2, tf.add(1 / 120, tf.mul(zInv2, tf.add(-1 / 252, tf.mul(zInv2, 1 / 240)))))),
    );
    const asymptotic = tf.add(tf.sub(tf.log(z), tf.mul(0.5, zInv)), series);
    return tf.sub(asymptotic, shiftSum(x, tf.reciprocal));
  });
}

function trigammaForward(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // ψ′(x) = ψ′(x+6) + Σ_{k<6} 1/(x+k)²;  ψ′(z) ≈ 1/z + 1/(2z²) + 1/(6z³) − 1/(30z⁵) + 1/(42z⁷) − 1/(30z⁹)
    const z = tf.add(x, SHIFT);
    const zInv = tf.reciprocal(z);
    const zInv2 = tf.square(zInv);
    const series = tf.mul(
      tf.mul(zInv, zInv2),
      tf.add(1 / 6, tf.mul(zInv2, tf.add(-1 / 30, tf.mul(zInv2, tf.add(1 / 42, tf.mul(zInv2, -1 / 30)))))),
    );
    const asymptotic = tf.add(tf.add(zInv, tf.mul(0.5, zInv2)), series);
    return tf.add(
      asymptotic,
      shiftSum(x, (t) => tf.reciprocal(tf.square(t))),
    );
  });
}

/** A unary tensor function. */
export type UnaryOp = (x: tf.Tensor) => tf.Tensor;
/** The definition of a unary op with a custom gradient: its value and dL/dx given dL/dy and the saved tensors. */
export type UnaryGradDef = (
  x: tf.Tensor,
  save: tf.GradSaveFunc,
) => {
  /** f(x). */
  value: tf.Tensor;
  /** The gradient: dy and the saved tensors to [df/dx · dy]. */
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
};

/** `tf.customGrad` for a unary function. */
export function unaryCustomGrad(f: UnaryGradDef): UnaryOp {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as UnaryOp;
}

/**
 * Identity in the forward pass, zero gradient in the backward pass (tfjs has no `stopGradient`).
 */
export const stopGradient: UnaryOp = unaryCustomGrad((x) => ({
  value: tf.clone(x),
  gradFunc: (dy) => [tf.zerosLike(dy)],
}));

const trigammaOp = unaryCustomGrad((x, save) => {
  // d/dx ψ′(x) = ψ″(x) is not needed by varia's objectives; it is estimated by a central finite difference.
  save([x]);
  return {
    value: trigammaForward(x),
    gradFunc: (dy, saved) => {
      const [xs] = saved as [tf.Tensor];
      const h = tf.mul(tf.maximum(tf.abs(xs), 1), 1e-3);
      const d = tf.div(tf.sub(trigammaForward(tf.add(xs, h)), trigammaForward(tf.sub(xs, h))), tf.mul(h, 2));
      return [tf.mul(dy, d)];
    },
  };
});

const digammaOp = unaryCustomGrad((x, save) => {
  save([x]);
  return {
    value: digammaForward(x),
    gradFunc: (dy, saved) => [tf.mul(dy, trigammaOp(saved[0]!))],
  };
});

const lgammaOp = unaryCustomGrad((x, save) => {
  save([x]);
  return {
    value: lgammaForward(x),
    gradFunc: (dy, saved) => [tf.mul(dy, digammaOp(saved[0]!))],
  };
});

/**
 * log Γ(x) for x > 0, element-wise, with gradient ψ(x).
 * Computed as log Γ(x+6) − Σ_{k=0}^{5} log(x+k) with Stirling's series for log Γ(x+6).
 * Accurate to float32 precision over [1e-6, 1e6]; NaN for x ≤ 0 where not a pole of interest.
 */
export function lgamma(x: tf.Tensor): tf.Tensor {
  return lgammaOp(x);
}

/**
 * The digamma function ψ(x) = d/dx log Γ(x) for x > 0, with gradient the trigamma function ψ′(x).
 * ψ(x) = ψ(x+6) − Σ_{k=0}^{5} 1/(x+k), asymptotic series for ψ(x+6).
 */
export function digamma(x: tf.Tensor): tf.Tensor {
  return digammaOp(x);
}

/** The trigamma function ψ′(x) = d²/dx² log Γ(x) for x > 0. */
export function trigamma(x: tf.Tensor): tf.Tensor {
  return trigammaOp(x);
}

/**
 * log1mexp(x) = log(1 − eˣ) for x < 0, computed stably (Mächler 2012): log(−expm1(x)) for x > −ln 2,
 * log1p(−eˣ) otherwise.
 */
export function log1mexp(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const useExpm1 = gradFreeMask([x], (v) => tf.greater(v, -Math.LN2));
    // tfjs has no expm1: use 1 − eˣ where it loses nothing (|x| ≥ 1e-3) and −x(1 + x/2 + x²/6) near 0.
    const small = gradFreeMask([x], (v) => tf.less(tf.abs(v), 1e-3));
    const taylor = tf.neg(tf.mul(x, tf.add(1, tf.mul(x, tf.add(0.5, tf.mul(x, 1 / 6))))));
    const negExpm1 = tf.where(small, taylor, tf.sub(1, tf.exp(x)));
    const a = tf.log(negExpm1);
    const b = tf.log1p(tf.neg(tf.exp(x)));
    return tf.where(useExpm1, a, b);
  });
}

/**
 * Stable inverse of softplus: softplus⁻¹(y) = log(eʸ − 1) = y + log(1 − e⁻ʸ), for y > 0.
 */
export function softplusInverse(y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(y, log1mexp(tf.neg(y))));
}

/**
 * x·log(y) with the convention 0·log(0) = 0 (SciPy's `xlogy`).
 */
export function xlogy(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.where(
      gradFreeMask([x], (v) => tf.equal(v, 0)),
      tf.zerosLike(tf.mul(x, y)),
      tf.mul(x, tf.log(y)),
    ),
  );
}

/** |z| from which {@link log1pSquare} takes logarithms: z² overflows float32 from 1.8e19. */
const LOG1P_SQUARE_FAR = 1e18;

/**
 * log(1 + z²/ν) (ν = 1 when omitted) without the overflow of z²: the heavy tails of Cauchy, HalfCauchy and Student's
 * t gave −∞ from |z| ≈ 1.8e19 (x = 1e30, or a scale of 1e-30), where the log-density is finite. log1p(z²/ν) as before
 * for |z| < 1e18, else 2·log|z| − log ν + log1p(ν/z²). The branch not taken sees z = 1, so its gradient stays finite.
 */
export function log1pSquare(z: tf.Tensor, nu?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const far = gradFreeMask([z], (v) => tf.greaterEqual(tf.abs(v), LOG1P_SQUARE_FAR));
    const near = tf.where(far, tf.onesLike(z), z);
    const out = tf.where(far, z, tf.onesLike(z));
    const sq = tf.square(near);
    const inside = tf.log1p(nu ? tf.div(sq, nu) : sq);
    const logZ2 = tf.mul(2, tf.log(tf.abs(out)));
    const inv = tf.reciprocal(tf.square(out));
    const tail = nu ? tf.add(tf.sub(logZ2, tf.log(nu)), tf.log1p(tf.mul(nu, inv))) : tf.add(logZ2, tf.log1p(inv));
    return tf.where(far, tail, inside);
  });
}

/** log Σ exp(x) along `axis` (stable: subtracts the max). Re-exported from tfjs for one import site. */
export function logSumExp(x: tf.Tensor, axis: number | number[] = -1, keepDims = false): tf.Tensor {
  return tf.logSumExp(x, axis, keepDims);
}

/**
 * log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b), the log of the beta function, for a, b > 0. Float32 caveat:
 * when a + b is large the log-gammas cancel, leaving ~1e-7·(a + b)·log(a + b) absolute error (3e-4 for B(2.5, 1000)).
 */
export function lbeta(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.add(lgamma(a), lgamma(b)), lgamma(tf.add(a, b))));
}

/**
 * expm1(x) = eˣ − 1, accurate for small |x| (tfjs has none). For |x| < ½ Kahan's trick: with u = eˣ,
 * expm1(x) = (u − 1)·x / log u, and x itself where u rounds to 1; elsewhere u − 1. Overflows to +∞ like eˣ for x > 88.
 */
export function expm1(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.exp(x);
    // |x| ≥ ½: u − 1 loses nothing (and stays exact for denormal u). |x| < ½: Kahan's quotient, x where u rounds to 1.
    const near = gradFreeMask([x, u], (v, e) => tf.logicalAnd(tf.less(tf.abs(v), 0.5), tf.notEqual(e!, 1)));
    const isOne = gradFreeMask([u], (e) => tf.equal(e, 1));
    const uSafe = tf.where(near, u, tf.fill(u.shape, 2));
    const xSafe = tf.where(near, x, tf.fill(u.shape, Math.LN2));
    const kahan = tf.div(tf.mul(tf.sub(uSafe, 1), xSafe), tf.log(uSafe));
    return tf.where(isOne, x, tf.where(near, kahan, tf.sub(u, 1)));
  });
}

/**
 * A boolean mask `predicate(...inputs)` that is invisible to the gradient tape. tfjs has no gradients for
 * comparison and logical ops (Less, Greater, Equal, LogicalNot…), so a `tf.where` whose condition is computed from a
 * differentiated tensor fails in `tf.grad`; masks built here do not. The predicate runs inside a `tf.customGrad`
 * forward pass (not recorded) and the mask gets a zero gradient.
 */
export function gradFreeMask(inputs: readonly tf.Tensor[], predicate: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: unknown[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    return {
      value: tf.cast(predicate(...xs), 'float32'),
      gradFunc: () => xs.map((x) => tf.zerosLike(x)),
    };
  }) as unknown as (...xs: tf.Tensor[]) => tf.Tensor;
  return tf.tidy(() => tf.greaterEqual(op(...inputs), 0.5));
}
