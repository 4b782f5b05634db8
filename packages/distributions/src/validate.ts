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
        finite = tf.all(
          finite,
          Array.from({ length: constraint.eventDims }, (_, i) => rank - 1 - i),
        );
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
  const expected =
    constraint.finite && constraint.name !== 'real' ? `finite and ${constraint.description}` : constraint.description;
  throw new ArgumentError(argument, `${owner}: "${argument}" must be ${expected}, got ${shown}${where}`);
}

let defaultValidateArgs = true;

/**
 * Turns argument validation on or off for every distribution constructed afterwards that does not set
 * `validateArgs` itself (torch's `Distribution.set_default_validate_args`). On by default; turn it off in hot loops
 * where the inputs are known to be valid. A per-instance `validateArgs` option always wins.
 * @throws ArgumentError when `on` is not a boolean.
 */
export function setValidateArgs(on: boolean): void {
  if (typeof on !== 'boolean')
    throw new ArgumentError('on', `setValidateArgs: "on" must be a boolean, got ${String(on)}`);
  defaultValidateArgs = on;
}

/** The current default of `validateArgs` (see {@link setValidateArgs}). */
export function getValidateArgs(): boolean {
  return defaultValidateArgs;
}

/**
 * Whether a distribution built with `options` validates: `options.validateArgs` when given, else the global default.
 * @throws ArgumentError when `options` is not an object or `validateArgs` is not a boolean.
 */
export function resolveValidateArgs(owner: string, options: { validateArgs?: boolean } | undefined): boolean {
  if (options === undefined) return defaultValidateArgs;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(
      'options',
      `${owner}: "options" must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  const v = options.validateArgs;
  if (v !== undefined && typeof v !== 'boolean') {
    throw new ArgumentError('validateArgs', `${owner}: "validateArgs" must be a boolean, got ${String(v)}`);
  }
  return v ?? defaultValidateArgs;
}
