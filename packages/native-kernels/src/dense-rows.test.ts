// Forward products of many rows on two threads (native/dense_rows.c: blocks of 512 rows, each filled with the bias,
// multiplied and activated, taken by both threads; and sparse_rows.c's CSR blocks, claimed many at a time). The
// reference is the same call on one thread, where neither runs: the whole product, bit for bit. The addon's
// rowBlocked() counter says the blocks ran, so a bit test cannot pass by the whole product running both times.
import * as tf from '@tensorflow/tfjs-core';
import { DENSE_HOST_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { randomCsr, run as runSparseDense } from './sparse-dense-test-support.js';
import { expectSameBits, float32Bits, randomArray, skipNative } from './test-support.js';

/** [rows, inDim, units, density of x's non-zeros, seed] */
type Case = readonly [number, number, number, number, number];

const CASES: readonly Case[] = [
  [3000, 784, 400, 0.19, 1], // MNIST-like: zero_skip.c per block; 5 blocks, the last 952 rows
  [1100, 784, 400, 0.9, 2], // dense rows: oneDNN per block; the last block 588 rows
  [1030, 300, 37, 0.1, 3], // two blocks; N not a multiple of 16 (W used where it is)
  [1200, 1000, 64, 0.15, 4], // K > 768: oneDNN's driver choice depends on the block's rows (the rule checks it)
  [2048, 400, 20, 0.5, 5], // a narrow C: narrow.c per block of 512 rows
];

/** x [rows, inDim] with about `density` non-zeros (pixel-like: zeros, else values in (0, 1]). */
function rowsOf(rows: number, inDim: number, density: number, seed: number): Float32Array {
  const u = randomArray(rows * inDim, seed);
  const v = randomArray(rows * inDim, seed + 1);
  return u.map((r, i) => (Math.abs(r) < density ? Math.abs(v[i]!) + 1e-3 : 0));
}

/** W in (−1, 1), or with a NaN and a −∞ in two of its rows (no facts: every block scans W itself). */
function weightsOf(inDim: number, units: number, seed: number, nonFinite: boolean): Float32Array {
  const w = randomArray(inDim * units, seed + 10);
  if (nonFinite) {
    w[3 * units + 1] = Number.NaN;
    w[(inDim - 2) * units + units - 1] = Number.NEGATIVE_INFINITY;
  }
  return w;
}

/** The three forward products that may run in blocks of rows: DENSE_HOST_KERNEL, `_FusedMatMul` and `MatMul`. */
function products(x: Float32Array, rows: number, w: tf.Tensor2D, bias: tf.Tensor1D, activation: string): Uint32Array[] {
  const outs = tf.tidy(() => {
    const a = tf.tensor2d(x, [rows, x.length / rows]);
    const host = tf.engine().runKernel(DENSE_HOST_KERNEL, { kernel: w, bias }, {
      x,
      rows,
      activation,
      leakyreluAlpha: 0.2,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const fused = tf.engine().runKernel(
      tf._FusedMatMul,
      { a, b: w, bias },
      {
        transposeA: false,
        transposeB: false,
        activation,
        leakyreluAlpha: 0.2,
      },
    ) as tf.Tensor;
    return [host, fused, tf.matMul(a, w)];
  });
  const bits = outs.map(float32Bits);
  tf.dispose(outs);
  return bits;
}

describe.skipIf(skipNative)('forward products of many rows on two threads', () => {
  let addon: NativeAddon;
  /** Whether the loaded BLAS keeps the bits in blocks of rows (oneDNN 2.x on an AVX-512 CPU), so blocks must run. */
  let blocksRun = false;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    const { path } = enableNativeKernels({ parallel: 1 });
    addon = loadAddon();
    blocksRun = (addon.load(path) as { zeroSkip?: boolean }).zeroSkip === true;
  });
  afterAll(() => {
    addon.setParallel(1);
    disableNativeKernels();
  });

  for (const nonFinite of [false, true]) {
    it(`give the one-thread bits: bias, relu / linear / sigmoid / leaky relu${nonFinite ? ', a NaN and −∞ in W' : ''}`, () => {
      for (const [rows, inDim, units, density, seed] of CASES) {
        const x = rowsOf(rows, inDim, density, seed);
        const w = tf.tensor2d(weightsOf(inDim, units, seed, nonFinite), [inDim, units]);
        const bias = tf.tensor1d(randomArray(units, seed + 20));
        const before = tf.memory().numTensors;
        for (const activation of ['relu', 'linear', 'sigmoid', 'leakyrelu']) {
          addon.setParallel(1);
          const taken = addon.rowBlocked();
          const one = products(x, rows, w, bias, activation);
          expect(addon.rowBlocked(), 'one thread: the whole product').toBe(taken);
          addon.setParallel(2);
          const narrowed = addon.narrowed();
          const two = products(x, rows, w, bias, activation);
          if (blocksRun) {
            // the dense host kernel, _FusedMatMul and MatMul each ran in blocks
            expect(addon.rowBlocked() - taken, `${rows}×${inDim}→${units}`).toBe(3);
            // each block of a narrow C is narrow.c's (it takes 512 rows or more)
            if (units === 20) expect(addon.narrowed() - narrowed).toBe(3 * Math.floor(rows / 512));
          }
          two.forEach((bits, i) => {
            expectSameBits(bits, one[i]!, `${rows}×${inDim}→${units} ${activation} product ${i}`);
          });
        }
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([w, bias]);
      }
    });
  }

  it('leave fewer rows than two blocks to the whole product', () => {
    addon.setParallel(2);
    const x = rowsOf(1023, 784, 0.19, 5);
    const w = tf.tensor2d(randomArray(784 * 400, 6), [784, 400]);
    const bias = tf.tensor1d(randomArray(400, 7));
    const taken = addon.rowBlocked();
    const bits = products(x, 1023, w, bias, 'relu');
    expect(addon.rowBlocked()).toBe(taken);
    addon.setParallel(1);
    products(x, 1023, w, bias, 'relu').forEach((one, i) => {
      expectSameBits(bits[i]!, one, `1023 rows, product ${i}`);
    });
    tf.dispose([w, bias]);
  });

  it('CSR rows claimed many blocks at a time (4,096 rows: 256 blocks of 16) give the one-thread bits', () => {
    const big = randomCsr(4096, 300, 0.2, 9);
    const w = tf.tensor2d(randomArray(300 * 400, 10), [300, 400]);
    const bias = tf.tensor1d(randomArray(400, 11));
    addon.setParallel(1);
    const one = runSparseDense(big, w, bias, 'relu');
    addon.setParallel(2);
    const two = runSparseDense(big, w, bias, 'relu');
    expectSameBits(float32Bits(two), float32Bits(one), 'CSR 4096×300→400');
    tf.dispose([w, bias, one, two]);
  });
});
