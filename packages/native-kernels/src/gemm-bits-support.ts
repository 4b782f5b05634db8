import { expect } from 'vitest';
import type { NativeAddon } from './addon.js';
import { expectSameBits } from './test-support.js';

/** The operands of one product: op(A) [m, k] row-major, B [k, n], a bias [n]. */
export interface GemmOperands {
  a: Float32Array;
  b: Float32Array;
  bias: Float32Array;
}

/** op(A) [m, k] as A = op(A)ᵀ [k, m] (for products with transposeA). */
export function transposed(a: Float32Array, m: number, k: number): Float32Array {
  const t = new Float32Array(m * k);
  for (let i = 0; i < m; i++) for (let q = 0; q < k; q++) t[q * m + i] = a[i * k + q]!;
  return t;
}

/**
 * The bits of C = op(A)·B (+ bias) computed by the addon's `gemm` on a heap of its own, C filled with NaN before (so an
 * element the product does not write shows). transposeA: A is given to `gemm` as op(A)ᵀ.
 */
export function gemmBits(
  addon: NativeAddon,
  [m, n, k]: readonly number[],
  data: GemmOperands,
  withBias: boolean,
  transposeA = false,
): Uint32Array {
  const heap = new ArrayBuffer(4 * (m! * k! + k! * n! + n! + m! * n!));
  const values = new Float32Array(heap);
  values.set(transposeA ? transposed(data.a, m!, k!) : data.a, 0);
  values.set(data.b, m! * k!);
  values.set(data.bias, m! * k! + k! * n!);
  const c = m! * k! + k! * n! + n!;
  values.fill(Number.NaN, c);
  const bias = withBias ? 4 * (m! * k! + k! * n!) : -1;
  addon.gemm(heap, transposeA, false, m!, n!, k!, 1, 0, 0, 4 * m! * k!, 0, 4 * c, bias, n!, 0, 0);
  return new Uint32Array(heap.slice(4 * c));
}

/**
 * A kernel blas.c may take instead of dnnl_sgemm, switched at the addon's `load`: its name, `load(flag)` (off '0' or
 * on '1'; whether it is then on) and its counter of the products it took.
 */
export interface SwitchedKernel {
  name: string;
  load: (flag: '0' | '1') => boolean;
  taken: () => number;
}

/**
 * `product`: C = op(A)·B (+ bias) through the addon's gemm with the kernel off or on — C's bits and how many products
 * took it; `same`: the product both ways, the same bits, taken (or not) as `taken` says (so a bit test cannot pass by
 * oneDNN running both times). `addon` is read at each call (tests load it in `beforeAll`).
 */
export function switchedProducts(addon: () => NativeAddon, kernel: SwitchedKernel) {
  const product = (
    shape: readonly number[],
    data: GemmOperands,
    withBias: boolean,
    flag: '0' | '1',
    transposeA = false,
  ): { bits: Uint32Array; taken: number } => {
    expect(kernel.load(flag), `${kernel.name} ${flag === '1' ? 'on' : 'off'}`).toBe(flag === '1');
    const before = kernel.taken();
    const bits = gemmBits(addon(), shape, data, withBias, transposeA);
    return { bits, taken: kernel.taken() - before };
  };
  const same = (
    shape: readonly number[],
    data: GemmOperands,
    withBias: boolean,
    taken: boolean,
    what: string,
    transposeA = false,
  ): void => {
    const off = product(shape, data, withBias, '0', transposeA);
    const on = product(shape, data, withBias, '1', transposeA);
    expect(off.taken, `${what}: off`).toBe(0);
    expect(on.taken, `${what}: taken`).toBe(taken ? 1 : 0);
    expectSameBits(on.bits, off.bits, what);
  };
  return { product, same };
}
