// Tensor helpers of the Distribution base class: draws off the gradient tape, the support mask of logProb without
// validation, and the exact limits of a cdf at ±∞ and NaN.
import * as tf from '@tensorflow/tfjs-core';
import type { Constraint } from './constraints.js';
import { gradFreeMask } from './special.js';
import { shapesEqual } from './tensor-like.js';

/**
 * `draw()` computed off the gradient tape: in the forward pass of a `tf.customGrad` on a scalar anchor, which tfjs
 * does not record. The result has no tape path to anything, so ops without gradients applied to it (Greater, ArgMax)
 * never break a `tf.grads` either.
 */
export function offTape(draw: () => tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: unknown[]) => ({
    value: draw(),
    gradFunc: () => tf.zerosLike(args[0] as tf.Tensor),
  })) as unknown as (anchor: tf.Tensor) => tf.Tensor;
  return op(tf.scalar(0));
}

/** Whether a constraint accepts every finite value (then `logProb` needs no support mask). */
export function isTrivialSupport(c: Constraint): boolean {
  return c.name === 'real' || /^independent\(real, \d+\)$/.test(c.name);
}

/**
 * x with the values outside an element-wise support (NaN included: {@link maskOutsideSupport} gives them −∞ too)
 * replaced by its `inside` point, no gradient through the choice; x itself where the support has no such point. In
 * the caller's tidy.
 */
export function insideSupport(x: tf.Tensor, support: Constraint): tf.Tensor {
  if (support.inside === undefined || support.eventDims !== 0) return x;
  const keep = gradFreeMask([x], (v) => support.check(v));
  return tf.where(keep, x, tf.fill(x.shape, support.inside, x.dtype));
}

/** `lp` with −∞ where `x` is outside `support` (a NaN value too: no check holds for it), in the caller's tidy. */
export function maskOutsideSupport(x: tf.Tensor, lp: tf.Tensor, support: Constraint): tf.Tensor {
  let ok = gradFreeMask([x], (v) => support.check(v));
  if (!shapesEqual(ok.shape, lp.shape)) ok = tf.broadcastTo(ok, lp.shape);
  return tf.where(ok, lp, tf.fill(lp.shape, -Infinity));
}

/**
 * The cdf values `c` at `x` with the exact limits at ±∞ (a family's formula may give NaN there, e.g. ∞ − ∞ inside a
 * count cdf), and NaN at NaN (a step-function cdf would otherwise read a NaN as 0 or 1); in the caller's tidy.
 */
export function withCdfLimits(x: tf.Tensor, c: tf.Tensor): tf.Tensor {
  const broadcastOut = (t: tf.Tensor): tf.Tensor => (shapesEqual(t.shape, c.shape) ? t : tf.broadcastTo(t, c.shape));
  const inf = gradFreeMask([x], (v) => tf.isInf(v));
  const positive = gradFreeMask([x], (v) => tf.greater(v, 0));
  const limits = tf.where(inf, tf.cast(positive, c.dtype), tf.fill(x.shape, Number.NaN, c.dtype));
  const special = gradFreeMask([x], (v) => tf.logicalOr(tf.isInf(v), tf.isNaN(v)));
  return tf.where(broadcastOut(special), broadcastOut(limits), c);
}
