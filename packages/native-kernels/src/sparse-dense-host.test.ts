// SPARSE_DENSE_HOST_KERNEL (sparseDenseHost): the CSR arrays read in place on the host. Its bits against
// SPARSE_DENSE_KERNEL's on the uploaded arrays (the same row kernel), its structure check against assertSparseMatrix
// of @varia/core on generated structures (fast-check: the same verdict, row and column), and its refusals.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, assertSparseMatrix, DataError, SPARSE_DENSE_HOST_KERNEL, VariaError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { type Csr, randomCsr, run } from './sparse-dense-test-support.js';
import { randomArray, skipNative } from './test-support.js';

/** The host kernel on x: values in place, or (`valuesOnHeap`) uploaded as the input `values`. */
function runHost(
  x: Pick<Csr, 'indptr' | 'indices' | 'values'>,
  w: tf.Tensor2D,
  bias: tf.Tensor1D | undefined,
  options: { activation?: string; valuesOnHeap?: boolean; log1p?: boolean } = {},
): tf.Tensor2D {
  return tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = { kernel: w };
    if (bias) inputs.bias = bias;
    if (options.valuesOnHeap) inputs.values = tf.tensor1d(x.values, 'float32');
    const attrs = {
      indptr: x.indptr,
      indices: x.indices,
      ...(!options.valuesOnHeap && { values: x.values }),
      activation: options.activation ?? 'linear',
      ...(options.log1p && { valuesTransform: 'log1p' }),
    };
    return tf.engine().runKernel(SPARSE_DENSE_HOST_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
  });
}

/** The error `f` throws, or undefined. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A copy of `a` as a view at an element offset into a larger buffer (byteOffset ≠ 0). */
function viewOf<T extends Int32Array | Float32Array>(a: T, shift: number): T {
  const Ctor = a.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => T;
  const view = new Ctor(new ArrayBuffer((a.length + shift + 3) * 4), shift * 4, a.length);
  view.set(a);
  return view;
}

describe.skipIf(skipNative)(`native ${SPARSE_DENSE_HOST_KERNEL} on the wasm backend`, () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it("gives SPARSE_DENSE_KERNEL's bits (values in place or on the heap, views at an offset, activations, 1 … 413 units)", () => {
    for (const [rows, inDim, units, density, seed] of [
      [70, 50, 37, 0.13, 1],
      [300, 784, 400, 0.19, 2],
      [9, 30, 1, 0.5, 3],
      [40, 200, 413, 0.05, 4],
    ] as const) {
      const x = randomCsr(rows, inDim, density, seed);
      const w = tf.tensor2d(randomArray(inDim * units, seed + 10), [inDim, units]);
      const b = tf.tensor1d(randomArray(units, seed + 20));
      const shifted = { indptr: viewOf(x.indptr, 3), indices: viewOf(x.indices, 1), values: viewOf(x.values, 2) };
      const before = tf.memory().numTensors;
      for (const activation of ['linear', 'relu', 'sigmoid']) {
        for (const bias of [b, undefined]) {
          const want = run(x, w, bias, activation);
          for (const [input, valuesOnHeap] of [
            [x, false],
            [x, true],
            [shifted, false],
          ] as const) {
            const got = runHost(input, w, bias, { activation, valuesOnHeap });
            expect(got.shape).toEqual([rows, units]);
            expect(new Uint32Array(got.dataSync().buffer)).toEqual(new Uint32Array(want.dataSync().buffer));
            got.dispose();
          }
          want.dispose();
        }
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([w, b]);
    }
  });

  it("valuesTransform 'log1p': the bits of the product of tf.log1p(values) on the heap (counts, and values off the table)", () => {
    const x = randomCsr(200, 300, 0.1, 6);
    const w = tf.tensor2d(randomArray(300 * 37, 7), [300, 37]);
    const b = tf.tensor1d(randomArray(37, 8));
    const before = tf.memory().numTensors;
    const u = randomArray(x.values.length, 9);
    // counts 0 … 40 (the table), then a block with a fraction, a large count and −0 (varia_log1p for the rest)
    for (const values of [
      Float32Array.from(u, (v) => Math.floor((v + 1) * 20)),
      Float32Array.from(u, (v, e) => (e === 700 ? 2.5 : e === 701 ? 5000 : e === 702 ? -0 : Math.floor((v + 1) * 20))),
    ]) {
      const counts = { ...x, values };
      const want = tf.tidy(() => {
        const logged = tf.log1p(tf.tensor1d(values)).dataSync() as Float32Array;
        return runHost({ ...counts, values: Float32Array.from(logged) }, w, b, { activation: 'relu' });
      });
      const got = runHost(counts, w, b, { activation: 'relu', log1p: true });
      expect(new Uint32Array(got.dataSync().buffer)).toEqual(new Uint32Array(want.dataSync().buffer));
      tf.dispose([got, want]);
    }
    const onHeap = thrown(() => runHost(x, w, b, { valuesOnHeap: true, log1p: true }));
    expect(onHeap).toBeInstanceOf(ArgumentError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, b]);
  });

  it("checks the structure with assertSparseMatrix's rules: the same verdict, row and column on generated CSRs, no leak", () => {
    const hostile = [-1, 0, 1, 2, 5, 2 ** 31 - 1, -(2 ** 31)];
    const csrs = fc
      .record({
        dim: fc.integer({ min: 1, max: 12 }),
        rowsOf: fc.array(fc.array(fc.nat(15), { maxLength: 6 }), { maxLength: 8 }),
        sortRows: fc.boolean(),
        mutation: fc.option(fc.tuple(fc.boolean(), fc.nat(), fc.constantFrom(...hostile)), { nil: undefined }),
        units: fc.constantFrom(1, 16, 17, 33),
      })
      .map(({ dim, rowsOf, sortRows, mutation, units }) => {
        // columns drawn in 0 … 15, some past dim; sorted rows with their repeats removed are well-formed unless mutated
        const cells = rowsOf.map((r) => (sortRows ? [...new Set(r.map((j) => j % dim))].sort((a, c) => a - c) : r));
        const indptr = Int32Array.from([0, ...cells.map((_, i) => cells.slice(0, i + 1).flat().length)]);
        const indices = Int32Array.from(cells.flat());
        if (mutation) {
          const [onPointers, at, value] = mutation;
          const target = onPointers || indices.length === 0 ? indptr : indices;
          target[at % target.length] = value;
        }
        const values = Float32Array.from(randomArray(indices.length, indices.length + 7));
        return { rows: cells.length, cols: dim, indptr, indices, values, data: values, units };
      });
    let [valid, invalid] = [0, 0];
    fc.assert(
      fc.property(csrs, (x) => {
        const before = tf.memory().numTensors;
        const w = tf.tensor2d(randomArray(x.cols * x.units, 5), [x.cols, x.units]);
        const want = thrown(() => assertSparseMatrix(x, 'x'));
        let bits: Uint32Array[] = [];
        const got = thrown(() => {
          const ys = [runHost(x, w, undefined)];
          ys.push(run(x, w, undefined));
          bits = ys.map((y) => new Uint32Array(Float32Array.from(y.dataSync()).buffer));
          tf.dispose(ys);
        });
        w.dispose();
        expect(tf.memory().numTensors).toBe(before);
        if (want === undefined) {
          valid++;
          expect(got).toBeUndefined();
          expect(bits[0]).toEqual(bits[1]); // the same row kernel as SPARSE_DENSE_KERNEL's
          return;
        }
        invalid++;
        expect(got).toBeInstanceOf(DataError);
        const [g, e] = [got as DataError, want as DataError];
        expect(g.location).toEqual(e.location);
      }),
      { numRuns: 400, seed: 17 },
    );
    expect(valid).toBeGreaterThan(60);
    expect(invalid).toBeGreaterThan(60);
  });

  it('refuses what it cannot read in place, as a VariaError, with nothing leaked', () => {
    const x = randomCsr(6, 10, 0.4, 9);
    const w = tf.tensor2d(randomArray(40, 1), [10, 4]);
    const before = tf.memory().numTensors;
    const shared = new Int32Array(new SharedArrayBuffer(x.indptr.byteLength));
    shared.set(x.indptr);
    const cases: [string, Partial<Record<'indptr' | 'indices' | 'values', unknown>>, new (...a: never[]) => Error][] = [
      ['indptr over a SharedArrayBuffer', { indptr: shared }, ArgumentError],
      ['indices as a Float32Array', { indices: Float32Array.from(x.indices) }, ArgumentError],
      ['values as a Float64Array', { values: Float64Array.from(x.values) }, ArgumentError],
      ['indptr missing', { indptr: undefined }, ArgumentError],
      ['one value too few', { values: x.values.subarray(1) }, VariaError],
    ];
    for (const [what, change, kind] of cases) {
      const error = thrown(() => runHost({ ...x, ...change } as Csr, w, undefined));
      expect(error, what).toBeInstanceOf(kind);
      expect(tf.memory().numTensors, what).toBe(before);
    }
    w.dispose();
  });

  it('the addon checks the arrays and regions itself (types, lengths, heap bounds, an output over the structure)', () => {
    const addon = loadAddon();
    const heap = new ArrayBuffer(1024);
    const indptr = Int32Array.of(0, 1, 2);
    const indices = Int32Array.of(0, 2);
    const values = Float32Array.of(1, 2);
    // W [3, 2] at 256, y [2, 2] at 512
    const call = (over: Partial<Record<string, unknown>> = {}) => {
      const a = { indptr, indices, values, rows: 2, wOff: 256, outOff: 512, transform: 0, ...over };
      return () =>
        (addon.sparseDenseHost as (...args: unknown[]) => void)(
          heap,
          a.indptr,
          a.indices,
          a.values,
          a.rows,
          3,
          2,
          a.wOff,
          -1,
          a.outOff,
          0,
          0,
          a.transform,
        );
    };
    new Float32Array(heap, 256, 6).set([1, 2, 3, 4, 5, 6]);
    expect(call()).not.toThrow();
    expect(Array.from(new Float32Array(heap, 512, 4))).toEqual([1, 2, 10, 12]);
    expect(call({ rows: 3 })).toThrow(/rows \+ 1 row pointers/);
    expect(call({ values: Float32Array.of(1) })).toThrow(/one value per column index/);
    expect(call({ indptr: Array.from(indptr) })).toThrow(/Int32Arrays/);
    expect(call({ values: new Float32Array(new SharedArrayBuffer(8)) })).toThrow(/Float32Array/);
    expect(call({ values: 1020 })).toThrow(/outside the heap/);
    expect(call({ transform: 2 })).toThrow(/transform/);
    expect(call({ values: 128, transform: 1 })).toThrow(/transform/);
    expect(call({ wOff: 1004 })).toThrow(/outside the heap/);
    expect(call({ outOff: 1012 })).toThrow(/outside the heap/);
    // indptr and indices that view the heap under the output
    const onHeap = new Int32Array(heap, 512, 3);
    onHeap.set(indptr);
    expect(call({ indptr: onHeap })).toThrow(/output overlaps indptr or indices/);
    // nor W, values on the heap, or values in a typed array over the heap
    expect(call({ outOff: 264 })).toThrow(/output overlaps the values, the kernel or the bias/);
    expect(call({ values: 512 })).toThrow(/output overlaps the values, the kernel or the bias/);
    expect(call({ values: new Float32Array(heap, 520, 2) })).toThrow(
      /output overlaps the values, the kernel or the bias/,
    );
    expect(call({ indptr: Int32Array.of(0, 2, 2), indices: Int32Array.of(1, 1) })).toThrow(
      /not after the previous one/,
    );
    expect(call({ indices: Int32Array.of(0, 3) })).toThrow(/outside 0…2/);
  });
});
