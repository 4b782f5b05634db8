import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { FAST_TRANSPOSED_MATMUL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { kernelInputError, kernelShapeError } from './errors.js';
import {
  asWasmBackend,
  byteOffset,
  heapBuffer,
  runOriginal,
  type WasmBackendInternals,
  withOutputs,
} from './wasm-heap.js';
import { weightFactsTicket } from './weight-facts.js';

/**
 * Activation codes of the addon's gemm and sparseDense (varia_activate), by tfjs's fused-activation name (`prelu` is
 * left to the wasm kernel). No prototype: a name such as `constructor` is unknown, not an inherited function.
 */
export const ACTIVATION_CODES: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, {
    linear: 0,
    relu: 1,
    relu6: 2,
    leakyrelu: 3,
    elu: 4,
    sigmoid: 5,
  }),
);

/** The number of elements of a shape (tfjs's `util.sizeFromShape`, without copying the shape). */
function size(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** The operands' input names. */
const OPERANDS = ['a', 'b'] as const;

/**
 * The two operands, each of rank ≥ 2 and with the inner dimensions equal (what tf.matMul checks before it runs the
 * kernel): tfjs-wasm's own kernels do not check — a missing operand is a TypeError, a scalar an out-of-bounds read of
 * the wasm memory, unequal inner dimensions a "remainder by zero" trap.
 */
function operands(kernel: string, args: KernelArgs): { a: TensorInfo; b: TensorInfo } {
  for (const name of OPERANDS) {
    const t = args.inputs[name];
    if (!t) throw kernelInputError(kernel, name, `missing input "${name}"`);
    if (t.shape.length < 2)
      throw kernelShapeError(kernel, name, `"${name}" must have rank ≥ 2, got shape [${t.shape.join(', ')}]`);
  }
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const k = a.shape[a.shape.length - (args.attrs?.transposeA ? 2 : 1)];
  const kb = b.shape[b.shape.length - (args.attrs?.transposeB ? 1 : 2)];
  if (k !== kb)
    throw kernelShapeError(
      kernel,
      'b',
      `inner dimensions differ: a [${a.shape.join(', ')}], b [${b.shape.join(', ')}] (transposeA ${Boolean(args.attrs?.transposeA)}, transposeB ${Boolean(args.attrs?.transposeB)})`,
    );
  return { a, b };
}

/** The geometry of C = op(A)·op(B) over broadcast batch dimensions, or undefined for a case left to the wasm kernel. */
interface Plan {
  m: number;
  n: number;
  k: number;
  batch: number;
  aStride: number;
  bStride: number;
  outShape: number[];
}

function plan(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): Plan | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const a0 = a.shape[ra - 2]!;
  const a1 = a.shape[ra - 1]!;
  const b0 = b.shape[rb - 2]!;
  const b1 = b.shape[rb - 1]!;
  const m = transposeA ? a1 : a0;
  const k = transposeA ? a0 : a1;
  const kb = transposeB ? b1 : b0;
  const n = transposeB ? b0 : b1;
  if (k !== kb) return undefined; // not reached: operands() refuses it
  // two matrices (a dense layer's product): no batch dimensions, nothing to broadcast
  if (ra === 2 && rb === 2) return { m, n, k, batch: 1, aStride: 0, bStride: 0, outShape: [m, n] };
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = size(outerA);
  const batchB = size(outerB);
  let outer: number[];
  if (sameShape(outerA, outerB)) outer = outerA;
  else if (batchA === 1 && outerA.length <= outerB.length) outer = outerB;
  else if (batchB === 1 && outerB.length <= outerA.length) outer = outerA;
  else return undefined; // partial broadcasting (e.g. [2,1] × [1,3]): the wasm kernel
  const batch = size(outer);
  return {
    m,
    n,
    k,
    batch,
    aStride: batchA === 1 ? 0 : m * k,
    bStride: batchB === 1 ? 0 : k * n,
    outShape: [...outer, m, n],
  };
}

/** How the bias broadcasts onto the output, as the addon's bias size; undefined when it is another pattern. */
function biasSize(bias: TensorInfo, p: Plan): number | undefined {
  if (bias.dtype !== 'float32') return undefined;
  if (bias.shape.length === 1 && bias.shape[0] === p.n) return p.n; // one per column (a dense layer's bias)
  const s = size(bias.shape);
  const last = bias.shape[bias.shape.length - 1];
  const leadingOnes = (count: number) => bias.shape.slice(0, bias.shape.length - count).every((d) => d === 1);
  if (s === p.n && last === p.n && leadingOnes(1)) return p.n;
  if (
    bias.shape.length >= 2 &&
    s === p.m * p.n &&
    bias.shape[bias.shape.length - 2] === p.m &&
    last === p.n &&
    leadingOnes(2)
  ) {
    return p.m * p.n;
  }
  if (sameShape(bias.shape, p.outShape)) return s;
  return undefined;
}

function run(
  addon: NativeAddon,
  backend: WasmBackendInternals,
  a: TensorInfo,
  b: TensorInfo,
  p: Plan,
  transposeA: boolean,
  transposeB: boolean,
  bias: { tensor: TensorInfo; size: number } | undefined,
  activation: number,
  alpha: number,
): TensorInfo {
  return withOutputs(backend, 'MatMul', [p.outShape], ([out], heap) => {
    if (p.m === 0 || p.n === 0 || p.batch === 0) return out!; // an empty result
    addon.gemm(
      heap,
      transposeA,
      transposeB,
      p.m,
      p.n,
      p.k,
      p.batch,
      byteOffset(backend, a),
      p.aStride,
      byteOffset(backend, b),
      p.bStride,
      byteOffset(backend, out!),
      bias ? byteOffset(backend, bias.tensor) : -1,
      bias ? bias.size : 0,
      activation,
      alpha,
      // one product with op(B) = B: what the in-step Adam knew of B's values when it wrote them, if it still holds
      p.batch === 1 && !transposeB ? weightFactsTicket(b.dataId) : 0,
    );
    return out!;
  });
}

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/**
 * `BatchMatMul` for the wasm backend computed by the native BLAS: any rank ≥ 2, transpose flags at no cost (the BLAS
 * reads the operand transposed), batch dimensions equal or broadcast from one matrix, empty operands (tfjs-wasm 4.22's
 * own kernel leaves an [m, 0]·[0, n] product uninitialized). Anything else (non-float32, partial broadcasting, the
 * threaded build's shared memory) goes to the original wasm kernel.
 */
export function nativeBatchMatMul(addon: NativeAddon, original: KernelConfig): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const { a, b } = operands(original.kernelName, args);
    const transposeA = Boolean(args.attrs?.transposeA);
    const transposeB = Boolean(args.attrs?.transposeB);
    const p = plan(a, b, transposeA, transposeB);
    const backend = asWasmBackend(args.backend);
    const out =
      p && heapBuffer(backend) ? run(addon, backend, a, b, p, transposeA, transposeB, undefined, 0, 0) : undefined;
    return out ?? runOriginal(original, args as Parameters<KernelFunc>[0]);
  };
  return { ...original, kernelFunc: kernelFunc as KernelFunc, [FAST_TRANSPOSED_MATMUL]: true } as KernelConfig;
}

/**
 * `_FusedMatMul` (matMul + bias + activation, what `tf.fused.matMul` and dense layers run) for the wasm backend: the
 * bias is written into the output first and the BLAS accumulates onto it (β = 1), then the activation is applied in
 * place. Biases that broadcast per row, per matrix or element-wise, and the activations linear, relu, relu6,
 * leakyrelu, elu and sigmoid are native; prelu and other patterns go to the original wasm kernel.
 */
export function nativeFusedMatMul(addon: NativeAddon, original: KernelConfig): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const { a, b } = operands(original.kernelName, args);
    const { bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const transposeA = Boolean(args.attrs?.transposeA);
    const transposeB = Boolean(args.attrs?.transposeB);
    const activation = ACTIVATION_CODES[String(args.attrs?.activation ?? 'linear')];
    const alpha = Number(args.attrs?.leakyreluAlpha ?? 0.2);
    const p = plan(a, b, transposeA, transposeB);
    const biasSz = p && bias ? biasSize(bias, p) : undefined;
    const backend = asWasmBackend(args.backend);
    const native =
      p !== undefined &&
      activation !== undefined &&
      !preluActivationWeights &&
      (!bias || biasSz !== undefined) &&
      heapBuffer(backend);
    const out = native
      ? run(
          addon,
          backend,
          a,
          b,
          p,
          transposeA,
          transposeB,
          bias ? { tensor: bias, size: biasSz! } : undefined,
          activation,
          alpha,
        )
      : undefined;
    return out ?? runOriginal(original, args as Parameters<KernelFunc>[0]);
  };
  return { ...original, kernelFunc: kernelFunc as KernelFunc, [FAST_TRANSPOSED_MATMUL]: true } as KernelConfig;
}
