import * as tf from '@tensorflow/tfjs-core';
import { DataError, SPARSE_DENSE_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { randomArray, skipNative } from './test-support.js';

/** A seeded CSR [rows, cols] with about `density` of its cells stored (some rows empty), values in (−1, 1). */
function randomCsr(rows: number, cols: number, density: number, seed: number) {
  const u = randomArray(rows * cols * 2, seed);
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if ((u[2 * (i * cols + j)]! + 1) / 2 < density && i % 5 !== 3) {
        indices.push(j);
        values.push(u[2 * (i * cols + j) + 1]!);
      }
    }
    indptr[i + 1] = indices.length;
  }
  return { rows, cols, indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) };
}

type Csr = ReturnType<typeof randomCsr>;

/** f in float64. */
const ACTIVATIONS: Record<string, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => Math.max(v, 0),
  relu6: (v) => Math.min(Math.max(v, 0), 6),
  leakyrelu: (v) => (v < 0 ? 0.2 * v : v),
  elu: (v) => (v < 0 ? Math.expm1(v) : v),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
};

/**
 * The float64 product b + X·W per output, and the standard float32 summation bound of each: (k + 1)·2⁻²⁴·(|b| +
 * Σ|x·w|) for the k stored entries of the row (Higham, Accuracy and Stability, §3.1).
 */
function reference(x: Csr, w: Float32Array, bias: Float32Array | undefined, units: number) {
  const value = new Float64Array(x.rows * units);
  const bound = new Float64Array(x.rows * units);
  for (let i = 0; i < x.rows; i++) {
    const count = x.indptr[i + 1]! - x.indptr[i]!;
    for (let u = 0; u < units; u++) {
      let s = bias ? bias[u]! : 0;
      let a = Math.abs(s);
      for (let e = x.indptr[i]!; e < x.indptr[i + 1]!; e++) {
        const t = x.values[e]! * w[x.indices[e]! * units + u]!;
        s += t;
        a += Math.abs(t);
      }
      value[i * units + u] = s;
      bound[i * units + u] = (count + 1) * 2 ** -24 * a;
    }
  }
  return { value, bound };
}

function run(x: Csr, w: tf.Tensor2D, bias: tf.Tensor1D | undefined, activation = 'linear'): tf.Tensor2D {
  return tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = {
      indptr: tf.tensor1d(x.indptr, 'int32'),
      indices: tf.tensor1d(x.indices, 'int32'),
      values: tf.tensor1d(x.values, 'float32'),
      kernel: w,
    };
    if (bias) inputs.bias = bias;
    return tf.engine().runKernel(SPARSE_DENSE_KERNEL, inputs, { activation }) as tf.Tensor2D;
  });
}

describe.skipIf(skipNative)(`native ${SPARSE_DENSE_KERNEL} on the wasm backend`, () => {
  beforeAll(() => {
    enableNativeKernels();
  });
  afterAll(() => {
    disableNativeKernels();
  });

  // 37 units: the vector loops and their remainders; 70 rows, 13 % stored, every fifth row empty
  const [rows, inDim, units] = [70, 50, 37];
  const x = randomCsr(rows, inDim, 0.13, 1);
  const wv = randomArray(inDim * units, 2);
  const bv = randomArray(units, 3);

  it('b + X·W within the float32 summation bound of the float64 product, also without bias', () => {
    const before = tf.memory().numTensors;
    const w = tf.tensor2d(wv, [inDim, units]);
    const b = tf.tensor1d(bv);
    for (const bias of [b, undefined]) {
      const y = run(x, w, bias);
      const { value, bound } = reference(x, wv, bias && bv, units);
      const got = y.dataSync();
      expect(y.shape).toEqual([rows, units]);
      for (let k = 0; k < value.length; k++) expect(Math.abs(got[k]! - value[k]!)).toBeLessThanOrEqual(bound[k]!);
      y.dispose();
    }
    tf.dispose([w, b]);
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const activation of Object.keys(ACTIVATIONS)) {
    it(`activation ${activation}: f(b + X·W) against float64`, () => {
      const w = tf.tensor2d(wv, [inDim, units]);
      const b = tf.tensor1d(bv);
      const y = run(x, w, b, activation);
      const { value, bound } = reference(x, wv, bv, units);
      const f = ACTIVATIONS[activation]!;
      const got = y.dataSync();
      // f is 1-Lipschitz here; its own float32 evaluation adds a few ulp
      for (let k = 0; k < value.length; k++)
        expect(Math.abs(got[k]! - f(value[k]!))).toBeLessThanOrEqual(bound[k]! + 4e-7 * (1 + Math.abs(f(value[k]!))));
      tf.dispose([w, b, y]);
    });
  }

  it('no rows: a [0, units] result; stored zeros and NaN propagate like a product does', () => {
    const w = tf.tensor2d(wv, [inDim, units]);
    const empty = run(
      { rows: 0, cols: inDim, indptr: new Int32Array([0]), indices: new Int32Array(0), values: new Float32Array(0) },
      w,
      undefined,
    );
    expect(empty.shape).toEqual([0, units]);
    const nan = run(
      {
        rows: 2,
        cols: inDim,
        indptr: Int32Array.of(0, 1, 2),
        indices: Int32Array.of(3, 4),
        values: Float32Array.of(0, Number.NaN),
      },
      w,
      undefined,
    );
    const got = nan.dataSync();
    expect(Array.from(got.subarray(0, units)).every((v) => v === 0)).toBe(true);
    expect(Array.from(got.subarray(units)).every(Number.isNaN)).toBe(true);
    tf.dispose([w, empty, nan]);
  });

  it('the portable loop (VARIA_NATIVE_NO_AVX512=1) meets the same bound as the AVX-512 tiles', () => {
    const w = tf.tensor2d(wv, [inDim, units]);
    const b = tf.tensor1d(bv);
    process.env.VARIA_NATIVE_NO_AVX512 = '1';
    try {
      const y = run(x, w, b);
      const { value, bound } = reference(x, wv, bv, units);
      const got = y.dataSync();
      for (let k = 0; k < value.length; k++) expect(Math.abs(got[k]! - value[k]!)).toBeLessThanOrEqual(bound[k]!);
      y.dispose();
    } finally {
      delete process.env.VARIA_NATIVE_NO_AVX512;
    }
    tf.dispose([w, b]);
  });

  it('parallel: 2 threads sharing blocks of rows give the same bits as one', () => {
    const big = randomCsr(600, 300, 0.2, 7);
    const wBig = randomArray(300 * 200, 8);
    const w = tf.tensor2d(wBig, [300, 200]);
    const one = run(big, w, undefined, 'relu');
    enableNativeKernels({ parallel: 2 });
    const two = run(big, w, undefined, 'relu');
    enableNativeKernels({ parallel: 1 });
    expect(Buffer.from(two.dataSync().buffer).equals(Buffer.from(one.dataSync().buffer))).toBe(true);
    tf.dispose([w, one, two]);
  });

  const malformed: [string, Partial<Csr>, RegExp][] = [
    ['indptr not from 0', { indptr: Int32Array.of(1, 1, 2) }, /indptr must run from 0/],
    ['indptr not to nnz', { indptr: Int32Array.of(0, 1, 1) }, /indptr must run from 0 to the 2/],
    [
      'decreasing indptr',
      { indptr: Int32Array.of(0, 2, 1, 3), indices: Int32Array.of(0, 1, 2), values: new Float32Array(3) },
      /indptr at row 1 goes from 2 to 1/,
    ],
    ['a row past nnz', { indptr: Int32Array.of(0, 5, 2) }, /row 0 goes from 0 to 5/],
    ['a column ≥ inDim', { indices: Int32Array.of(0, 50) }, /row 1: column index 50 is outside 0…49/],
    ['a negative column', { indices: Int32Array.of(-1, 2) }, /row 0: column index -1/],
    ['a huge column', { indices: Int32Array.of(0, 2 ** 31 - 1) }, /column index 2147483647/],
  ];
  for (const [what, change, message] of malformed) {
    it(`a malformed CSR (${what}) is a DataError before anything is read out of bounds, and leaks nothing`, () => {
      const w = tf.tensor2d(wv, [inDim, units]);
      const before = tf.memory().numTensors;
      const bad = {
        rows: 2,
        cols: inDim,
        indptr: Int32Array.of(0, 1, 2),
        indices: Int32Array.of(0, 1),
        values: Float32Array.of(1, 2),
        ...change,
      } as Csr;
      bad.rows = bad.indptr.length - 1;
      let error: unknown;
      try {
        run(bad, w, undefined);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toMatch(message);
      expect(tf.memory().numTensors).toBe(before);
      w.dispose();
    });
  }

  // A seeded property (this package has no fast-check): random CSR structures, half of them with one pointer or column
  // index changed to a hostile value, on widths that reach the 32-column tiles, the exact and the masked 16-column
  // ones. A structure that is valid by the definition (pointers from 0 to nnz, non-decreasing; columns in range) gives
  // b + X·W within the float32 bound of float64 (repeated or unsorted columns are summed, as a product does); any
  // other is a DataError; nothing leaks.
  it('random and hostile CSR structures: the product within its bound when valid, else a DataError', () => {
    const u = randomArray(300 * 64, 11);
    let next = 0;
    const draw = (n: number) => Math.floor(((u[next++ % u.length]! + 1) / 2) * n); // 0 … n − 1
    const hostile = [-1, 0, 1, 2 ** 31 - 1, -(2 ** 31), 3, 50];
    let [valid, invalid] = [0, 0];
    for (let trial = 0; trial < 300; trial++) {
      const [rowCount, dim, width] = [draw(7), [1, 3, 17][draw(3)]!, [1, 16, 17, 33][draw(4)]!];
      const indptr = [0];
      const indices: number[] = [];
      for (let i = 0; i < rowCount; i++) {
        for (let k = draw(4); k > 0; k--) indices.push(draw(dim));
        indptr.push(indices.length);
      }
      const csr: Csr = {
        rows: rowCount,
        cols: dim,
        indptr: Int32Array.from(indptr),
        indices: Int32Array.from(indices),
        values: Float32Array.from(randomArray(indices.length, trial + 100)),
      };
      if (draw(2) === 1) {
        const target = draw(2) === 0 || indices.length === 0 ? csr.indptr : csr.indices;
        target[draw(target.length)] = hostile[draw(hostile.length)]!;
      }
      const nnz = csr.indices.length;
      const p = csr.indptr;
      const isValid =
        p[0] === 0 &&
        p[rowCount] === nnz &&
        Array.from({ length: rowCount }, (_, i) => p[i + 1]! >= p[i]! && p[i + 1]! <= nnz).every(Boolean) &&
        Array.from(csr.indices).every((j) => j >= 0 && j < dim);
      const wValues = randomArray(dim * width, trial + 200);
      const bValues = randomArray(width, trial + 300);
      const w = tf.tensor2d(wValues, [dim, width]);
      const b = tf.tensor1d(bValues);
      const before = tf.memory().numTensors;
      if (isValid) {
        valid++;
        const y = run(csr, w, b);
        const { value, bound } = reference(csr, wValues, bValues, width);
        const got = y.dataSync();
        expect(y.shape).toEqual([rowCount, width]);
        for (let k = 0; k < value.length; k++) {
          expect(Math.abs(got[k]! - value[k]!), `trial ${trial}`).toBeLessThanOrEqual(bound[k]! + 1e-30);
        }
        y.dispose();
      } else {
        invalid++;
        expect(() => run(csr, w, b), `trial ${trial}`).toThrow(DataError);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([w, b]);
    }
    // both sides were exercised
    expect(valid).toBeGreaterThan(100);
    expect(invalid).toBeGreaterThan(50);
  });

  it('the addon refuses an output over indptr or indices (it would rewrite them after the check), and checks regions', () => {
    // 4 rows × 2 units out of a 3-column CSR: indptr at 0 (5 ints), indices at 64, values at 128 (8 entries each),
    // W at 256 (3 × 2), out at 512 (8 floats); every entry in column 2, so a write of out over them would send the
    // next row's reads far past W
    const heap = new ArrayBuffer(1024);
    const ints = new Int32Array(heap);
    ints.set([0, 2, 4, 6, 8], 0);
    ints.set([0, 2, 0, 2, 0, 2, 0, 2], 16);
    new Float32Array(heap, 128, 8).fill(1e30);
    new Float32Array(heap, 256, 6).fill(1e30);
    const addon = loadAddon();
    const call = (indptrOff: number, indicesOff: number, outOff: number) =>
      addon.sparseDense(heap, 4, 3, 2, 8, indptrOff, indicesOff, 128, 256, -1, outOff, 0, 0);
    expect(() => call(0, 64, 512)).not.toThrow();
    expect(new Float32Array(heap, 512, 8).every((v) => v === Infinity)).toBe(true);
    for (const outOff of [0, 4, 16, 60, 64, 92]) {
      expect(() => call(0, 64, outOff), String(outOff)).toThrow(/output overlaps indptr or indices/);
    }
    expect(() => call(0, 64, 96)).not.toThrow(); // just after indices: no overlap
    expect(() => call(0, 64, 1000)).toThrow(/outside the heap/);
    expect(() => call(2, 64, 512)).toThrow(/outside the heap/); // misaligned
  });

  it('refuses mismatched shapes and unknown activations', () => {
    const w = tf.tensor2d(wv, [inDim, units]);
    const bad = { ...x, values: x.values.subarray(1) };
    expect(() => run(bad, w, undefined)).toThrow(/shapes do not match/);
    expect(() => run(x, w, tf.tensor1d([1, 2]))).toThrow(/shapes do not match/);
    expect(() => run(x, w, undefined, 'tanh')).toThrow(/unsupported activation "tanh"/);
    w.dispose();
  });
});
