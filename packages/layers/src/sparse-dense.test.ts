import { fc, test as fcTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { DataError, type SparseMatrix, VariaError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { Dense } from './dense.js';
import { denseOfSparse, sparseDenseIsNative } from './sparse-dense.js';

/** The CSR of a dense row-major matrix, by the definition. */
function csrOf(data: Float32Array, rows: number, cols: number): SparseMatrix {
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (data[i * cols + j] !== 0) {
        indices.push(j);
        values.push(data[i * cols + j]!);
      }
    }
    indptr.push(indices.length);
  }
  return {
    rows,
    cols,
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float32Array.from(values),
  };
}

/** A seeded matrix with about 70 % zeros, values in [0, 3). */
function sparseData(rows: number, cols: number, seed: number): Float32Array {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return Float32Array.from({ length: rows * cols }, () => (next() < 0.7 ? 0 : Math.floor(next() * 30) / 10));
}

describe('denseOfSparse', () => {
  const [rows, inputDim, units] = [9, 12, 5];
  const data = sparseData(rows, inputDim, 3);

  for (const activation of ['relu', 'tanh', 'softplus'] as const) {
    it(`${activation}: the layer applied to the densified rows, with the values transform, and leaks nothing`, () => {
      const layer = new Dense({ inputDim, units, activation, seed: 1 });
      const before = tf.memory().numTensors;
      const y = denseOfSparse(layer, csrOf(data, rows, inputDim), { transformValues: (v) => tf.log1p(v) });
      const expected = tf.tidy(() => layer.apply(tf.log1p(tf.tensor2d(data, [rows, inputDim]))));
      expect(y.shape).toEqual([rows, units]);
      const [got, want] = [y.dataSync(), expected.dataSync()];
      // the same product on this backend (no sparse kernel): equal to rounding
      for (let k = 0; k < got.length; k++) expect(got[k]).toBeCloseTo(want[k]!, 5);
      tf.dispose([y, expected]);
      expect(tf.memory().numTensors).toBe(before);
      layer.dispose();
    });
  }

  it('runs on the densified rows where the backend has no sparse kernel (cpu)', () => {
    expect(sparseDenseIsNative()).toBe(false);
  });

  it('densifies a large matrix in blocks of rows (2,100 × 2,000: two blocks) with the bits of the whole dense product', () => {
    const [n, d] = [2100, 2000];
    const big = new Float32Array(n * d);
    for (let k = 0; k < big.length; k += 37) big[k] = (k % 7) + 0.5; // ~3 % stored
    const layer = new Dense({ inputDim: d, units: 3, activation: 'relu', seed: 4 });
    const y = denseOfSparse(layer, csrOf(big, n, d), { transformValues: (v) => tf.log1p(v) });
    const expected = tf.tidy(() => layer.apply(tf.log1p(tf.tensor2d(big, [n, d]))));
    expect(y.shape).toEqual([n, 3]);
    expect(y.dataSync()).toEqual(expected.dataSync());
    tf.dispose([y, expected]);
    layer.dispose();
  });

  it('no rows: [0, units]', () => {
    const layer = new Dense({ inputDim, units, seed: 1 });
    const y = denseOfSparse(layer, {
      rows: 0,
      cols: inputDim,
      indptr: new Int32Array([0]),
      indices: new Int32Array(0),
      data: new Float32Array(0),
    });
    expect(y.shape).toEqual([0, units]);
    y.dispose();
    layer.dispose();
  });

  it('a wrong width is a ShapeError naming x; a disposed layer a DisposedError', () => {
    const layer = new Dense({ inputDim, units, seed: 1 });
    expect(() => denseOfSparse(layer, csrOf(data, rows * 2, inputDim / 2))).toThrow(
      /input must have 12 columns, got 6/,
    );
    layer.dispose();
    expect(() => denseOfSparse(layer, csrOf(data, rows, inputDim))).toThrow(/disposed/);
  });

  // hostile CSR: every input either works or throws a VariaError, and no tensor is left behind
  const layer = new Dense({ inputDim: 6, units: 3, seed: 2 });
  fcTest.prop(
    [
      fc.integer({ min: 0, max: 4 }),
      fc.array(fc.integer({ min: -2, max: 9 }), { maxLength: 6 }),
      fc.array(fc.integer({ min: -2, max: 8 }), { maxLength: 10 }),
      fc.array(fc.oneof(fc.float({ noDefaultInfinity: false }), fc.constant(Number.NaN)), { maxLength: 10 }),
    ],
    { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 100), seed: 17 },
  )('hostile CSR arrays: a result or a VariaError, never a leak', (rowCount, indptr, indices, values) => {
    const x = {
      rows: rowCount,
      cols: 6,
      indptr: Int32Array.from(indptr),
      indices: Int32Array.from(indices),
      data: Float32Array.from(values),
    };
    const before = tf.memory().numTensors;
    try {
      denseOfSparse(layer, x).dispose();
    } catch (e) {
      expect(e).toBeInstanceOf(VariaError);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a column outside the matrix is a DataError naming the row', () => {
    const x = {
      rows: 2,
      cols: 6,
      indptr: Int32Array.of(0, 1, 2),
      indices: Int32Array.of(0, 6),
      data: Float32Array.of(1, 1),
    };
    expect(() => denseOfSparse(layer, x)).toThrow(DataError);
    expect(() => denseOfSparse(layer, x)).toThrow(/row 1: column index 6 is outside 0…5/);
  });
});
