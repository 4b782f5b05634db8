import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { SPARSE_DENSE_HOST_KERNEL, SPARSE_DENSE_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { kernelInputError, kernelShapeError, nativeCallError } from './errors.js';
import { ACTIVATION_CODES } from './matmul-kernels.js';
import { asWasmBackend, byteOffset, withOutputs } from './wasm-heap.js';

/** Checks one input's dtype and rank, naming it (and the kernel, {@link SPARSE_DENSE_KERNEL} unless given). */
export function checked(
  t: TensorInfo | undefined,
  name: string,
  dtype: 'int32' | 'float32',
  rank: number,
  kernel: string = SPARSE_DENSE_KERNEL,
): TensorInfo {
  if (!t) throw kernelInputError(kernel, name, `missing input "${name}"`);
  if (t.dtype !== dtype || t.shape.length !== rank)
    throw kernelInputError(
      kernel,
      name,
      `"${name}" must be a ${rank}-D ${dtype} tensor, got ${t.dtype} [${t.shape.join(', ')}]`,
    );
  return t;
}

/** The activation's code for the addon and leaky ReLU's slope, from the attributes `activation` and `leakyreluAlpha`. */
export function activationOf(kernel: string, attrs: NamedAttrMap | undefined): [number, number] {
  const activation = ACTIVATION_CODES[String(attrs?.activation ?? 'linear')];
  if (activation === undefined)
    throw kernelInputError(kernel, 'activation', `unsupported activation "${String(attrs?.activation)}"`);
  return [activation, Number(attrs?.leakyreluAlpha ?? 0.2)];
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
    const [activation, alpha] = activationOf(SPARSE_DENSE_KERNEL, args.attrs);
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

/**
 * An attribute that must be a typed array of `type` over a plain ArrayBuffer (read in place by the addon); errors name
 * the kernel ({@link SPARSE_DENSE_HOST_KERNEL} unless given).
 */
export function hostArray<T extends Int32Array | Float32Array>(
  attrs: NamedAttrMap | undefined,
  name: string,
  type: new (length: number) => T,
  kernel: string = SPARSE_DENSE_HOST_KERNEL,
): T {
  const a = (attrs as Record<string, unknown> | undefined)?.[name];
  if (!(a instanceof type) || !(a.buffer instanceof ArrayBuffer))
    throw kernelInputError(kernel, name, `attribute "${name}" must be a ${type.name} over an ArrayBuffer (not shared)`);
  return a;
}

/**
 * {@link SPARSE_DENSE_HOST_KERNEL} for the wasm backend: {@link nativeSparseDense}'s product (the same bits) with X's
 * `indptr`, `indices` and — unless given as the input `values` (on the heap, e.g. transformed there) — `values` read
 * in place from the attributes' typed arrays, so nothing is copied into the heap, and the structure checked in the
 * addon's pass with `assertSparseMatrix`'s rules (columns strictly increasing): a malformed one is a
 * {@link DataError} naming the row (and column), and the output is freed. Attribute `valuesTransform: 'log1p'` (values
 * given as the attribute): the product of log1p(values), with the Log1p kernel's bits, without a tensor of them.
 */
export function nativeSparseDenseHost(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const indptr = hostArray(args.attrs, 'indptr', Int32Array);
    const indices = hostArray(args.attrs, 'indices', Int32Array);
    const onHeap = inputs.values && checked(inputs.values, 'values', 'float32', 1);
    const values = onHeap ? undefined : hostArray(args.attrs, 'values', Float32Array);
    const w = checked(inputs.kernel, 'kernel', 'float32', 2);
    const bias = inputs.bias && checked(inputs.bias, 'bias', 'float32', 1);
    const rows = indptr.length - 1;
    const [inDim, units] = w.shape as [number, number];
    const stored = onHeap ? onHeap.shape[0]! : values!.length;
    const misfit =
      rows < 0
        ? 'indptr'
        : stored !== indices.length
          ? 'values'
          : bias && bias.shape[0] !== units
            ? 'bias'
            : inDim < 1 || units < 1
              ? 'kernel'
              : undefined;
    if (misfit)
      throw kernelShapeError(
        SPARSE_DENSE_HOST_KERNEL,
        misfit,
        `shapes do not match: indptr (${indptr.length}), indices (${indices.length}), values (${stored}), kernel [${w.shape}]${bias ? `, bias [${bias.shape}]` : ''}`,
      );
    const [activation, alpha] = activationOf(SPARSE_DENSE_HOST_KERNEL, args.attrs);
    const transform = args.attrs?.valuesTransform;
    if (transform !== undefined && (transform !== 'log1p' || onHeap))
      throw kernelInputError(
        SPARSE_DENSE_HOST_KERNEL,
        'valuesTransform',
        `attribute "valuesTransform" must be 'log1p' with the attribute "values", got ${String(transform)}${onHeap ? ' with the input "values"' : ''}`,
      );
    return withOutputs(backend, SPARSE_DENSE_HOST_KERNEL, [[rows, units]], ([out], heap) => {
      try {
        addon.sparseDenseHost(
          heap,
          indptr,
          indices,
          onHeap ? byteOffset(backend, onHeap) : values!,
          rows,
          inDim,
          units,
          byteOffset(backend, w),
          bias ? byteOffset(backend, bias) : -1,
          byteOffset(backend, out!),
          activation,
          alpha,
          transform === 'log1p' ? 1 : 0,
        );
      } catch (e) {
        throw nativeCallError('sparseDenseHost', e);
      }
      return out!;
    });
  };
  return { kernelName: SPARSE_DENSE_HOST_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
