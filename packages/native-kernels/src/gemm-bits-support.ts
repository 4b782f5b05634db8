import type { NativeAddon } from './addon.js';

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
