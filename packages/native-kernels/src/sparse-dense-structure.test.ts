import * as tf from '@tensorflow/tfjs-core';
import { DataError, SPARSE_DENSE_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { type Csr, inDim, reference, run, units, wv } from './sparse-dense-test-support.js';
import { randomArray, skipNative } from './test-support.js';

describe.skipIf(skipNative)(
  `native ${SPARSE_DENSE_KERNEL} on the wasm backend: the checks of its CSR structure and heap regions`,
  () => {
    beforeAll(() => {
      enableNativeKernels({ parallel: 1 });
    });
    afterAll(() => {
      disableNativeKernels();
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

    it('the addon refuses an output over indptr, indices, values, W or the bias, and checks regions', () => {
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
      // nor over the values (128…160), W (256…280) or the bias: later rows would read what earlier rows wrote
      for (const outOff of [112, 128, 156, 240, 256, 276]) {
        expect(() => call(0, 64, outOff), String(outOff)).toThrow(/output overlaps the values, the kernel or the bias/);
      }
      expect(() => addon.sparseDense(heap, 4, 3, 2, 8, 0, 64, 128, 256, 520, 512, 0, 0)).toThrow(
        /output overlaps the values, the kernel or the bias/,
      );
      expect(() => call(0, 64, 160)).not.toThrow(); // just after the values, ends before W
      expect(() => call(0, 64, 1000)).toThrow(/outside the heap/);
      expect(() => call(2, 64, 512)).toThrow(/outside the heap/); // misaligned
    });
  },
);
