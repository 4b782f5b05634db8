import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { switchedProducts } from './gemm-bits-support.js';
import { expectSameBits, randomArray, skipNative } from './test-support.js';

/*
 * native/zero_skip.c stands in for dnnl_sgemm where op(A) is mostly zeros (NN, one OpenMP thread, oneDNN 2.x on
 * avx512_core), on by default; VARIA_ZERO_SKIP=0 at load() turns it off. It must give dnnl_sgemm's bits: each product
 * runs through the addon's gemm with it off (oneDNN) and on, in one process, and the addon's zeroSkipped() counter
 * says whether it was taken (so a bit test cannot pass by oneDNN running both times). A kernel that summed in any
 * other order than oneDNN's K blocks fails these: e.g. plain blocks of 384 (the copy driver's) differ at K = 385 … 767,
 * one chain over all K differs everywhere (scripts/zero-skip-check.c, which also times both).
 */

/** [m, n, k, fraction of op(A) non-zero] */
type Shape = [number, number, number, number];

/** K around oneDNN's block ends (384, halves below 768, 768 and more: 384 while ≥ 768 remain), N not a multiple of
 * 16, M = 2, 3, 128 and the MNIST / counts layers; 300 rows with a B of 5 MB, beyond any core's L2 (zero_skip.c's
 * chunks of CHUNK_BEYOND_L2 rows, two and a shorter one). */
const SHAPES: Shape[] = [
  [40, 17, 1, 0],
  [3, 130, 383, 0.2],
  [128, 400, 384, 0.2],
  [2, 33, 385, 0.1],
  [3, 400, 767, 0.2],
  [128, 130, 768, 0.05],
  [128, 400, 784, 0.19],
  [37, 128, 2000, 0.05],
  [5, 2, 784, 0.2],
  [300, 49, 100, 0.15],
  [300, 600, 2100, 0.05],
];

describe.skipIf(skipNative)("zero-skipping products give dnnl_sgemm's bits", () => {
  let addon: NativeAddon;
  let path: string;
  const load = (flag: '0' | '1'): boolean => {
    process.env.VARIA_ZERO_SKIP = flag;
    return (addon.load(path) as { zeroSkip?: boolean }).zeroSkip === true;
  };
  beforeAll(() => {
    path = enableNativeKernels({ parallel: 1 }).path;
    addon = loadAddon();
  });
  afterAll(() => {
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
   * op(A) [m, k] with a fraction `density` of non-zeros (the zeros +0 and −0 alike), every fifth row all zeros and row
   * 1's second K block (from 384) all zeros; B [k, n] in (−1, 1); a bias with ±0 among its entries.
   */
  function operands([m, n, k, density]: Shape, seed: number) {
    const a = randomArray(m * k, seed);
    const coin = randomArray(m * k, seed + 1);
    for (let i = 0; i < m * k; i++) if (Math.abs(coin[i]!) >= density) a[i] = coin[i]! < 0 ? -0 : 0;
    for (let r = 0; r < m; r += 5) a.fill(0, r * k, (r + 1) * k);
    if (m > 1 && k > 384) a.fill(-0, k + 384, k + Math.min(k, 768));
    // K = 1: non-zeros only in rows 3, 11, 19, … (none among the 8 rows the kernel samples: m = 40 takes every fifth)
    if (k === 1) for (let r = 0; r < m; r++) a[r] = r % 8 === 3 ? 0.75 - r / 64 : 0;
    const b = randomArray(k * n, seed + 2);
    const bias = randomArray(n, seed + 3).map((v, j) => (j % 7 === 3 ? -0 : j % 11 === 5 ? 0 : v));
    return { a, b, bias };
  }

  const { product, same } = switchedProducts(() => addon, { name: 'zeroSkip', load, taken: () => addon.zeroSkipped() });

  it('on random sparse op(A) with ±0, all-zero rows and K blocks, K across oneDNN block ends, beta 0 and 1', (context) => {
    if (!available()) context.skip('zero-skipping needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    SHAPES.forEach((shape, i) => {
      const data = operands(shape, 100 + 10 * i);
      for (const withBias of [false, true]) same(shape, data, withBias, true, `${shape.join('×')} bias ${withBias}`);
    });
  });

  it('with op(A) = Aᵀ (dW = xᵀ·δ: the columns of A gathered), the same shapes', (context) => {
    if (!available()) context.skip('zero-skipping needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    [...SHAPES, [784, 400, 128, 0.19] as Shape].forEach((shape, i) => {
      const data = operands(shape, 200 + 10 * i);
      same(shape, data, i % 2 === 1, true, `Aᵀ ${shape.join('×')}`, true);
    });
  });

  it('with ±∞ and NaN in B where op(A) is zero, and NaN, ±∞ in op(A)', (context) => {
    if (!available()) context.skip('zero-skipping needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    const shape: Shape = [24, 130, 784, 0.2];
    const data = operands(shape, 7);
    const [m, n, k] = shape;
    // rows 3, 500 and 600 of B: a non-finite entry; op(A) zero there in every row but a few
    for (const [row, col, v] of [
      [3, 5, Number.POSITIVE_INFINITY],
      [500, 129, Number.NaN],
      [600, 0, Number.NEGATIVE_INFINITY],
    ] as const)
      data.b[row * n + col] = v;
    for (let r = 0; r < m; r++) for (const col of [3, 500, 600]) data.a[r * k + col] = r % 6 === 1 ? 0.5 : 0;
    data.a[4 * k + 11] = Number.POSITIVE_INFINITY;
    data.a[6 * k + 12] = Number.NEGATIVE_INFINITY;
    same(shape, data, true, true, 'non-finite');
    // a NaN in op(A) too: oneDNN's FMA keeps A's NaN where it meets B's, the tiles the one the compiler puts first,
    // so a product whose A and B both hold a NaN is declined (oneDNN runs it), and a NaN of A alone is taken
    data.a[2 * k + 10] = Number.NaN;
    same(shape, data, true, false, 'NaN in A and in B');
    data.b[500 * n + 129] = 1;
    same(shape, data, true, true, 'NaN in A, ±∞ in B');
  });

  it("keeps oneDNN's NaN where two K blocks' sums are NaN (N not a multiple of 16: the last vector's add)", (context) => {
    if (!available()) context.skip('zero-skipping needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    // K = 400: two blocks of 200; row 0 of op(A) has a NaN of one payload in each block, B finite: every column of
    // row 0 is NaN, and oneDNN keeps the second block's (an add of two NaNs keeps its first operand's)
    for (const n of [17, 40]) {
      const shape: Shape = [4, n, 400, 0.2];
      const data = operands(shape, 9);
      const bits = new Uint32Array(data.a.buffer, data.a.byteOffset, data.a.length);
      bits[10] = 0x7fc01111;
      bits[300] = 0xffc02222;
      const off = product(shape, data, true, '0');
      const on = product(shape, data, true, '1');
      expect(on.taken, `N ${n}: taken`).toBe(1);
      // bit for bit, NaN payloads and signs included (expectSameBits takes any two NaNs as equal)
      const differ = on.bits.filter((b, i) => b !== off.bits[i]).length;
      expect(differ, `N ${n}: elements whose bits differ`).toBe(0);
      expect(off.bits[0]!.toString(16), `N ${n}: oneDNN's C[0][0]`).toBe('ffc02222');
    }
  });

  it('with products below 2⁻¹⁰⁰, where a chain can round to −0 (those rows are summed densely)', (context) => {
    if (!available()) context.skip('zero-skipping needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    // one K block: with beta 0, C is the chain itself
    const shape: Shape = [12, 40, 300, 0.2];
    const data = operands(shape, 8);
    const [, n, k] = shape;
    // B's row 5 all 1e-20; rows 2 and 4 of op(A) only −1e-30 at k = 5 (row 5 is all zeros): a product of −1e-50 makes
    // the chain −0, which oneDNN's next fma(0, w > 0, −0) turns into +0 (skipping those zeros would leave −0)
    data.b.fill(1e-20, 5 * n, 6 * n);
    for (const row of [2, 4]) {
      data.a.fill(0, row * k, (row + 1) * k);
      data.a[row * k + 5] = -1e-30;
    }
    data.a[3 * k + 7] = 3e-39; // a subnormal op(A) entry
    for (const withBias of [false, true]) same(shape, data, withBias, true, `tiny, bias ${withBias}`);
  });

  it('takes one row as the row twice (blas.c: a row among others, not the vector kernel of oneDNN)', (context) => {
    if (!available()) context.skip('zero-skipping needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    const one: Shape = [1, 400, 784, 0.2];
    same(one, operands(one, 9), true, true, 'M = 1');
  });

  it('is not taken for dense op(A), or with VARIA_ZERO_SKIP=0', (context) => {
    if (!available()) context.skip('zero-skipping needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    const dense: Shape = [64, 100, 300, 0.6];
    same(dense, operands(dense, 10), true, false, '60 % non-zero');
    process.env.VARIA_ZERO_SKIP = '0';
    expect((addon.load(path) as { zeroSkip?: boolean }).zeroSkip).toBe(false);
    delete process.env.VARIA_ZERO_SKIP;
    expect((addon.load(path) as { zeroSkip?: boolean }).zeroSkip).toBe(true);
  });

  it('is off with OpenBLAS', () => {
    let loaded: { zeroSkip?: boolean } | undefined;
    try {
      loaded = addon.load('libopenblas.so.0') as { zeroSkip?: boolean };
    } catch {
      loaded = undefined; // no OpenBLAS on this machine
    } finally {
      addon.load(path);
    }
    if (loaded) expect(loaded.zeroSkip).toBe(false);
  });

  it('on two threads: whole on the calling thread (the default), or split (VARIA_SPLIT_ZERO_SKIP=1, blocks of rows or columns, each skipping), the same bits as one', (context) => {
    if (!available()) context.skip('zero-skipping needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    addon.setParallel(2);
    try {
      for (const split of [false, true]) {
        if (split) process.env.VARIA_SPLIT_ZERO_SKIP = '1';
        else delete process.env.VARIA_SPLIT_ZERO_SKIP;
        for (const [i, shape] of (
          [
            [128, 400, 784, 0.19],
            [512, 128, 2000, 0.05],
          ] as Shape[]
        ).entries()) {
          const data = operands(shape, 20 + i);
          const off = product(shape, data, true, '0');
          const on = product(shape, data, true, '1'); // loads the addon again: it reads VARIA_SPLIT_ZERO_SKIP
          if (split) expect(on.taken, 'each block is a zero-skipping product').toBeGreaterThanOrEqual(2);
          else expect(on.taken, 'one zero-skipping product, whole').toBe(1);
          expectSameBits(on.bits, off.bits, `${shape.join('×')} on two threads${split ? ', split' : ''}`);
        }
      }
    } finally {
      delete process.env.VARIA_SPLIT_ZERO_SKIP;
      addon.setParallel(1);
    }
  });

  it('through tf.matMul on the wasm backend: taken, close to a float64 reference, no tensor left behind', (context) => {
    if (!available()) context.skip('zero-skipping needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    load('1');
    const shape: Shape = [64, 48, 300, 0.1];
    const { a, b } = operands(shape, 30);
    const [m, n, k] = shape;
    const before = tf.memory().numTensors;
    const taken = addon.zeroSkipped();
    const c = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])));
    const got = c.dataSync();
    c.dispose();
    expect(addon.zeroSkipped() - taken).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    let worst = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < k; q++) sum += a[i * k + q]! * b[q * n + j]!;
        worst = Math.max(worst, Math.abs(sum - got[i * n + j]!));
      }
    expect(worst).toBeLessThan(1e-5);
  });
});
