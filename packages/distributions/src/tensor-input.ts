import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';

/** Nested arrays deeper than this are refused (a tensor of rank 32 is far beyond any distribution's use). */
const MAX_RANK = 32;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`;
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}

/**
 * The shape of a nested array of numbers, checking on the way that it is rectangular and that every leaf is a
 * number (no strings, booleans, null, holes or cycles): `[[1, 2], [3]]` is refused, not misread.
 * @throws ArgumentError naming `argument` and the offending index.
 */
function nestedShape(owner: string, argument: string, value: readonly unknown[]): number[] {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    if (shape.length >= MAX_RANK) {
      throw new ArgumentError(argument, `${owner}: "${argument}" is nested more than ${MAX_RANK} levels deep`);
    }
    shape.push(level.length);
    level = level[0];
  }
  const check = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') {
        throw new ArgumentError(
          argument,
          `${owner}: "${argument}" must contain numbers only, got ${describe(v)} at index [${path.join(', ')}]`,
        );
      }
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ArgumentError(
        argument,
        `${owner}: "${argument}" is a ragged array: at index [${path.join(', ')}] expected ${shape[depth]} entries like index [${path.map(() => 0).join(', ')}], got ${Array.isArray(v) ? `${v.length} entries` : describe(v)}`,
      );
    }
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      check(v[i], depth + 1, path);
      path.pop();
    }
  };
  check(value, 0, []);
  return shape;
}

/**
 * Converts a user-given parameter or value to a float32 tensor, refusing anything that is not a number, a
 * rectangular nested array of numbers, a typed array of numbers or a live numeric tf.Tensor. Tensors are returned as
 * they are (cast to float32 when needed: the caller owns a cast result iff it differs from `value`).
 * @throws ArgumentError naming `argument` (with `owner`, e.g. `"Normal"`) for any other input.
 */
export function toTensorChecked(owner: string, argument: string, value: unknown): tf.Tensor {
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) throw new ArgumentError(argument, `${owner}: "${argument}" is a disposed tensor`);
    if (value.dtype === 'string' || value.dtype === 'complex64') {
      throw new ArgumentError(argument, `${owner}: "${argument}" must be a numeric tensor, got dtype ${value.dtype}`);
    }
    return value.dtype === 'float32' ? value : tf.cast(value, 'float32');
  }
  if (typeof value === 'number') return tf.scalar(value, 'float32');
  if (
    ArrayBuffer.isView(value) &&
    !(value instanceof DataView) &&
    !(value instanceof BigInt64Array) &&
    !(value instanceof BigUint64Array)
  ) {
    return tf.tensor1d(Float32Array.from(value as unknown as ArrayLike<number>), 'float32');
  }
  if (Array.isArray(value)) {
    const shape = nestedShape(owner, argument, value);
    const flat = shape.length <= 1 ? (value as number[]) : (value.flat(shape.length - 1) as number[]);
    return tf.tensor(Float32Array.from(flat), shape, 'float32');
  }
  throw new ArgumentError(
    argument,
    `${owner}: "${argument}" must be a number, an array of numbers, a Float32Array or a tf.Tensor, got ${describe(value)}`,
  );
}
