import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@varia/core';

/** A value accepted wherever varia takes a tensor: a number, a (nested) array, a Float32Array or a tf.Tensor. */
export type TensorLike = number | number[] | number[][] | number[][][] | number[][][][] | Float32Array | tf.Tensor;

/**
 * Converts a {@link TensorLike} to a float32 tensor. Tensors are returned as they are (cast to float32 if needed);
 * anything else is copied into a new tensor.
 */
export function toFloatTensor(value: TensorLike): tf.Tensor {
  if (value instanceof tf.Tensor) return value.dtype === 'float32' ? value : tf.cast(value, 'float32');
  return tf.tensor(value as number[], undefined, 'float32');
}

/**
 * The single value of host data whose entries are all the same number, as float32 (what a tensor made from it holds):
 * `3` for `3`, `[[0, 0], [0, 0]]` or `new Float32Array(4)` → `0`. `undefined` for a tensor (never read), empty data, or
 * entries that differ (NaN differs from everything).
 */
export function uniformValue(value: TensorLike): number | undefined {
  if (value instanceof tf.Tensor) return undefined;
  if (typeof value === 'number') return Math.fround(value);
  let first: number | undefined;
  const same = (v: number | ArrayLike<unknown>): boolean => {
    if (typeof v === 'number') {
      first ??= v;
      return v === first;
    }
    for (let i = 0; i < v.length; i++) if (!same(v[i] as number | ArrayLike<unknown>)) return false;
    return true;
  };
  return same(value) && first !== undefined ? Math.fround(first) : undefined;
}

/**
 * NumPy broadcasting of shapes: aligns trailing dimensions; each pair must be equal or contain a 1.
 * @throws ShapeError naming `argument` when the shapes cannot be broadcast.
 */
export function broadcastShapes(shapes: readonly (readonly number[])[], argument = 'shape'): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = rank - s.length + i;
      const d = s[i]!;
      const cur = out[k]!;
      if (cur === 1) out[k] = d;
      else if (d !== 1 && d !== cur) {
        throw new ShapeError(
          argument,
          `cannot broadcast shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')}: dimension ${k} differs (${cur} vs ${d})`,
        );
      }
    }
  }
  return out;
}

/** True when two shapes are equal element-wise. */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Formats a flat index into a multi-index string `[i, j, …]` for error messages. */
export function formatIndex(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  let rest = flat;
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k]!;
    idx.unshift(rest % d);
    rest = Math.floor(rest / d);
  }
  return `[${idx.join(', ')}]`;
}
