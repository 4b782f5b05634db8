import {
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { LGAMMA_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { kernelInputError } from './errors.js';
import { SIGMOID_OP, sigmoidAgrees } from './sigmoid-probe.js';
import { asWasmBackend, byteOffset, heapBuffer, runOriginal, withOutputs } from './wasm-heap.js';

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

const size = (shape: readonly number[]): number => util.sizeFromShape([...shape]);

/** Op codes of the addon's `unary`. */
const UNARY_OPS = { Softplus: 0, Exp: 1, Log: 2, Log1p: 3, [LGAMMA_KERNEL]: 4, Sigmoid: SIGMOID_OP } as const;

/**
 * `Softplus`, `Exp`, `Log`, `Log1p` or `Sigmoid` for float32 tensors on the wasm backend, computed by the addon's
 * vectorized loops (tfjs-wasm 4.22 runs the first four one scalar libm call per element: 0.8–2.2 ms for 100k elements,
 * ~4–10× the native loops). softplus(x) = max(x, 0) + log1p(e^{−|x|}). σ is a port of the backend's own kernel
 * (XNNPACK's wasm-SIMD micro-kernel: the same bits on all 2³² inputs, `scripts/sigmoid-exhaustive.mjs`, ~2.5× faster),
 * used where a probe finds the original gives those bits (tfjs-wasm 4.22's SIMD build; not its non-SIMD one). Other
 * dtypes and the threaded build go to the original kernel.
 */
export function nativeUnary(addon: NativeAddon, original: KernelConfig): KernelConfig {
  const op = UNARY_OPS[original.kernelName as keyof typeof UNARY_OPS];
  if (op === undefined) throw kernelInputError(original.kernelName, 'original', `no native ${original.kernelName}`);
  const kernelFunc = (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const x = args.inputs.x;
    if (!x) throw kernelInputError(original.kernelName, 'x', 'missing input "x"');
    // tfjs-wasm 4.22's own kernel reads a bool (or string, complex64) input out of bounds and breaks the wasm memory
    if (x.dtype !== 'float32' && x.dtype !== 'int32')
      throw kernelInputError(original.kernelName, 'x', `"x" must be float32 or int32, got ${x.dtype}`);
    const backend = asWasmBackend(args.backend);
    // σ: only where the original gives the bits of the addon's port (sigmoid-probe.ts)
    const own =
      x.dtype !== 'float32' || !heapBuffer(backend) || (op === SIGMOID_OP && !sigmoidAgrees(addon, backend, original));
    if (own) return runOriginal(original, args as Parameters<KernelFunc>[0]);
    const n = size(x.shape);
    return withOutputs(backend, original.kernelName, [x.shape], ([out], heap) => {
      if (n > 0) addon.unary(heap, op, n, byteOffset(backend, x), byteOffset(backend, out!));
      return out!;
    });
  };
  return { ...original, kernelFunc: kernelFunc as KernelFunc };
}

/**
 * The {@link LGAMMA_KERNEL} kernel (log Γ(x), float32, x > 0; NaN for x ≤ 0) for the wasm backend: the algorithm of
 * `@varia/distributions`' composite lgamma (shift by 6, Stirling's series) in one native pass instead of ~25 kernels.
 */
export function nativeLgamma(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const x = args.inputs.x;
    if (x?.dtype !== 'float32') throw kernelInputError(LGAMMA_KERNEL, 'x', '"x" must be a float32 tensor');
    const backend = asWasmBackend(args.backend);
    const n = size(x.shape);
    return withOutputs(backend, LGAMMA_KERNEL, [x.shape], ([out], heap) => {
      if (n > 0) addon.unary(heap, UNARY_OPS[LGAMMA_KERNEL], n, byteOffset(backend, x), byteOffset(backend, out!));
      return out!;
    });
  };
  return { kernelName: LGAMMA_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/**
 * `Sum` of a float32 tensor over a contiguous block of axes (e.g. axis 0 of a [batch, units] gradient — the bias
 * gradient — which tfjs-wasm 4.22 transposes first and sums ~5× slower than a row sum). Other axis sets, dtypes and
 * the threaded build go to the original kernel.
 */
export function nativeSum(addon: NativeAddon, original: KernelConfig): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const x = args.inputs.x;
    if (!x) throw kernelInputError(original.kernelName, 'x', 'missing input "x"');
    const backend = asWasmBackend(args.backend);
    const rank = x?.shape.length ?? 0;
    const rawAxis = args.attrs?.axis;
    const axes = (
      rawAxis === undefined || rawAxis === null ? [...Array(rank).keys()] : Array.isArray(rawAxis) ? rawAxis : [rawAxis]
    )
      .map((a) => Number(a))
      .map((a) => (a < 0 ? a + rank : a))
      .sort((a, b) => a - b);
    const unique = axes.filter((a, i) => i === 0 || a !== axes[i - 1]);
    const contiguous =
      unique.length > 0 &&
      unique.every((a, i) => Number.isInteger(a) && a >= 0 && a < rank && (i === 0 || a === unique[i - 1]! + 1));
    if (x?.dtype !== 'float32' || !contiguous || size(x.shape) === 0 || !heapBuffer(backend)) {
      return runOriginal(original, args as Parameters<KernelFunc>[0]);
    }
    const first = unique[0]!;
    const last = unique[unique.length - 1]!;
    const outer = size(x.shape.slice(0, first));
    const reduce = size(x.shape.slice(first, last + 1));
    const inner = size(x.shape.slice(last + 1));
    const keepDims = Boolean(args.attrs?.keepDims);
    const outShape = keepDims
      ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : x.shape.filter((_, i) => i < first || i > last);
    return withOutputs(backend, original.kernelName, [outShape], ([out], heap) => {
      addon.sum(heap, byteOffset(backend, x), byteOffset(backend, out!), outer, reduce, inner);
      return out!;
    });
  };
  return { ...original, kernelFunc: kernelFunc as KernelFunc };
}
