import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { SPARSE_INPUT_DENSE_BACKWARD_KERNEL, SPARSE_INPUT_DENSE_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { DELTA_CODES } from './dense-backward-kernel.js';
import { kernelInputError, kernelShapeError } from './errors.js';
import { ACTIVATION_CODES } from './matmul-kernels.js';
import { asWasmBackend, byteOffset, withOutputs } from './wasm-heap.js';

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/** Input `name` of `kernel`, checked to be a float32 tensor of the rank. */
function floatInput(kernel: string, inputs: NamedTensorInfoMap, name: string, rank: number): TensorInfo {
  const t = (inputs as Record<string, TensorInfo | undefined>)[name];
  if (!t) throw kernelInputError(kernel, name, `missing input "${name}"`);
  if (t.dtype !== 'float32' || t.shape.length !== rank)
    throw kernelInputError(
      kernel,
      name,
      `"${name}" must be a ${rank}-D float32 tensor, got ${t.dtype} [${t.shape.join(', ')}]`,
    );
  return t;
}

/** The addon code of the `activation` attribute in `codes`, or an ArgumentError naming it. */
function activationCode(kernel: string, attrs: NamedAttrMap | undefined, codes: Readonly<Record<string, number>>) {
  const name = String(attrs?.activation ?? 'linear');
  const code = Object.hasOwn(codes, name) ? codes[name] : undefined;
  if (code === undefined)
    throw kernelInputError(
      kernel,
      'activation',
      `unsupported activation "${name}" (one of ${Object.keys(codes).join(', ')})`,
    );
  return code;
}

/**
 * {@link SPARSE_INPUT_DENSE_KERNEL} for the wasm backend: y = f(x·W + b) for a dense x that is mostly zeros, one
 * native call that reads x's non-zero entries only (x copied by column into scratch memory, then scattered into
 * 64-column output tiles held in L1; tiles shared between threads with `parallel`, the same bits for any count).
 */
export function nativeSparseInputDense(addon: NativeAddon): KernelConfig {
  const kernel = SPARSE_INPUT_DENSE_KERNEL;
  const kernelFunc = ({ inputs, backend: b, attrs }: KernelArgs): TensorInfo => {
    const backend = asWasmBackend(b);
    const x = floatInput(kernel, inputs, 'x', 2);
    const w = floatInput(kernel, inputs, 'kernel', 2);
    const bias = (inputs as Record<string, TensorInfo | undefined>).bias && floatInput(kernel, inputs, 'bias', 1);
    const [n, inDim] = x.shape as [number, number];
    const units = w.shape[1]!;
    const misfit = w.shape[0] !== inDim ? 'kernel' : bias && bias.shape[0] !== units ? 'bias' : undefined;
    if (misfit)
      throw kernelShapeError(
        kernel,
        misfit,
        `shapes do not match: x [${x.shape.join(', ')}], kernel [${w.shape.join(', ')}]${bias ? `, bias [${bias.shape.join(', ')}]` : ''}`,
      );
    const activation = activationCode(kernel, attrs, ACTIVATION_CODES);
    const alpha = Number(attrs?.leakyreluAlpha ?? 0.2);
    return withOutputs(backend, kernel, [[n, units]], ([y], heap) => {
      addon.sparseInputDense(
        heap,
        n,
        inDim,
        units,
        byteOffset(backend, x),
        byteOffset(backend, w),
        bias ? byteOffset(backend, bias) : -1,
        byteOffset(backend, y!),
        activation,
        alpha,
      );
      return y!;
    });
  };
  return { kernelName: kernel, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/**
 * {@link SPARSE_INPUT_DENSE_BACKWARD_KERNEL} for the wasm backend: δ = dy ⊙ f′(y), dW = xᵀ·δ from x's non-zero
 * entries (sums in registers per 64-column tile; tiles shared between threads, the same bits for any count) and
 * db = Σ_rows δ (the bits of `DENSE_BACKWARD_KERNEL`'s db), in one native call.
 */
export function nativeSparseInputDenseBackward(addon: NativeAddon): KernelConfig {
  const kernel = SPARSE_INPUT_DENSE_BACKWARD_KERNEL;
  const kernelFunc = ({ inputs, backend: b, attrs }: KernelArgs): TensorInfo[] => {
    const backend = asWasmBackend(b);
    const dy = floatInput(kernel, inputs, 'dy', 2);
    const y = floatInput(kernel, inputs, 'y', 2);
    const x = floatInput(kernel, inputs, 'x', 2);
    const [n, inDim] = x.shape as [number, number];
    const units = dy.shape[1]!;
    const misfit = dy.shape[0] !== n ? 'dy' : y.shape[0] !== n || y.shape[1] !== units ? 'y' : undefined;
    if (misfit)
      throw kernelShapeError(
        kernel,
        misfit,
        `shapes do not match: dy [${dy.shape.join(', ')}], y [${y.shape.join(', ')}], x [${x.shape.join(', ')}]`,
      );
    const activation = activationCode(kernel, attrs, DELTA_CODES);
    return withOutputs(backend, kernel, [[inDim, units], [units]], (outs, heap) => {
      addon.sparseInputDenseBackward(
        heap,
        n,
        inDim,
        units,
        byteOffset(backend, dy),
        byteOffset(backend, y),
        byteOffset(backend, x),
        byteOffset(backend, outs[0]!),
        byteOffset(backend, outs[1]!),
        activation,
      );
      return outs;
    });
  };
  return { kernelName: kernel, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
