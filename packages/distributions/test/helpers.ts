import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import fixtures from './fixtures/scipy.json' with { type: 'json' };

export { fixtures };

/** Runs `fn`, disposes whatever tensors it returns, and asserts the tensor count is unchanged. */
export function expectNoLeak(fn: () => unknown): void {
  const before = tf.memory().numTensors;
  const result = fn();
  tf.dispose(result as tf.TensorContainer);
  expect(tf.memory().numTensors).toBe(before);
}

/** |actual − expected| ≤ atol + rtol·|expected|, element-wise, with a readable failure. */
export function expectClose(actual: tf.Tensor | number, expected: number | number[], rtol = 1e-5, atol = 1e-5): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual.dataSync());
  const e = typeof expected === 'number' ? [expected] : expected;
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => {
    const want = e[i]!;
    if (!(Math.abs(v - want) <= atol + rtol * Math.abs(want))) {
      throw new Error(`element ${i}: got ${v}, expected ${want} (rtol ${rtol}, atol ${atol})`);
    }
  });
}

/** Sample mean and variance along axis 0. */
export function moments(x: tf.Tensor): { mean: number[]; variance: number[] } {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    return { mean: Array.from(mean.dataSync()), variance: Array.from(variance.dataSync()) };
  });
}
