import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { randomArray, skipNative } from './test-support.js';

/*
 * A helper thread that runs products takes scratch memory of its own (blas.c's zero-skipping kernel: its lists and,
 * for a B off a 64-byte boundary, a packed copy of B — ~1.3 MB for MNIST's 784 → 400 layer). Helpers end whenever
 * setParallel changes their count (enableNativeKernels({ parallel }), disableNativeKernels), so a helper must free it
 * as it ends: without that, 30 rounds of setParallel(2) … setParallel(1) grew the process by ~38 MB (parallel.c's
 * helper_main, sparse_tiles.c's varia_sparse_scratch_free_thread).
 */
describe.skipIf(skipNative)('helper threads free their scratch memory when they end', () => {
  let addon: NativeAddon;
  let path: string;
  beforeAll(() => {
    path = enableNativeKernels({ parallel: 1 }).path;
    addon = loadAddon();
  });
  afterAll(() => {
    delete process.env.VARIA_SPLIT_ZERO_SKIP;
    delete process.env.VARIA_DENSE_ROWS;
    addon.load(path);
    addon.setParallel(1);
    disableNativeKernels();
  });

  // blas.c's split (VARIA_DENSE_ROWS=0: the product is 2,048 rows, which dense_rows.c would otherwise take), and
  // dense_rows.c's blocks of 512 rows (each a zero-skipping product; W aligned once, in a copy freed after each call)
  for (const rows of ['0', '1'] as const) {
    it(`30 rounds of two threads and back, each with zero-skipping products, leave the resident size as it was (${rows === '0' ? "blas.c's split" : 'blocks of rows'})`, (context) => {
      // split, so that the helper runs zero-skipping blocks (by default two threads run such a product whole)
      process.env.VARIA_SPLIT_ZERO_SKIP = '1';
      process.env.VARIA_DENSE_ROWS = rows;
      if (!(addon.load(path) as { zeroSkip?: boolean }).zeroSkip) {
        context.skip('zero-skipping needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
      }
      // op(A) [2048, 784] with 19 % non-zeros (MNIST's density); B [784, 400] 8 bytes off a 64-byte boundary (packed)
      const [m, n, k] = [2048, 400, 784];
      const aAt = 0;
      const bAt = m * k + 2;
      const cAt = bAt + k * n;
      const heap = new ArrayBuffer(4 * (cAt + m * n));
      const values = new Float32Array(heap);
      const a = randomArray(m * k, 1);
      const coin = randomArray(m * k, 2);
      for (let i = 0; i < m * k; i++) values[aAt + i] = Math.abs(coin[i]!) < 0.19 ? a[i]! : 0;
      values.set(randomArray(k * n, 3), bAt);
      const product = () => addon.gemm(heap, false, false, m, n, k, 1, 4 * aAt, 0, 4 * bAt, 0, 4 * cAt, -1, n, 0, 0);
      const round = () => {
        addon.setParallel(2);
        for (let p = 0; p < 5; p++) product();
        addon.setParallel(1);
      };
      const taken = addon.zeroSkipped();
      const blocked = addon.rowBlocked();
      product(); // one thread: the whole product
      const one = new Uint32Array(heap.slice(4 * cAt));
      for (let r = 0; r < 3; r++) round(); // the allocator's arenas and the calling thread's scratch settle
      const before = process.memoryUsage().rss;
      for (let r = 0; r < 30; r++) round();
      const grown = (process.memoryUsage().rss - before) / 2 ** 20;
      // split: two blocks or more a product, each a zero-skipping product (whole, as without the switch: exactly 33 × 5)
      expect(addon.zeroSkipped() - taken, 'the products were split into zero-skipping blocks').toBeGreaterThanOrEqual(
        2 * 33 * 5,
      );
      expect(addon.rowBlocked() - blocked, 'products in blocks of rows').toBe(rows === '1' ? 33 * 5 : 0);
      // the last two-thread product (W 8 bytes off a 64-byte boundary: the blocks read W's aligned copy) has its bits
      expect(new Uint32Array(heap.slice(4 * cAt))).toEqual(one);
      expect(grown, 'MB the process grew by').toBeLessThan(12);
    });
  }
});
