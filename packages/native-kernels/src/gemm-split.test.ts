import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { randomArray, skipNative } from './test-support.js';

/*
 * With two threads a large product is cut into blocks of rows or columns (native/gemm_split.c) whose sizes follow the
 * helper's measured start delay, so one product is cut differently from call to call. Every cut must give the
 * one-thread bytes: each product below runs six times on two threads, compared with one thread each time.
 * scripts/gemm-split-check.c checks the rule against oneDNN on thousands of random shapes and cuts.
 */

/** [transposeA, transposeB, m, n, k, bias + relu] */
type Product = [boolean, boolean, number, number, number, boolean];

const STEP: Product[] = [
  [false, false, 128, 400, 784, true], // encoder: x·W₁ + b, relu
  [false, false, 128, 784, 400, false], // decoder output: h·W₄
  [false, true, 128, 400, 784, false], // δ·W₄ᵀ (oneDNN's copy driver: columns in blocks of more than 100)
  [true, false, 784, 400, 128, false], // xᵀ·δ (dW₁)
  [true, false, 400, 784, 128, false], // hᵀ·δ (dW₄)
];

/*
 * Shapes where oneDNN's driver, and with it the blocking of K > 768, depends on the block: NN with n a multiple of
 * 1024 takes the copy driver whole but the no-copy one for a block of 100 rows or fewer (these two gave other bits
 * on two threads when products were cut in rows alone); NT with at most 200 rows takes the copy driver unless a
 * block has 100 columns or fewer; odd sizes and a row count just past 16s.
 */
const DRIVER: Product[] = [
  [false, false, 128, 1024, 1024, false],
  [false, false, 160, 1024, 800, true],
  [false, true, 128, 150, 900, false],
  [false, true, 190, 260, 1000, true],
  [true, false, 129, 517, 777, false],
  [false, false, 33, 2049, 769, false],
  [true, true, 300, 97, 800, false],
];

describe.skipIf(skipNative)('a product cut for two threads gives the one-thread bytes', () => {
  let addon: NativeAddon;
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
    addon = loadAddon();
  });
  afterAll(() => {
    disableNativeKernels();
  });

  function run(products: Product[]): void {
    const floats = 1 << 22;
    const heap = new ArrayBuffer(floats * 4);
    const values = new Float32Array(heap);
    values.set(randomArray(floats, 11));
    const b = 4 * (1 << 21); // operands: A from 0, B from 8 MiB (both within the 16 MiB heap), C after the loop's copy
    for (const [ta, tb, m, n, k, withBias] of products) {
      const c = 4 * (floats - m * n);
      const bias = withBias ? 4 * (floats - m * n - n) : -1;
      const call = () =>
        addon.gemm(heap, ta, tb, m, n, k, 1, 0, 0, b, 0, c, bias, withBias ? n : 0, withBias ? 1 : 0, 0);
      const label = `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}×${n}×${k}${withBias ? ' + b, relu' : ''}`;
      for (let round = 0; round < 6; round++) {
        enableNativeKernels({ parallel: 1 });
        call();
        const one = Buffer.from(heap.slice(c, c + 4 * m * n));
        enableNativeKernels({ parallel: 2 });
        new Float32Array(heap, c, m * n).fill(Number.NaN);
        call();
        expect(Buffer.from(heap.slice(c, c + 4 * m * n)).equals(one), `${label}, round ${round}`).toBe(true);
      }
    }
    enableNativeKernels({ parallel: 1 });
  }

  it("the MNIST step's products", () => {
    run(STEP);
  });

  it('products whose blocks could take another oneDNN driver', () => {
    run(DRIVER);
  });
});
