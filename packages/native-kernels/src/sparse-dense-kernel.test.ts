import * as tf from '@tensorflow/tfjs-core';
import { SPARSE_DENSE_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { bv, inDim, randomCsr, reference, rows, run, units, wv, x } from './sparse-dense-test-support.js';
import { ACTIVATIONS, FORWARD_ACTIVATIONS } from './sparse-input-test-support.js';
import { randomArray, skipNative } from './test-support.js';

describe.skipIf(skipNative)(`native ${SPARSE_DENSE_KERNEL} on the wasm backend`, () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

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

  for (const activation of FORWARD_ACTIVATIONS) {
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

  it('parallel: 2 threads sharing the column tiles give the same bits as one', () => {
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

  it('several row blocks, a wide sparse input (columns listed and sorted) and a repeated column within bound', () => {
    for (const [big, width] of [
      [randomCsr(300, 60, 0.3, 11), 70],
      [randomCsr(130, 12_000, 0.0012, 12), 37],
    ] as const) {
      const wBig = randomArray(big.cols * width, 13);
      const w = tf.tensor2d(wBig, [big.cols, width]);
      const repeated = { ...big, indices: big.indices.slice() };
      const row = repeated.indptr.findIndex((e, i) => repeated.indptr[i + 1]! - e >= 2);
      repeated.indices[repeated.indptr[row]! + 1] = repeated.indices[repeated.indptr[row]!]!; // a column twice
      for (const csr of [big, repeated]) {
        const y = run(csr, w, undefined);
        const { value, bound } = reference(csr, wBig, undefined, width);
        const got = y.dataSync();
        for (let k = 0; k < value.length; k++) expect(Math.abs(got[k]! - value[k]!)).toBeLessThanOrEqual(bound[k]!);
        y.dispose();
      }
      w.dispose();
    }
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
