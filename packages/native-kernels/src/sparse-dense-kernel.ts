import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { SPARSE_DENSE_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { kernelInputError, kernelShapeError, nativeCallError } from './errors.js';
import { ACTIVATION_CODES } from './matmul-kernels.js';
import { asWasmBackend, byteOffset, withOutputs } from './wasm-heap.js';

/** Checks one input's dtype and rank, naming it. */
function checked(t: TensorInfo | undefined, name: string, dtype: 'int32' | 'float32', rank: number): TensorInfo {
  if (!t) throw kernelInputError(SPARSE_DENSE_KERNEL, name, `missing input "${name}"`);
  if (t.dtype !== dtype || t.shape.length !== rank)
    throw kernelInputError(
      SPARSE_DENSE_KERNEL,
      name,
      `"${name}" must be a ${rank}-D ${dtype} tensor, got ${t.dtype} [${t.shape.join(', ')}]`,
    );
  return t;
}

/**
 * {@link SPARSE_DENSE_KERNEL} for the wasm backend: y = f(X·W + b) for a CSR X, one native call that reads only the
 * stored entries (with AVX-512F and sorted rows, row by row with register accumulators over ranges of W held in
 * cache; else blocks of 128 rows copied by column, scattered into 64-column output tiles held in L1: the same bits;
 * the work shared between threads with `parallel`, the same bits for any count). The addon checks the whole CSR structure before it
 * writes anything; a malformed one is a {@link DataError} naming the row (and column), and the output is freed.
 */
export function nativeSparseDense(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const indptr = checked(inputs.indptr, 'indptr', 'int32', 1);
    const indices = checked(inputs.indices, 'indices', 'int32', 1);
    const values = checked(inputs.values, 'values', 'float32', 1);
    const w = checked(inputs.kernel, 'kernel', 'float32', 2);
    const bias = inputs.bias && checked(inputs.bias, 'bias', 'float32', 1);
    const rows = indptr.shape[0]! - 1;
    const nnz = indices.shape[0]!;
    const [inDim, units] = w.shape as [number, number];
    const misfit =
      rows < 0
        ? 'indptr'
        : values.shape[0] !== nnz
          ? 'values'
          : bias && bias.shape[0] !== units
            ? 'bias'
            : inDim < 1 || units < 1
              ? 'kernel'
              : undefined;
    if (misfit)
      throw kernelShapeError(
        SPARSE_DENSE_KERNEL,
        misfit,
        `shapes do not match: indptr [${indptr.shape}], indices [${indices.shape}], values [${values.shape}], kernel [${w.shape}]${bias ? `, bias [${bias.shape}]` : ''}`,
      );
    const activation = ACTIVATION_CODES[String(args.attrs?.activation ?? 'linear')];
    if (activation === undefined)
      throw kernelInputError(
        SPARSE_DENSE_KERNEL,
        'activation',
        `unsupported activation "${String(args.attrs?.activation)}"`,
      );
    const alpha = Number(args.attrs?.leakyreluAlpha ?? 0.2);
    return withOutputs(backend, SPARSE_DENSE_KERNEL, [[rows, units]], ([out], heap) => {
      try {
        addon.sparseDense(
          heap,
          rows,
          inDim,
          units,
          nnz,
          byteOffset(backend, indptr),
          byteOffset(backend, indices),
          byteOffset(backend, values),
          byteOffset(backend, w),
          bias ? byteOffset(backend, bias) : -1,
          byteOffset(backend, out!),
          activation,
          alpha,
        );
      } catch (e) {
        throw nativeCallError('sparseDense', e); // a malformed CSR: a DataError at its row (the addon maps it already)
      }
      return out!;
    });
  };
  return { kernelName: SPARSE_DENSE_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
