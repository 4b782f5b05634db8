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

/** A seeded uniform generator on [0, 1) (mulberry32): large operands without fast-check's per-value cost. */
export function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` values, each a non-zero with probability `density` (a NaN or ±∞ one time in 50 of those where `special`),
 * else +0 or −0: an encoder's input (pixels, counts) and its edge cases.
 */
export function sparseValues(count: number, density: number, special: boolean, seed: number): Float32Array {
  const r = uniform(seed);
  const out = new Float32Array(count);
  const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let i = 0; i < count; i++) {
    if (r() < density) out[i] = special && r() < 0.02 ? specials[Math.floor(r() * 3)]! : (r() - 0.5) * 8;
    else out[i] = r() < 0.5 ? 0 : -0;
  }
  return out;
}
