// The argument checks of the Distribution base class, written once: sample shapes, value shapes, NaN values and the
// target of expand. Each names the argument and the distribution.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { MAX_SAMPLE_VALUES } from './distribution-options.js';
import { broadcastShapes, formatIndex, shapesEqual } from './tensor-like.js';

/** `sampleShape` checked (non-negative integers; at most MAX_SAMPLE_VALUES values in all), extended by `extend`. */
export function checkSampleShape(
  name: string,
  sampleShape: readonly number[],
  extend: (sampleShape: readonly number[]) => number[],
): number[] {
  if (!Array.isArray(sampleShape) || sampleShape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(
      'sampleShape',
      `${name}: "sampleShape" must be an array of non-negative integers, got ${JSON.stringify(sampleShape)}`,
    );
  }
  const shape = extend(sampleShape);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size > MAX_SAMPLE_VALUES) {
    throw new ArgumentError(
      'sampleShape',
      `${name}: "sampleShape" ${JSON.stringify(sampleShape)} asks for ${size} values (shape [${shape.join(', ')}]); at most ${MAX_SAMPLE_VALUES} (2^28) per call`,
    );
  }
  return shape;
}

/** ShapeError naming `value` when x does not broadcast with `[...batchShape, ...eventShape]` or its trailing dims differ from `eventShape`. */
export function checkValueShape(
  name: string,
  x: tf.Tensor,
  batchShape: readonly number[],
  eventShape: readonly number[],
): void {
  const expected = [...batchShape, ...eventShape];
  const ev = eventShape.length;
  if (x.rank < ev) {
    throw new ShapeError(
      'value',
      `${name}: "value" must have event shape [${eventShape.join(', ')}], got shape [${x.shape.join(', ')}]`,
    );
  }
  try {
    broadcastShapes([x.shape, expected]);
  } catch {
    throw new ShapeError(
      'value',
      `${name}: "value" of shape [${x.shape.join(', ')}] does not broadcast with batchShape+eventShape [${expected.join(', ')}]`,
    );
  }
  // The trailing event dims must equal eventShape exactly (as torch): a length-1 event axis is never broadcast, so
  // `logProb([1])` of a 2-category Dirichlet is an error, not the density at [1, 1]. Batch dims may broadcast.
  for (let i = 0; i < ev; i++) {
    if (x.shape[x.rank - ev + i] !== eventShape[i]) {
      throw new ShapeError(
        'value',
        `${name}: "value" must have event shape [${eventShape.join(', ')}] (trailing dims, exactly), got shape [${x.shape.join(', ')}]`,
      );
    }
  }
}

/** ArgumentError naming `value` and the first NaN's index when `x` holds a NaN. Reads `x` synchronously. */
export function rejectNaN(name: string, x: tf.Tensor): void {
  const flags = tf.isNaN(x).dataSync(); // inside the caller's tf.tidy
  const first = flags.findIndex((f) => f !== 0);
  if (first < 0) return;
  const where = x.rank === 0 ? '' : ` at index ${formatIndex(first, x.shape)}`;
  throw new ArgumentError('value', `${name}: "value" must not be NaN, got NaN${where}`);
}

/**
 * The target of `expand(batchShape)`: a copy of `batchShape`, after checking that `current` broadcasts to it.
 * @throws ShapeError naming `batchShape` otherwise.
 */
export function expandTarget(name: string, current: readonly number[], batchShape: readonly number[]): number[] {
  const target = [...batchShape];
  let ok = Array.isArray(batchShape) && target.every((d) => Number.isInteger(d) && d >= 0);
  if (ok) {
    try {
      ok = shapesEqual(broadcastShapes([current, target]), target);
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new ShapeError(
      'batchShape',
      `${name}.expand: batch shape [${current.join(', ')}] does not broadcast to ${JSON.stringify(batchShape)}`,
    );
  }
  return target;
}
