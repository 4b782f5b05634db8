import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  LIKELIHOOD_STEP_KERNELS,
  MUL_SUB_KERNEL,
  SCALED_SUM_KERNEL,
  ShapeError,
  TABLE_LOOKUP_KERNEL,
} from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { expectSameBits, float32Bits, randomArray, skipNative } from './test-support.js';

const POISSON = LIKELIHOOD_STEP_KERNELS.poisson;

/** log k! for k < size summed in float64 (the definition; rounded to float32 for the kernel's table). */
function logFactorials(size: number): Float64Array {
  const t = new Float64Array(size);
  for (let k = 2; k < size; k++) t[k] = t[k - 1]! + Math.log(k);
  return t;
}
const TABLE64 = logFactorials(1024);
const TABLE = Float32Array.from(TABLE64);

/** Counts in 0 … max − 1: about `zeros` of them 0 (count data is mostly zeros), the rest spread over the range. */
function counts(size: number, seed: number, max = 1024, zeros = 0.5): Float32Array {
  const u = randomArray(size, seed);
  const v = randomArray(size, seed + 1);
  return u.map((a, i) => (Math.abs(a) < zeros ? 0 : Math.floor(((v[i]! + 1) / 2) * max)));
}

/** Log-rates with edges (±∞, NaN, ±100, ±0, large rates up to e^88.7 and past it) among random values of several scales. */
function logRates(size: number, seed: number): Float32Array {
  const special = [Infinity, -Infinity, Number.NaN, 100, -100, 0, -0, 30, -30, 88.7, 88.8, -104, 60, 1e-30];
  const u = randomArray(size, seed);
  return u.map((v, i) => (i % 13 === 6 ? special[Math.floor(i / 13) % special.length]! : v * 10 ** ((i % 3) - 1) * 6));
}

/** The kernels the fused step runs without the fused kernel: Exp, the table look-up, MulSub, Sub, Sum, ScaledSum. */
function separate(x: tf.Tensor2D, logRate: tf.Tensor2D, table: tf.Tensor1D, g: number): tf.Tensor[] {
  const e = tf.engine();
  const [logFactorial, misses] = e.runKernel(TABLE_LOOKUP_KERNEL, { x, table }) as tf.Tensor[];
  const rate = e.runKernel(tf.Exp, { x: logRate }) as tf.Tensor;
  const d = e.runKernel(MUL_SUB_KERNEL, { a: x, b: logRate, c: rate }) as tf.Tensor;
  const lp = e.runKernel(tf.Sub, { a: d, b: logFactorial! }) as tf.Tensor;
  const sums = e.runKernel(tf.Sum, { x: lp }, { axis: [1], keepDims: false }) as tf.Tensor;
  const dOut = e.runKernel(SCALED_SUM_KERNEL, { x, z: rate }, { alpha: g, beta: -g }) as tf.Tensor;
  tf.dispose([logFactorial!, rate, d, lp]);
  return [sums, dOut, misses!];
}

function fused(x: tf.Tensor, logRate: tf.Tensor, table: tf.Tensor, g: number): tf.Tensor[] {
  return tf.engine().runKernel(POISSON, { x, logRate, table }, { g }) as tf.Tensor[];
}

/** How many elements differ in their bits (NaNs included). */
function bitDifferences(a: Uint32Array, b: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe.skipIf(skipNative)('the fused Poisson likelihood kernel on the wasm backend', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it.each([
    ['AVX-512 (where the CPU has it)', false],
    ['portable (VARIA_NATIVE_NO_AVX512=1)', true],
  ])(
    'gives the bits of Exp, the table look-up, MulSub, Sub, Sum and ScaledSum (n 1, 17, 128; D 1 … 2000): %s',
    (_, portable) => {
      const before = tf.memory().numTensors;
      const table = tf.tensor1d(TABLE);
      if (portable) process.env.VARIA_NATIVE_NO_AVX512 = '1';
      let seed = 1;
      try {
        for (const n of [1, 17, 128])
          for (const cols of [1, 7, 8, 9, 17, 511, 512, 513, 784, 2000]) {
            seed += 2;
            const x = tf.tensor2d(counts(n * cols, seed), [n, cols]);
            const l = tf.tensor2d(logRates(n * cols, seed + 100), [n, cols]);
            const g = Math.fround(-1 / n);
            const [sums, dOut, misses] = fused(x, l, table, g);
            const [wantSums, wantDOut, wantMisses] = separate(x, l, table, g);
            expect(sums!.shape).toEqual([n]);
            expect(dOut!.shape).toEqual([n, cols]);
            expect(misses!.shape).toEqual([]);
            expect(misses!.dataSync()[0]).toBe(0);
            expect(wantMisses!.dataSync()[0]).toBe(0);
            // the same bits, NaN payloads included
            expect(bitDifferences(float32Bits(sums!), float32Bits(wantSums!)), `rowSums n=${n} D=${cols}`).toBe(0);
            expect(bitDifferences(float32Bits(dOut!), float32Bits(wantDOut!)), `dOut n=${n} D=${cols}`).toBe(0);
            tf.dispose([x, l, sums!, dOut!, misses!, wantSums!, wantDOut!, wantMisses!]);
          }
      } finally {
        delete process.env.VARIA_NATIVE_NO_AVX512;
      }
      table.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('gives the same bits on finite rows, where the sums are numbers (no NaN to hide a difference)', () => {
    const table = tf.tensor1d(TABLE);
    for (const [n, cols, seed] of [
      [128, 784, 5],
      [17, 2000, 6],
      [3, 1, 7],
    ] as const) {
      const x = tf.tensor2d(counts(n * cols, seed, 256, 0.8), [n, cols]);
      const l = tf.tensor2d(
        randomArray(n * cols, seed + 50).map((v) => v * 4),
        [n, cols],
      );
      const [sums, dOut, misses] = fused(x, l, table, -1 / n);
      const [wantSums, wantDOut, wantMisses] = separate(x, l, table, Math.fround(-1 / n));
      expect(Array.from(sums!.dataSync()).every(Number.isFinite)).toBe(true);
      expectSameBits(float32Bits(sums!), float32Bits(wantSums!), 'rowSums');
      expectSameBits(float32Bits(dOut!), float32Bits(wantDOut!), 'dOut');
      tf.dispose([x, l, sums!, dOut!, misses!, wantSums!, wantDOut!, wantMisses!]);
    }
    table.dispose();
  });

  it('row sums and dOut match float64 log p = x·ℓ − e^ℓ − log x! and g·(x − e^ℓ) within float32 rounding', () => {
    const n = 9,
      cols = 784;
    const xs = counts(n * cols, 21, 300, 0.6);
    const ls = randomArray(n * cols, 22).map((v) => v * 5);
    const x = tf.tensor2d(xs, [n, cols]);
    const l = tf.tensor2d(ls, [n, cols]);
    const table = tf.tensor1d(TABLE);
    const [sums, dOut, misses] = fused(x, l, table, -0.25);
    const got = sums!.dataSync();
    const grad = dOut!.dataSync();
    for (let r = 0; r < n; r++) {
      let want = 0,
        scale = 0;
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const rate = Math.exp(ls[i]!);
        const term = xs[i]! * ls[i]! - rate - TABLE64[xs[i]!]!;
        want += term;
        scale += Math.abs(xs[i]! * ls[i]!) + rate + TABLE64[xs[i]!]!;
        expect(Math.abs(grad[i]! - -0.25 * (xs[i]! - rate))).toBeLessThanOrEqual(2e-7 * (xs[i]! + rate));
      }
      expect(Math.abs(got[r]! - want)).toBeLessThanOrEqual(4e-6 * scale);
    }
    tf.dispose([x, l, table, sums!, dOut!, misses!]);
  });

  it('counts every value of x that is not a count in the table (negative, fractional, too large, ±∞, NaN)', () => {
    const table = tf.tensor1d(TABLE);
    const bad = [-1, 0.5, 1023.5, 1024, 1e6, 2 ** 23, 2 ** 24, -0.25, Infinity, -Infinity, Number.NaN, 3e38];
    for (const cols of [1, 16, 784]) {
      const n = 5;
      const xs = counts(n * cols, 31);
      const at = bad.map((_, i) => (i * 397) % (n * cols));
      const used = new Set(at);
      bad.forEach((v, i) => {
        xs[at[i]!] = v;
      });
      const x = tf.tensor2d(xs, [n, cols]);
      const l = tf.tensor2d(randomArray(n * cols, 32), [n, cols]);
      const [sums, dOut, misses] = fused(x, l, table, -0.2);
      expect(misses!.dataSync()[0], `D=${cols}`).toBe(used.size);
      // the same values the look-up kernel counts
      const [, lookupMisses] = tf.engine().runKernel(TABLE_LOOKUP_KERNEL, { x, table }) as tf.Tensor[];
      expect(misses!.dataSync()[0]).toBe(lookupMisses!.dataSync()[0]);
      tf.dispose([x, l, sums!, dOut!, misses!, lookupMisses!]);
    }
    tf.tidy(() => {
      // −0 and the last entry are counts; a table of one entry holds only 0
      expect(fused(tf.tensor2d([-0, 1023], [1, 2]), tf.zeros([1, 2]), table, 1)[2]!.dataSync()[0]).toBe(0);
      expect(fused(tf.tensor2d([0, 1], [1, 2]), tf.zeros([1, 2]), tf.tensor1d([0]), 1)[2]!.dataSync()[0]).toBe(1);
    });
    table.dispose();
  });

  it('gives the same bits with the rows shared between two threads', () => {
    const n = 512,
      cols = 784;
    const x = tf.tensor2d(counts(n * cols, 41), [n, cols]);
    const l = tf.tensor2d(logRates(n * cols, 42), [n, cols]);
    const table = tf.tensor1d(TABLE);
    const one = fused(x, l, table, -1 / n);
    enableNativeKernels({ parallel: 2 });
    try {
      const two = fused(x, l, table, -1 / n);
      for (const k of [0, 1, 2]) expect(bitDifferences(float32Bits(two[k]!), float32Bits(one[k]!))).toBe(0);
      tf.dispose(two);
    } finally {
      enableNativeKernels({ parallel: 1 });
    }
    tf.dispose([x, l, table, ...one]);
  });

  it('refuses a wrong dtype, shape, table or attribute with a VariaError naming it, leaving nothing allocated', () => {
    const [x, l, wide, ints, table, matrix] = [
      tf.zeros([3, 4]),
      tf.zeros([3, 4]),
      tf.zeros([3, 5]),
      tf.zeros([3, 4], 'int32'),
      tf.tensor1d(TABLE),
      tf.zeros([2, 2]),
    ];
    const before = tf.memory().numTensors;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const data = backend.numDataIds();
    const call = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => () =>
      tf.engine().runKernel(POISSON, inputs, attrs as tf.NamedAttrMap);
    expect(call({ x, logRate: wide, table }, { g: 1 })).toThrow(ShapeError);
    expect(call({ x, table }, { g: 1 })).toThrow(/"logRate"/);
    expect(call({ x: ints, logRate: l, table }, { g: 1 })).toThrow(ArgumentError);
    expect(call({ x, logRate: l }, { g: 1 })).toThrow(/"table"/);
    expect(call({ x, logRate: l, table: matrix }, { g: 1 })).toThrow(/"table"/);
    expect(call({ x, logRate: l, table }, {})).toThrow(/"g"/);
    expect(tf.memory().numTensors).toBe(before);
    expect(backend.numDataIds()).toBe(data);
    tf.dispose([x, l, wide, ints, table, matrix]);
  });

  it('the addon checks every region and refuses outputs that overlap an input or each other', () => {
    const addon = loadAddon();
    const heap = new ArrayBuffer(4096);
    // [family 1, rows, cols, g, x, logRate, sums, dOut, table, tableSize, aux]: 2×4 x at 0, ℓ at 64, sums at 128,
    // dOut at 192, a table of 8 at 256
    const args = (over: Record<number, number> = {}) => {
      const a = [1, 2, 4, -0.5, 0, 64, 128, 192, 256, 8, -1];
      for (const [i, v] of Object.entries(over)) a[Number(i)] = v;
      return Float64Array.from(a);
    };
    expect(addon.likelihoodStep(heap, args())).toBe(0);
    expect(() => addon.likelihoodStep(heap, args({ 7: 4096 - 16 }))).toThrow(/outside the heap/);
    expect(() => addon.likelihoodStep(heap, args({ 8: -1 }))).toThrow(/needs a table/);
    expect(() => addon.likelihoodStep(heap, args({ 9: 0 }))).toThrow(/table size/);
    expect(() => addon.likelihoodStep(heap, args({ 8: 4096 - 16 }))).toThrow(/outside the heap/);
    expect(() => addon.likelihoodStep(heap, args({ 5: 2 }))).toThrow(/outside the heap/); // misaligned
    expect(() => addon.likelihoodStep(heap, args({ 7: 16 }))).toThrow(/overlap/); // dOut over x
    expect(() => addon.likelihoodStep(heap, args({ 6: 192 }))).toThrow(/overlap/); // sums over dOut
    expect(() => addon.likelihoodStep(heap, args({ 7: 256 }))).toThrow(/overlap/); // dOut over the table
  });
});
