import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { expectSameBits, float32Bits, randomArray, skipNative } from './test-support.js';
import { asWasmBackend, byteOffset, heapBuffer } from './wasm-heap.js';

/** The native Log1p's bit patterns for the values. */
function log1pBits(values: Float32Array): Uint32Array {
  const x = tf.tensor1d(values);
  const y = tf.log1p(x);
  const out = float32Bits(y);
  tf.dispose([x, y]);
  return out;
}

/** Counts 0 … 1023 (a quarter of them 0), as count data holds. */
function counts(size: number, seed: number): Float32Array {
  const u = randomArray(size, seed);
  return u.map((v, i) => (i % 4 === 0 ? 0 : Math.floor(((v + 1) / 2) * 1024)));
}

/**
 * The formula's bits for the same values: a first element 0.5 (not a count) sends the whole pass to the formula, so
 * the values after it are computed, not looked up.
 */
function formulaBits(values: Float32Array): Uint32Array {
  const prefixed = new Float32Array(values.length + 1);
  prefixed[0] = 0.5;
  prefixed.set(values, 1);
  return log1pBits(prefixed).slice(1);
}

const PORTABLE: [string, boolean][] = [
  ['AVX-512 look-up (where the CPU has it)', false],
  ['portable look-up (VARIA_NATIVE_NO_AVX512=1)', true],
];

/** Runs `body` with the portable loops when `portable`. */
function withPath(portable: boolean, body: () => void): void {
  if (portable) process.env.VARIA_NATIVE_NO_AVX512 = '1';
  try {
    body();
  } finally {
    delete process.env.VARIA_NATIVE_NO_AVX512;
  }
}

describe.skipIf(skipNative)('the native Log1p on counts (a table of its own values) on the wasm backend', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it.each(PORTABLE)('gives the computed bits for every count 0 … 1023, and log1p within 2 ulp: %s', (_, portable) => {
    withPath(portable, () => {
      const every = Float32Array.from({ length: 1024 }, (_, k) => k);
      const looked = log1pBits(every);
      expect(Array.from(looked)).toEqual(Array.from(formulaBits(every)));
      const values = new Float32Array(looked.buffer);
      for (let k = 0; k < 1024; k++)
        expect(Math.abs(values[k]! - Math.log1p(k)), `log1p(${k})`).toBeLessThanOrEqual(2 * 2 ** -23 * Math.log1p(k));
      expect(Object.is(values[0], 0)).toBe(true);
    });
  });

  it.each(PORTABLE)('gives the bits of the formula for mixed data (counts, then other values): %s', (_, portable) => {
    withPath(portable, () => {
      const before = tf.memory().numTensors;
      for (const [size, firstOther] of [
        [100_352, -1], // all counts
        [1000, 300], // the second block holds a fraction: the first looked up, the rest computed
        [1000, 256], // a fraction opening the second block
        [5, 4],
        [1, 0],
        [17, -1],
      ] as const) {
        const values = counts(size, size + firstOther);
        if (firstOther >= 0) {
          values[firstOther] = 2.5;
          for (let i = firstOther + 1; i < size; i += 3) values[i] = randomArray(1, i)[0]! * 40;
        }
        expectSameBits(log1pBits(values), formulaBits(values), `log1p size ${size}`);
      }
      // values that are not counts of the table: −0 (log1p(−0) = −0), 1024 and past, negatives, −1, ±∞, NaN
      const edge = Float32Array.of(-0, 1024, 5000, 2 ** 23, 2 ** 24, -3, -1, Infinity, -Infinity, Number.NaN);
      for (const v of edge) {
        const block = counts(256, 9);
        block[100] = v;
        const got = log1pBits(block);
        expect(Array.from(got), `a block with ${v}`).toEqual(Array.from(formulaBits(block)));
      }
      expect(Object.is(new Float32Array(log1pBits(Float32Array.of(-0)).buffer)[0], -0)).toBe(true);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it('gives the same bits in place (x and y one region) as out of place, on counts and on other values', () => {
    const addon = loadAddon();
    for (const values of [counts(2000, 3), randomArray(2000, 4).map((v) => v * 30)]) {
      const x = tf.tensor1d(values);
      const want = log1pBits(values);
      const backend = asWasmBackend(tf.backend());
      addon.unary(heapBuffer(backend)!, 3, values.length, byteOffset(backend, x), byteOffset(backend, x));
      expect(Array.from(float32Bits(x))).toEqual(Array.from(want));
      x.dispose();
    }
  });

  it('gives the same bits with the pass shared between two threads', () => {
    const values = counts(400_000, 5);
    values[300_000] = 0.25; // the second thread's blocks switch to the formula from here
    const one = log1pBits(values);
    enableNativeKernels({ parallel: 2 });
    try {
      expect(Array.from(log1pBits(values))).toEqual(Array.from(one));
    } finally {
      enableNativeKernels({ parallel: 1 });
    }
    expectSameBits(one, formulaBits(values), 'log1p, two threads');
  });
});
