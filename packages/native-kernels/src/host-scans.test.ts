// The native host-side scans (native/domain_scan.c) against the definitions of @varia/core's HostScans written as
// plain comparisons: random data with bad values planted anywhere (first, last, around the 256-value blocks and the
// vector widths), every kind of float32 (±0, ±∞, NaN of both signs, subnormals, 1 + ulp), counts up to and past max.
// VARIA_HOST_SCAN_RUNS=N runs N random cases per property (default 150).
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, hostScans } from '@varia/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { nativeHostScans } from './host-scans.js';
import { skipNative } from './test-support.js';

const RUNS = Number(process.env.VARIA_HOST_SCAN_RUNS ?? 150);

/** The reference of firstOutsideUnitInterval: the first i with ¬(x[i] ≥ 0 ∧ x[i] ≤ 1). */
function referenceUnit(x: Float32Array): number {
  return x.findIndex((v) => !(v >= 0 && v <= 1));
}

/** The reference of firstBadCount: the first i with ¬(x[i] ≥ 0 ∧ x[i] ≤ max ∧ x[i] an integer). */
function referenceCount(x: Float32Array, max: number): number {
  return x.findIndex((v) => !(v >= 0 && v <= max && Number.isInteger(v)));
}

/** float32 values from their bits (NaN with the sign bit set, −0, the smallest subnormal, 1 + ulp). */
function fromBits(...bits: number[]): number[] {
  return [...new Float32Array(new Uint32Array(bits).buffer)];
}
const SPECIAL = [
  ...fromBits(0x80000000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x00000001, 0x807fffff, 0x3f800001),
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1,
  0,
  0.5,
  -1e-45,
  2 ** 23 + 0.5,
  2 ** 24,
  2 ** 24 + 2,
  3.4028234663852886e38,
];

/** Lengths 0–17 (around the vector widths), 250–530 (around one and two 256-value blocks) and some longer. */
const length = fc.oneof(
  fc.integer({ min: 0, max: 17 }),
  fc.integer({ min: 250, max: 530 }),
  fc.integer({ min: 531, max: 3000 }),
);

/** An array of `good` values of that length with values of `bad` planted at random positions (the ends included). */
function planted(good: fc.Arbitrary<number>, bad: fc.Arbitrary<number>): fc.Arbitrary<Float32Array> {
  return length.chain((n) =>
    fc
      .tuple(
        fc.array(good, { minLength: n, maxLength: n }),
        fc.array(fc.tuple(fc.oneof(fc.constant(0), fc.constant(n - 1), fc.nat(Math.max(0, n - 1))), bad), {
          maxLength: n === 0 ? 0 : 4,
        }),
      )
      .map(([values, plants]) => {
        const x = Float32Array.from(values);
        for (const [i, v] of plants) x[i] = v;
        return x;
      }),
  );
}

const anyFloat = fc.oneof(fc.float(), fc.constantFrom(...SPECIAL));

describe.skipIf(skipNative)('the native host scans (native/domain_scan.c)', () => {
  const scans = skipNative ? undefined! : nativeHostScans(loadAddon());

  it('firstOutsideUnitInterval gives the first i with ¬(0 ≤ x[i] ≤ 1), on any float32 values', () => {
    const inside = fc.oneof(fc.float({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...fromBits(0x80000000, 1)));
    fc.assert(
      fc.property(planted(inside, anyFloat), (x) => {
        expect(scans.firstOutsideUnitInterval(x)).toBe(referenceUnit(x));
      }),
      { numRuns: RUNS, seed: 8 },
    );
  });

  it('firstBadCount gives the first i that is not an integer in [0, max], for max, max + 1, 0.5 and any float32', () => {
    const max = fc.constantFrom(0, 1, 5, 255, 2 ** 23, 2 ** 24, 2 ** 24 + 1, 1e30, 1e39, Number.POSITIVE_INFINITY);
    fc.assert(
      fc.property(
        max.chain((m) => {
          const top = Math.min(m, 2 ** 24);
          const good = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: top }), fc.constant(top));
          const bad = fc.oneof(anyFloat, fc.constantFrom(m + 1, top + 1, 0.5, -1, -0));
          return fc.tuple(fc.constant(m), planted(good, bad));
        }),
        ([m, x]) => {
          expect(scans.firstBadCount(x, m)).toBe(referenceCount(x, m));
        },
      ),
      { numRuns: RUNS, seed: 9 },
    );
  });

  it('reads a subarray at its offset, and the first bad value of a long run (7.84 M values, one bad near the end)', () => {
    const x = new Float32Array(7_840_000).fill(0.25);
    x[7_839_990] = 1.0000001;
    expect(scans.firstOutsideUnitInterval(x)).toBe(7_839_990);
    expect(scans.firstOutsideUnitInterval(x.subarray(7_839_991))).toBe(-1);
    expect(scans.firstOutsideUnitInterval(x.subarray(7_839_989, 7_839_995))).toBe(1);
    const counts = new Float32Array(1000);
    counts[3] = 7;
    expect(scans.firstBadCount(counts.subarray(2), 6)).toBe(1);
    expect(scans.firstBadCount(counts.subarray(2), 7)).toBe(-1);
    // +∞ is not an integer count, not even below max = +∞; the largest float32 is one
    expect(scans.firstBadCount(Float32Array.from([3, 3.4028234663852886e38, Infinity]), Infinity)).toBe(2);
  });

  it('on two threads (chunks of 2²⁰ values shared), the least bad index of a long run, wherever the bad values lie', () => {
    const addon = loadAddon();
    const n = 5 * 2 ** 20 + 77; // five whole chunks and a short one
    // bad values planted: none; one in each chunk; only in the last chunk; at a chunk's first and last value; at 0
    const plantings: number[][] = [
      [],
      [4 * 2 ** 20 + 5, 2 ** 20 + 3, 3 * 2 ** 20 + 9],
      [5 * 2 ** 20 + 76],
      [2 * 2 ** 20, 2 * 2 ** 20 - 1],
      [0, n - 1],
    ];
    try {
      for (const plants of plantings) {
        const unit = new Float32Array(n).fill(0.5);
        const counts = new Float32Array(n).fill(3);
        for (const [k, i] of plants.entries()) {
          unit[i] = [Number.NaN, 1.0000001, -1][k % 3]!;
          counts[i] = [2.5, Number.POSITIVE_INFINITY, 9][k % 3]!;
        }
        addon.setParallel(1);
        const one = [scans.firstOutsideUnitInterval(unit), scans.firstBadCount(counts, 8)];
        addon.setParallel(2);
        const two = [scans.firstOutsideUnitInterval(unit), scans.firstBadCount(counts, 8)];
        const least = plants.length === 0 ? -1 : Math.min(...plants);
        expect(one).toEqual([least, least]);
        expect(two).toEqual(one);
      }
    } finally {
      addon.setParallel(1);
    }
  });

  it('refuses what is not a Float32Array, and a max that is negative or NaN, with an ArgumentError', () => {
    const bad = [new Float64Array(3), new Uint32Array(3), [0.5], null] as unknown as Float32Array[];
    for (const x of bad) {
      expect(() => scans.firstOutsideUnitInterval(x)).toThrow(ArgumentError);
      expect(() => scans.firstBadCount(x, 3)).toThrow(ArgumentError);
    }
    expect(() => scans.firstBadCount(new Float32Array(3), -1)).toThrow(ArgumentError);
    expect(() => scans.firstBadCount(new Float32Array(3), Number.NaN)).toThrow(/maximum must be a number/);
  });

  describe('registration', () => {
    afterEach(() => disableNativeKernels());

    it('enableNativeKernels registers them in @varia/core, disableNativeKernels removes them; no tensor is made', () => {
      const before = tf.memory().numTensors;
      expect(hostScans()).toBeUndefined();
      enableNativeKernels({ parallel: 1 });
      const registered = hostScans();
      expect(registered).toBeDefined();
      const x = Float32Array.from([0, 0.5, -0, 1, Number.NaN]);
      expect(registered!.firstOutsideUnitInterval(x)).toBe(4);
      expect(registered!.firstBadCount(x, 1)).toBe(1);
      enableNativeKernels({ parallel: 1 }); // again: still registered
      expect(hostScans()).toBe(registered);
      disableNativeKernels();
      expect(hostScans()).toBeUndefined();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});
