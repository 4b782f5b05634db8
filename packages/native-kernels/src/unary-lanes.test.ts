import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { enableNativeKernels, disableNativeKernels } from './enable.js';
import { float32Bits, randomArray, randomWords, skipNative } from './test-support.js';
import { asWasmBackend, byteOffset, heapBuffer } from './wasm-heap.js';

/** The addon's unary op codes (elementwise.c) whose AVX-512 lanes (avx512_math.h) replace the loops. */
const OPS = { softplus: 0, exp: 1, sigmoid: 5 } as const;

/** Inputs: float32 edges (±0, ±∞, NaNs of both signs, subnormals, the limits of e^x and σ), random bit patterns and
 * random values in ±120; `size` (≥ 64) values. */
function inputs(size: number, seed: number): Float32Array {
  const edges = [0, -0, Infinity, -Infinity, Number.NaN, 1e-45, -1e-45, 1e-39, -1e-39, 3.4e38, -3.4e38];
  edges.push(88.72284, 88.72285, 88.8, -103.973, -103.972, -104, 87.33655, -87.33655, 1, -1, 0.5, -0.5);
  const out = new Float32Array(size);
  out.set(edges);
  new Uint32Array(out.buffer)[edges.length] = 0xffc00000; // a NaN with its sign bit set
  const half = edges.length + 1 + ((size - edges.length - 1) >> 1);
  new Uint32Array(out.buffer, (edges.length + 1) * 4, half - edges.length - 1).set(
    randomWords(half - edges.length - 1, seed),
  );
  const u = randomArray(size, seed);
  for (let i = half; i < size; i++) out[i] = u[i]! * 120;
  return out;
}

/** The addon's op on `values` (in place when `inPlace`), as bit patterns; with `portable`, the loops of
 * math_kernels.c (VARIA_NATIVE_NO_AVX512=1) instead of the AVX-512 lanes. */
function unaryBits(op: number, values: Float32Array, inPlace: boolean, portable: boolean): Uint32Array {
  const x = tf.tensor1d(values);
  const y = inPlace ? x : tf.zerosLike(x);
  const backend = asWasmBackend(tf.backend());
  if (portable) process.env.VARIA_NATIVE_NO_AVX512 = '1';
  try {
    loadAddon().unary(heapBuffer(backend)!, op, values.length, byteOffset(backend, x), byteOffset(backend, y));
  } finally {
    delete process.env.VARIA_NATIVE_NO_AVX512;
  }
  const bits = float32Bits(y);
  tf.dispose([x, y]);
  return bits;
}

describe.skipIf(skipNative)('softplus, e^x and σ sixteen lanes at a time (avx512_math.h)', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  // sizes: whole groups of 64, a group and single vectors and a tail; the loops' results are checked against float64
  // and tfjs-wasm's Sigmoid in elementwise-kernels.test.ts and likelihood-step-kernels.test.ts
  it.each(Object.entries(OPS))(
    '%s gives the loops’ bits, NaN payloads included, out of place and in place',
    (_, op) => {
      const before = tf.memory().numTensors;
      for (const [size, seed] of [
        [1 << 18, 3],
        [64 + 48 + 7, 4],
        [15, 5],
      ] as const) {
        const values = inputs(Math.max(size, 64), seed + op).slice(0, size);
        for (const inPlace of [false, true]) {
          const lanes = unaryBits(op, values, inPlace, false);
          const loops = unaryBits(op, values, inPlace, true);
          let differ = 0;
          for (let i = 0; i < size; i++) if (lanes[i] !== loops[i]) differ++;
          expect(differ, `size ${size}${inPlace ? ', in place' : ''}`).toBe(0);
        }
      }
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
