// The float32 domain scans with and without the native host scans that enableNativeKernels registers in @varia/core:
// the same index on random data with bad values planted anywhere (the JS loops are the reference the native scans must
// match; both are also checked against the plain comparisons), and VAE.encode / validateDomain on wasm-native report
// the same row and column as on cpu. VARIA_PROPERTY_RUNS=N runs N random cases (default 150).
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { DataError, hostScans, registerHostScans } from '@varia/core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EXACT_COUNT, validateDomain } from './data.js';
import { firstBadCount, firstOutsideUnitInterval } from './domain-scan.js';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';
import { VAE } from './index.js';

checkTensorLeaksPerTest();

const nativeProblem = nativeKernelsProblem();
if (nativeProblem) console.warn(`native host scans skipped: ${nativeProblem}`);
const RUNS = Number(process.env.VARIA_PROPERTY_RUNS ?? 150);

/** A scan with the native host scans (registered by enableNativeKernels), then with none (the JavaScript loops). */
function bothWays<T>(scan: () => T): { native: T; js: T } {
  const registered = hostScans();
  expect(registered).toBeDefined();
  const native = scan();
  registerHostScans(undefined);
  try {
    return { native, js: scan() };
  } finally {
    registerHostScans(registered);
  }
}

const f32 = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0]!;
/** −0, NaN with the sign bit set, the smallest subnormals of both signs, 1 + ulp, ±∞, counts' edges. */
const SPECIAL = [
  -0,
  f32(0xffc00000),
  Number.NaN,
  2 ** -149,
  -(2 ** -149),
  Math.fround(1 + 2 ** -23),
  Infinity,
  -Infinity,
];
const COUNT_EDGES = [0.5, MAX_EXACT_COUNT, MAX_EXACT_COUNT + 2, -1, 3];

/** Lengths 0–17 and around the JS loop's 8-value and the native loop's 256-value blocks, with planted values. */
const data = (good: fc.Arbitrary<number>, bad: fc.Arbitrary<number>) =>
  fc.oneof(fc.integer({ min: 0, max: 17 }), fc.integer({ min: 250, max: 520 })).chain((n) =>
    fc
      .tuple(
        fc.array(good, { minLength: n, maxLength: n }),
        fc.array(fc.tuple(fc.oneof(fc.constant(0), fc.constant(n - 1), fc.nat(Math.max(0, n - 1))), bad), {
          maxLength: n === 0 ? 0 : 3,
        }),
      )
      .map(([values, plants]) => {
        const x = Float32Array.from(values);
        for (const [i, v] of plants) x[i] = v;
        return x;
      }),
  );

describe.skipIf(nativeProblem !== undefined)('the domain scans with the native host scans registered', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => disableNativeKernels());

  it('firstOutsideUnitInterval: the native and JS scans give the same index, that of ¬(v ≥ 0 ∧ v ≤ 1)', () => {
    const bad = fc.oneof(fc.constantFrom(...SPECIAL), fc.float());
    fc.assert(
      fc.property(data(fc.float({ min: 0, max: 1, noNaN: true }), bad), (x) => {
        const { native, js } = bothWays(() => firstOutsideUnitInterval(x));
        expect(native).toBe(js);
        expect(js).toBe(x.findIndex((v) => !(v >= 0 && v <= 1)));
      }),
      { numRuns: RUNS, seed: 81 },
    );
  });

  it('firstBadCount: the native and JS scans give the same index, that of ¬(v ≥ 0 ∧ v ≤ 2²⁴ ∧ ⌊v⌋ = v)', () => {
    const good = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 }), fc.constant(MAX_EXACT_COUNT));
    const bad = fc.oneof(fc.constantFrom(...SPECIAL, ...COUNT_EDGES), fc.float());
    fc.assert(
      fc.property(data(good, bad), (x) => {
        const { native, js } = bothWays(() => firstBadCount(x, MAX_EXACT_COUNT));
        expect(native).toBe(js);
        expect(js).toBe(x.findIndex((v) => !(v >= 0 && v <= MAX_EXACT_COUNT && Math.floor(v) === v)));
      }),
      { numRuns: RUNS, seed: 82 },
    );
  });

  it('validateDomain and VAE.encode on wasm-native locate a bad value where cpu does, and change nothing', async () => {
    const rows = 40;
    const cols = 12;
    const x = new Float32Array(rows * cols).fill(0.25);
    x[17 * cols + 5] = Math.fround(1 + 2 ** -23);
    const matrix = { data: x, rows, cols };
    const error = (f: () => unknown): DataError => {
      try {
        f();
      } catch (e) {
        return e as DataError;
      }
      throw new Error('no error');
    };
    const vae = new VAE({ inputDim: cols, latentDim: 2, hiddenUnits: 8, likelihood: 'bernoulli', seed: 3 });
    try {
      const onCpu = error(() => vae.encode(matrix));
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const onNative = error(() => vae.encode(matrix));
      expect(onNative).toBeInstanceOf(DataError);
      expect(onNative.location).toEqual({ row: 17, column: 6 });
      expect(onNative.location).toEqual(onCpu.location);
      expect(onNative.message).toBe(onCpu.message);
      const counts = { data: Float32Array.from([0, 2, 0, 0.5]), rows: 2, cols: 2 };
      expect(error(() => validateDomain(counts, 'counts', 'poisson')).location).toEqual({ row: 1, column: 2 });
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      await tf.setBackend('cpu');
      vae.dispose();
    }
  });
});
