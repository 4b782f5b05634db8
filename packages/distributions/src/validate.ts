import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import type { Constraint } from './constraints.js';
import { formatIndex } from './tensor-like.js';

/**
 * Checks `value` against `constraint` (and finiteness where the constraint requires it) and throws an
 * {@link ArgumentError} naming the owner, the argument, the expected and the first offending value with its index:
 * `Poisson: "rate" must be > 0, got -1 at index [3]`. Reads the tensor synchronously: call it at public boundaries only.
 */
export function validateValue(owner: string, argument: string, value: tf.Tensor, constraint: Constraint): void {
  const bad = tf.tidy(() => {
    let ok = constraint.check(value);
    if (constraint.finite) {
      let finite = tf.logicalNot(tf.logicalOr(tf.isNaN(value), tf.isInf(value)));
      const rank = finite.rank;
      if (constraint.eventDims > 0) {
        finite = tf.all(finite, Array.from({ length: constraint.eventDims }, (_, i) => rank - 1 - i));
      }
      ok = tf.logicalAnd(ok, finite);
    }
    return tf.logicalNot(ok);
  });
  const flags = bad.dataSync();
  const shape = bad.shape;
  bad.dispose();
  const first = flags.findIndex((f) => f !== 0);
  if (first < 0) return;
  const values = value.dataSync();
  const eventSize = constraint.eventDims > 0 ? value.shape.slice(-constraint.eventDims).reduce((a, b) => a * b, 1) : 1;
  const shown =
    eventSize === 1
      ? String(values[first])
      : `[${Array.from(values.subarray(first * eventSize, Math.min((first + 1) * eventSize, first * eventSize + 8))).join(', ')}${eventSize > 8 ? ', …' : ''}]`;
  const where = shape.length === 0 ? '' : ` at index ${formatIndex(first, shape)}`;
  const expected = constraint.finite && constraint.name !== 'real' ? `finite and ${constraint.description}` : constraint.description;
  throw new ArgumentError(argument, `${owner}: "${argument}" must be ${expected}, got ${shown}${where}`);
}
