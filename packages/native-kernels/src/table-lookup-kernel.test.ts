import * as tf from '@tensorflow/tfjs-core';
import { TABLE_LOOKUP_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { skipNative } from './test-support.js';

describe.skipIf(skipNative)('the native table look-up on the wasm backend', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  /** y and the miss count of the kernel for x and a table. */
  function lookup(x: number[], table: number[], shape = [x.length]): { y: Float32Array; misses: number } {
    const before = tf.memory().numTensors;
    const xt = tf.tensor(x, shape, 'float32');
    const tt = tf.tensor1d(table, 'float32');
    const [y, misses] = tf.engine().runKernel(TABLE_LOOKUP_KERNEL, { x: xt, table: tt }) as tf.Tensor[];
    const out = { y: y!.dataSync() as Float32Array, misses: misses!.dataSync()[0]! };
    expect(y!.shape).toEqual(shape);
    expect(misses!.shape).toEqual([]);
    tf.dispose([xt, tt, y!, misses!]);
    expect(tf.memory().numTensors).toBe(before);
    return out;
  }

  it('gives table[x] for integers in range, as a float32 table read in JavaScript would', () => {
    const table = Array.from({ length: 1024 }, (_, k) => Math.log(k + 1) * 3.7 - k / 7);
    const x = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1024);
    const { y, misses } = lookup(x, table, [50, 100]);
    const want = Float32Array.from(table);
    expect(misses).toBe(0);
    for (let i = 0; i < x.length; i++) expect(Object.is(y[i], want[x[i]!]), `x[${i}] = ${x[i]}`).toBe(true);
    // −0 is the integer 0
    expect(lookup([-0], table).y[0]).toBe(want[0]);
  });

  it('counts every value that is not an integer in [0, table size) and writes NaN there', () => {
    const table = [10, 11, 12, 13];
    const { y, misses } = lookup([0, 3, 4, -1, 1.5, Number.NaN, Infinity, -Infinity, 2, 1e9], table);
    expect(misses).toBe(7);
    expect(Array.from(y.slice(0, 2))).toEqual([10, 13]);
    expect(y[8]).toBe(12);
    for (const i of [2, 3, 4, 5, 6, 7, 9]) expect(Number.isNaN(y[i]!), `y[${i}]`).toBe(true);
    expect(lookup([], table).misses).toBe(0);
  });

  it('refuses non-float32 inputs and a table that is not a vector; the addon checks every region', () => {
    tf.tidy(() => {
      const run = (x: tf.Tensor, table: tf.Tensor) => tf.engine().runKernel(TABLE_LOOKUP_KERNEL, { x, table });
      expect(() => run(tf.tensor1d([1], 'int32'), tf.tensor1d([1]))).toThrow(/float32/);
      expect(() => run(tf.tensor1d([1]), tf.tensor2d([1, 2], [1, 2]))).toThrow(/vector/);
    });
    const heap = new ArrayBuffer(1024);
    const addon = loadAddon();
    // 16 values at 0, a table of 8 at 512, the output at 768: fits; moved past the end, or misaligned, it does not
    expect(addon.lookup(heap, 16, 0, 512, 8, 768)).toBe(0);
    expect(() => addon.lookup(heap, 16, 0, 512, 8, 1000)).toThrow(/outside the heap/);
    expect(() => addon.lookup(heap, 16, 0, 1020, 8, 768)).toThrow(/outside the heap/);
    expect(() => addon.lookup(heap, 16, 2, 512, 8, 768)).toThrow(/outside the heap/);
    expect(() => addon.lookup(heap, 16, 0, 512, 0, 768)).toThrow(/sizes/);
    expect(() => addon.lookup(heap, 1.5, 0, 512, 8, 768)).toThrow(/sizes/);
  });
});
