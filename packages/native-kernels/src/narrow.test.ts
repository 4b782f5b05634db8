import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { switchedProducts } from './gemm-bits-support.js';
import { expectSameBits, randomArray, skipNative } from './test-support.js';

/*
 * native/narrow.c stands in for dnnl_sgemm where C is narrow and tall (2 … 12 or 17 … 24 columns, at least 512 rows;
 * NN or TN, one OpenMP thread, oneDNN 2.x on avx512_core), on by default; VARIA_NARROW=0 at load() turns it off. It
 * puts 16 rows of C in the vector lanes instead of C's columns, and must give dnnl_sgemm's bits: each product runs
 * through the addon's gemm with it off (oneDNN) and on, in one process, and the addon's narrowed() counter says whether
 * it was taken (so a bit test cannot pass by oneDNN running both times). A kernel that summed in any other order than
 * oneDNN's blocks of K fails these: plain blocks of 384 differ at K = 385 … 767, one chain over K = 400 (no halves)
 * differs at 400 and 784 (scripts/narrow-check.c, which checks 7,465 shapes with M = 2 … 10,000 and times both).
 */

/** [m, n, k] */
type Shape = [number, number, number];

/** K around oneDNN's block ends (1, 199 … 201, 384, 385, 400, 767, 768, 784), N across 2 … 24 with the rows' tail
 * (M not a multiple of 16) and the MNIST / counts μ heads. */
const SHAPES: Shape[] = [
  [600, 2, 1],
  [517, 12, 199],
  [513, 17, 200],
  [530, 24, 201],
  [700, 5, 384],
  [520, 23, 385],
  [10000, 20, 400],
  [512, 9, 767],
  [515, 18, 768],
  [600, 20, 784],
  [10000, 10, 128],
];

describe.skipIf(skipNative)("narrow products give dnnl_sgemm's bits", () => {
  let addon: NativeAddon;
  let path: string;
  // zero-skipping (blas.c's first choice) off throughout: the products compared are narrow.c's and dnnl_sgemm's
  const load = (flag: '0' | '1'): boolean => {
    process.env.VARIA_ZERO_SKIP = '0';
    process.env.VARIA_NARROW = flag;
    return (addon.load(path) as { narrow?: boolean }).narrow === true;
  };
  beforeAll(() => {
    path = enableNativeKernels({ parallel: 1 }).path;
    addon = loadAddon();
  });
  afterAll(() => {
    delete process.env.VARIA_NARROW;
    delete process.env.VARIA_ZERO_SKIP;
    addon.load(path);
    addon.setParallel(1);
    disableNativeKernels();
  });

  /** Whether this machine runs the kernel at all (oneDNN 2.x on an avx512_core CPU). */
  const available = (): boolean => {
    const on = load('1');
    load('0');
    return on;
  };

  /**
   * op(A) [m, k] a relu-like output (about 40 % ±0, the rest in (0, 1)),
   * B [k, n] in (−1, 1), a bias with ±0 among its entries.
   */
  function operands([m, n, k]: Shape, seed: number) {
    const a = randomArray(m * k, seed).map((v, i) => (v < -0.2 ? (i % 3 === 0 ? -0 : 0) : (v + 0.2) / 1.2));
    const b = randomArray(k * n, seed + 2);
    const bias = randomArray(n, seed + 3).map((v, j) => (j % 7 === 3 ? -0 : j % 11 === 5 ? 0 : v));
    return { a, b, bias };
  }

  const { product, same } = switchedProducts(() => addon, { name: 'narrow', load, taken: () => addon.narrowed() });

  it('on K across oneDNN block ends, N 2 … 24, rows past the last 16, beta 0 and 1', (context) => {
    if (!available()) context.skip('the narrow kernel needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    SHAPES.forEach((shape, i) => {
      const data = operands(shape, 100 + 10 * i);
      for (const withBias of [false, true]) same(shape, data, withBias, true, `${shape.join('×')} bias ${withBias}`);
    });
  });

  it('with op(A) = Aᵀ (its rows read in place), the same shapes', (context) => {
    if (!available()) context.skip('the narrow kernel needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    SHAPES.forEach((shape, i) => {
      if (shape[0] * shape[2] > 1e6) return;
      same(shape, operands(shape, 200 + 10 * i), i % 2 === 1, true, `Aᵀ ${shape.join('×')}`, true);
    });
  });

  it('with NaN and ±∞ in op(A), B and the bias', (context) => {
    if (!available()) context.skip('the narrow kernel needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    const shape: Shape = [531, 20, 400];
    const data = operands(shape, 7);
    const [, n, k] = shape;
    data.a[2 * k + 10] = Number.NaN;
    data.a[40 * k + 399] = Number.POSITIVE_INFINITY;
    data.a[530 * k] = Number.NEGATIVE_INFINITY;
    data.b[3 * n + 5] = Number.POSITIVE_INFINITY;
    data.b[250 * n + 19] = Number.NaN;
    data.bias[4] = Number.NEGATIVE_INFINITY;
    data.bias[6] = Number.NaN;
    for (const withBias of [false, true]) same(shape, data, withBias, true, `non-finite, bias ${withBias}`);
  });

  it("keeps oneDNN's NaN payloads and signs, bit for bit", (context) => {
    if (!available()) context.skip('the narrow kernel needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    // oneDNN's FMAs keep op(A)'s NaN where it meets B's in one product and a later product's over the chain's; its
    // adds keep a block's sum's over C's (the bias, beta 1). The kernel before 2026-12-02 kept B's for N = 2 and 3 at
    // -O3 (scripts/nan-payload-fuzz.c). Rows from 0 (16 rows transposed as the chains run), 16 and m − 5 (the last
    // block, from the panel).
    for (const shape of [
      [520, 2, 400],
      [521, 3, 1000],
      [530, 20, 400],
      [600, 24, 784],
    ] as Shape[]) {
      const [m, n, k] = shape;
      const data = operands(shape, 40);
      const a = new Uint32Array(data.a.buffer, data.a.byteOffset, data.a.length);
      const b = new Uint32Array(data.b.buffer, data.b.byteOffset, data.b.length);
      const bias = new Uint32Array(data.bias.buffer, data.bias.byteOffset, data.bias.length);
      b[1 * n] = 0xffc02222; // B[1][0]: meets op(A)'s NaN at k = 1 in row 0
      bias[1] = 0x7fc05555;
      for (const row of [0, 16, m - 5]) {
        a[row * k + 1] = 0x7fc01111;
        a[(row + 1) * k + 2] = 0x7fc03333; // two NaNs in one row, in two blocks of K: the later one's
        a[(row + 1) * k + k - 1] = 0xffc04444;
        a[(row + 2) * k + 3] = 0xffc06666; // the row's block sum NaN onto the bias's NaN (column 1)
        a[(row + 4) * k + 5] = 0xff800007; // signalling: kept quieted
      }
      const off = product(shape, data, true, '0');
      const on = product(shape, data, true, '1');
      expect(on.taken, `${shape.join('×')}: taken`).toBe(1);
      const hex = (i: number, j: number): string => off.bits[i * n + j]!.toString(16);
      for (const row of [0, 16, m - 5])
        expect([hex(row, 0), hex(row, 1), hex(row + 1, 1), hex(row + 2, 1), hex(row + 3, 1), hex(row + 4, 1)]).toEqual([
          '7fc01111',
          '7fc01111',
          'ffc04444',
          'ffc06666',
          '7fc05555',
          'ffc00007',
        ]);
      // every bit (expectSameBits takes any two NaNs as equal)
      const differ = on.bits.filter((v, i) => v !== off.bits[i]).length;
      expect(differ, `${shape.join('×')}: elements whose bits differ`).toBe(0);
    }
  });

  it('is not taken below 512 rows, at 13 … 16 or over 24 columns, or with VARIA_NARROW=0', (context) => {
    if (!available()) context.skip('the narrow kernel needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    for (const shape of [
      [511, 20, 400],
      [2000, 16, 400],
      [2000, 13, 128],
      [2000, 25, 128],
      [1000, 1, 300],
    ] as Shape[])
      same(shape, operands(shape, 9), true, false, `${shape.join('×')}`);
    process.env.VARIA_NARROW = '0';
    expect((addon.load(path) as { narrow?: boolean }).narrow).toBe(false);
    delete process.env.VARIA_NARROW;
    expect((addon.load(path) as { narrow?: boolean }).narrow).toBe(true);
  });

  it('is off with OpenBLAS', () => {
    let loaded: { narrow?: boolean } | undefined;
    try {
      loaded = addon.load('libopenblas.so.0') as { narrow?: boolean };
    } catch {
      loaded = undefined; // no OpenBLAS on this machine
    } finally {
      addon.load(path);
    }
    if (loaded) expect(loaded.narrow).toBe(false);
  });

  it('on two threads (blocks of rows, each narrow), the same bits as one', (context) => {
    if (!available()) context.skip('the narrow kernel needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    addon.setParallel(2);
    try {
      const shape: Shape = [10000, 20, 400];
      const data = operands(shape, 20);
      const off = product(shape, data, true, '0');
      const on = product(shape, data, true, '1');
      expect(on.taken, 'each thread takes a block').toBeGreaterThanOrEqual(1);
      expectSameBits(on.bits, off.bits, `${shape.join('×')} on two threads`);
    } finally {
      addon.setParallel(1);
    }
  });

  it('through tf.matMul on the wasm backend: taken, close to a float64 reference, no tensor left behind', (context) => {
    if (!available()) context.skip('the narrow kernel needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    load('1');
    const shape: Shape = [1000, 20, 300];
    const { a, b } = operands(shape, 30);
    const [m, n, k] = shape;
    const before = tf.memory().numTensors;
    const taken = addon.narrowed();
    const c = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])));
    const got = c.dataSync();
    c.dispose();
    expect(addon.narrowed() - taken).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    let worst = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < k; q++) sum += a[i * k + q]! * b[q * n + j]!;
        worst = Math.max(worst, Math.abs(sum - got[i * n + j]!));
      }
    expect(worst).toBeLessThan(1e-4);
  });
});
