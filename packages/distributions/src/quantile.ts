import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@varia/core';
import { unitInterval } from './constraints.js';
import type { Distribution } from './distribution.js';
import { gradFreeMask } from './special.js';
import { toTensorChecked } from './tensor-input.js';
import { broadcastShapes, type TensorLike } from './tensor-like.js';
import { validateValue } from './validate.js';

/**
 * Runs an inverse cdf F⁻¹(q): checks q ∈ [0, 1] when `d` validates, and tidies. The families that have a closed-form
 * (or special-function) quantile expose it as `icdf(q)` through this helper.
 * @throws ShapeError when q does not broadcast with the batch shape; ArgumentError when validation is on and q is
 *   outside [0, 1].
 */
export function quantile(d: Distribution, q: TensorLike, f: (q: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const p = toTensorChecked(d.constructor.name, 'q', q);
    try {
      broadcastShapes([p.shape, d.batchShape]);
    } catch {
      throw new ShapeError(
        'q',
        `${d.constructor.name}.icdf: "q" of shape [${p.shape.join(', ')}] does not broadcast with batchShape [${d.batchShape.join(', ')}]`,
      );
    }
    if (d.validateArgs) validateValue(d.constructor.name, 'q', p, unitInterval);
    return f(p);
  });
}

/**
 * erf⁻¹(x) for x ∈ (−1, 1) (tfjs has none): Giles' single-precision polynomials in w = −log(1 − x²) (relative error
 * ≲ 4e-7 in float64; float32 rounding of 1 − x² dominates near ±1). ±∞ at ±1. Differentiable (the polynomial's
 * derivative; the branch not taken is fed a safe value so its gradient is never NaN).
 */
export function erfinv(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const w = tf.neg(tf.log1p(tf.neg(tf.square(x))));
    const central = gradFreeMask([w], (v) => tf.less(v, 5));
    const horner = (coeffs: number[], t: tf.Tensor): tf.Tensor =>
      coeffs.slice(1).reduce<tf.Tensor>((p, c) => tf.add(c, tf.mul(p, t)), tf.fill(t.shape, coeffs[0]!));
    const wc = tf.sub(tf.where(central, w, tf.fill(w.shape, 2.5)), 2.5);
    const pc = horner(
      [
        2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3,
        0.246640727, 1.50140941,
      ],
      wc,
    );
    const wt = tf.sub(tf.sqrt(tf.where(central, tf.fill(w.shape, 5), w)), 3);
    const pt = horner(
      [
        -2.00214257e-4, 1.00950558e-4, 1.34934322e-3, -3.67342844e-3, 5.73950773e-3, -7.6224613e-3, 9.43887047e-3,
        1.00167406, 2.83297682,
      ],
      wt,
    );
    // at ±1 (w = ∞) the tail polynomial's leading term takes it to −∞ · x: the limit is x · ∞
    const ends = gradFreeMask([x], (v) => tf.equal(tf.abs(v), 1));
    return tf.where(ends, tf.mul(x, Infinity), tf.mul(tf.where(central, pc, pt), x));
  });
}
