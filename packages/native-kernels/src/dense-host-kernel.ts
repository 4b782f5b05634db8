import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { DENSE_HOST_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { kernelInputError, kernelShapeError, nativeCallError } from './errors.js';
import { activationOf, checked, hostArray } from './sparse-dense-kernel.js';
import { asWasmBackend, byteOffset, heapBuffer, withOutputs } from './wasm-heap.js';

/**
 * {@link DENSE_HOST_KERNEL} for the wasm backend: y = f(x·W + b) with x [rows, in] read in place from the attribute
 * `x` (a Float32Array over a plain ArrayBuffer, row-major) instead of being copied into the heap. The addon's
 * `gemmHost` makes the calls the `_FusedMatMul` kernel makes for an uploaded x (y filled with b, the loaded BLAS's
 * product with beta 1, then f), so y has its bits. An x that views the wasm memory itself is copied off it first (the
 * output could take its bytes).
 */
export function nativeDenseHost(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const x = hostArray(args.attrs, 'x', Float32Array, DENSE_HOST_KERNEL);
    const w = checked(inputs.kernel, 'kernel', 'float32', 2, DENSE_HOST_KERNEL);
    const bias = inputs.bias && checked(inputs.bias, 'bias', 'float32', 1, DENSE_HOST_KERNEL);
    const rows = args.attrs?.rows;
    const [inDim, units] = w.shape as [number, number];
    if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 1)
      throw kernelInputError(
        DENSE_HOST_KERNEL,
        'rows',
        `attribute "rows" must be a positive integer, got ${String(rows)}`,
      );
    const misfit =
      inDim < 1 || units < 1
        ? 'kernel'
        : x.length !== rows * inDim
          ? 'x'
          : bias && bias.shape[0] !== units
            ? 'bias'
            : undefined;
    if (misfit)
      throw kernelShapeError(
        DENSE_HOST_KERNEL,
        misfit,
        `shapes do not match: x (${x.length} values for ${rows} rows), kernel [${w.shape}]${bias ? `, bias [${bias.shape}]` : ''}`,
      );
    const [activation, alpha] = activationOf(DENSE_HOST_KERNEL, args.attrs);
    // x over the wasm memory itself (a view of a region no tensor may own any more): copied off it first, as the upload
    // copies it, so that the output allocation can neither take x's bytes nor grow the memory under x (which would
    // detach x's buffer)
    const source = x.buffer === heapBuffer(backend) ? x.slice() : x;
    return withOutputs(backend, DENSE_HOST_KERNEL, [[rows, units]], ([out], heap) => {
      try {
        addon.gemmHost(
          heap,
          source,
          rows,
          inDim,
          units,
          byteOffset(backend, w),
          bias ? byteOffset(backend, bias) : -1,
          byteOffset(backend, out!),
          activation,
          alpha,
        );
      } catch (e) {
        throw nativeCallError('gemmHost', e);
      }
      return out!;
    });
  };
  return { kernelName: DENSE_HOST_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
