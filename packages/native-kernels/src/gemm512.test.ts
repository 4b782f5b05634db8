import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { expectSameBits, randomArray, skipNative } from './test-support.js';

/*
 * native/gemm512.c stands in for dnnl_sgemm (NN and TN, one OpenMP thread, oneDNN 2.x on avx512_core) when
 * VARIA_GEMM512=1 is set at load(): it must give dnnl_sgemm's bits. Each product runs through the addon's gemm with
 * the flag off (oneDNN) and on, in one process (load() re-reads it and reports whether gemm512 is on).
 * scripts/gemm512-check.c compares the kernel with oneDNN on thousands of products, with beta 1 and padded leading
 * dimensions as well.
 */

/** [transposeA, m, n, k] (op(B) = B: the products gemm512 takes) */
type Product = [boolean, number, number, number];

/** NaNs' bits placed in a product's operands: at op(A)[i][k], at B[k][j], at bias[j]. */
interface NanPlacement {
  a: [number, number, number][];
  b: [number, number, number][];
  bias: [number, number][];
}

const STEP: Product[] = [
  [false, 128, 400, 784], // x·W₁ (oneDNN's no-copy driver: K in 384 + 200 + 200)
  [false, 128, 40, 400], // h·W (the Gaussian head)
  [false, 128, 784, 400], // h·W₄
  [true, 784, 400, 128], // xᵀ·δ (dW₁)
  [true, 400, 784, 128], // hᵀ·δ (dW₄)
  [true, 400, 40, 128], // dW of the head
  [true, 64, 400, 128], // a row block of dW₁ (VariaDenseBackwardAdam)
];

/** K across oneDNN's block boundaries (384, 768 and, with the copy driver, every 384 after), odd m and n. */
const BOUNDARIES: Product[] = [383, 384, 385, 767, 768, 769, 1151, 1152, 1153].flatMap((k, i): Product[] => [
  [false, 37 + i, 129 + 16 * i, k],
  [true, 130 - i, 257 - 8 * i, k],
]);

/** Sizes around the 8 × 48 tile's edges (rows 2–9, columns 2–50, 95–97), small K, rows past a 256-row block. */
const EDGES: Product[] = [
  [false, 2, 2, 24],
  [true, 9, 50, 25],
  [false, 17, 97, 130],
  [true, 8, 95, 257],
  [false, 3, 48, 129],
  [true, 7, 16, 31],
  [false, 128, 400, 1],
  [true, 33, 70, 20],
  [false, 300, 130, 400], // two blocks of 256 rows and more, the chain carried
  [true, 520, 60, 777],
];

describe.skipIf(skipNative)("gemm512 gives dnnl_sgemm's bits", () => {
  let addon: NativeAddon;
  let path: string;
  // zero-skipping and narrow products (blas.c's first choices) off: the products compared are gemm512's and oneDNN's
  const load = (flag: '0' | '1'): boolean => {
    process.env.VARIA_ZERO_SKIP = '0';
    process.env.VARIA_NARROW = '0';
    process.env.VARIA_GEMM512 = flag;
    return (addon.load(path) as { gemm512?: boolean }).gemm512 === true;
  };
  beforeAll(() => {
    path = enableNativeKernels({ parallel: 1 }).path;
    addon = loadAddon();
  });
  afterAll(() => {
    delete process.env.VARIA_GEMM512;
    delete process.env.VARIA_ZERO_SKIP;
    delete process.env.VARIA_NARROW;
    addon.load(path);
    disableNativeKernels();
  });

  /** Runs each product with gemm512 off and on (inputs with special values where `special`), comparing every bit. */
  function run(products: Product[], special: boolean): void {
    const floats = 1 << 22;
    const heap = new ArrayBuffer(floats * 4);
    const values = new Float32Array(heap);
    values.set(randomArray(floats, 5));
    if (special) {
      // zeros, subnormals and ±3e38 often; ±inf and NaN rarely, so that most sums stay finite
      const often = [0, -0, 1e-40, -3e-39, 3e38, -3e38];
      for (let i = 0; i < floats; i += 7) values[i] = often[i % often.length]!;
      for (let i = 0; i < floats; i += 4099)
        values[i] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN][i % 3]!;
    }
    const b = 4 * (1 << 21);
    for (const [ta, m, n, k] of products) {
      const c = 4 * (floats - m * n);
      const label = `${ta ? 'T' : 'N'}N ${m}×${n}×${k}${special ? ' (special values)' : ''}`;
      const product = (flag: '0' | '1'): Uint32Array => {
        const on = load(flag);
        expect(on, `${label}: gemm512 ${flag === '1' ? 'on' : 'off'}`).toBe(flag === '1');
        new Float32Array(heap, c, m * n).fill(Number.NaN);
        addon.gemm(heap, ta, false, m, n, k, 1, 0, 0, b, 0, c, -1, 0, 0, 0);
        return new Uint32Array(heap.slice(c, c + 4 * m * n));
      };
      expectSameBits(product('1'), product('0'), label);
    }
  }

  /** Whether this machine runs gemm512 at all (oneDNN 2.x on an avx512_core CPU). */
  const available = (): boolean => {
    const on = load('1');
    load('0');
    return on;
  };

  it("the MNIST step's products, K across oneDNN's block boundaries and the tile's edges", (context) => {
    if (!available()) context.skip('gemm512 needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    run([...STEP, ...BOUNDARIES, ...EDGES], false);
  });

  it('with ±0, subnormals, ±inf, NaN and ±3e38 among the operands', (context) => {
    if (!available()) context.skip('gemm512 needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    run([...STEP.slice(0, 3), ...BOUNDARIES, ...EDGES], true);
  });

  /**
   * C = op(A)·B + bias (beta 1) through the addon's gemm with gemm512 off or on, on finite operands with NaNs of the
   * given bits at op(A)[i][k], B[k][j] and bias[j]: C's bits.
   */
  function nanProduct(flag: '0' | '1', [ta, m, n, k]: Product, nans: NanPlacement): Uint32Array {
    expect(load(flag), `gemm512 ${flag === '1' ? 'on' : 'off'}`).toBe(flag === '1');
    const heap = new ArrayBuffer(4 * (m * k + k * n + n + m * n));
    const values = new Float32Array(heap);
    values.set(randomArray(m * k + k * n + n, 11));
    const bits = new Uint32Array(heap);
    for (const [i, q, v] of nans.a) bits[ta ? q * m + i : i * k + q] = v;
    for (const [q, j, v] of nans.b) bits[m * k + q * n + j] = v;
    for (const [j, v] of nans.bias) bits[m * k + k * n + j] = v;
    const c = m * k + k * n + n;
    addon.gemm(heap, ta, false, m, n, k, 1, 0, 0, 4 * m * k, 0, 4 * c, 4 * (m * k + k * n), n, 0, 0);
    return new Uint32Array(heap.slice(4 * c));
  }

  it("keeps oneDNN's NaN payloads and signs, bit for bit", (context) => {
    if (!available()) context.skip('gemm512 needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
    // oneDNN's FMAs keep op(A)'s NaN where it meets B's in one product and a later product's over the chain's; its
    // adds keep a block's sum's over C's (here the bias, beta 1). The kernel before 2026-12-02 kept B's, the first
    // block's and C's in its tiles of one vector (N ≤ 16) at -O3 (scripts/nan-payload-fuzz.c).
    for (const product of [
      [false, 9, 2, 400],
      [true, 9, 2, 400],
      [false, 9, 17, 1000],
      [true, 10, 40, 400],
      [false, 9, 100, 1000],
    ] as Product[]) {
      const [, , n, k] = product;
      const nans: NanPlacement = {
        a: [
          [0, 1, 0x7fc01111], // meets B's NaN at k = 1
          [1, 2, 0x7fc03333], // two NaNs in one row, in two blocks of K: the later one's
          [1, k - 1, 0xffc04444],
          [2, 3, 0xffc06666], // the row's block sum NaN onto the bias's NaN (column 1)
          [4, 5, 0xff800007], // signalling: kept quieted
        ],
        b: [[1, 0, 0xffc02222]],
        bias: [[1, 0x7fc05555]],
      };
      const off = nanProduct('0', product, nans);
      const on = nanProduct('1', product, nans);
      const label = `${product[0] ? 'T' : 'N'}N ${product.slice(1).join('×')}`;
      const hex = (c: Uint32Array, i: number, j: number): string => c[i * n + j]!.toString(16);
      expect(
        [hex(off, 0, 0), hex(off, 0, 1), hex(off, 1, 1), hex(off, 2, 1), hex(off, 3, 1), hex(off, 4, 1)],
        label,
      ).toEqual(['7fc01111', '7fc01111', 'ffc04444', 'ffc06666', '7fc05555', 'ffc00007']);
      // every bit (expectSameBits takes any two NaNs as equal)
      const differ = on.filter((b, i) => b !== off[i]).length;
      expect(differ, `${label}: elements whose bits differ`).toBe(0);
    }
  });

  it('is off unless VARIA_GEMM512=1', () => {
    process.env.VARIA_GEMM512 = '0';
    expect((addon.load(path) as { gemm512?: boolean }).gemm512).toBe(false);
    delete process.env.VARIA_GEMM512;
    expect((addon.load(path) as { gemm512?: boolean }).gemm512).toBe(false);
  });
});
