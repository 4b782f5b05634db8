// Shared by the tests (excluded from the build): float32 bit patterns and their comparison.
import type * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Whether a float32 bit pattern is a NaN. */
export const isNaNBits = (u: number): boolean => (u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0;

/** The bit patterns of a float32 tensor's values. */
export const bitsOf = (t: tf.Tensor): Uint32Array => new Uint32Array(new Float32Array(t.dataSync()).buffer);

/** Fails at the first element whose bits differ (both NaN counts as the same), naming it. */
export function expectSameBits(got: Uint32Array, want: Uint32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i] || (isNaNBits(got[i]!) && isNaNBits(want[i]!))) continue;
    expect(`${what}[${i}] = 0x${got[i]!.toString(16)}`).toBe(`${what}[${i}] = 0x${want[i]!.toString(16)}`);
  }
}
