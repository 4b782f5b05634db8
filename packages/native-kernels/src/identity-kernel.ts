import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { kernelInputError } from './errors.js';
import { asWasmBackend, runOriginal } from './wasm-heap.js';

/** One more holder of x's data (an unknown, e.g. disposed, tensor is an ArgumentError, not tfjs's TypeError). */
function shared(kernel: string, backend: unknown, x: TensorInfo): void {
  const wasm = asWasmBackend(backend);
  if (!wasm.dataIdMap.has(x.dataId)) throw kernelInputError(kernel, 'x', '"x" is not on the wasm backend (disposed?)');
  wasm.incRef(x.dataId);
}

/**
 * `Identity` (what `tf.clone` runs, and what TensorFlow.js's gradient tape runs for every tensor it saves for the
 * backward pass) for the wasm backend without a copy: the output shares the input's data and the backend's reference
 * count goes up, as the cpu backend's Identity and the wasm backend's own `Reshape` do. tfjs-wasm 4.22 copies the data
 * instead — ~45 copies per training step of an MNIST VAE, weight matrices included. No wasm kernel writes into its
 * inputs, and the one native kernel that updates data in place (Adam) does so only where the reference count is 1.
 * String tensors go to the original kernel.
 */
export function sharingIdentity(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown }): TensorInfo | TensorInfo[] => {
    const x = args.inputs.x;
    if (!x) throw kernelInputError(original.kernelName, 'x', 'missing input "x"');
    if (x.dtype === 'string') return runOriginal(original, args as Parameters<KernelFunc>[0]);
    shared(original.kernelName, args.backend, x);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { ...original, kernelFunc: kernelFunc as KernelFunc };
}

/**
 * `Cast` for the wasm backend where the dtype does not change (tfjs's gradients of `mul` and `div` cast their float32
 * operands to float32): the output shares the input's data, as {@link sharingIdentity}, instead of tfjs-wasm 4.22's
 * copy. Real conversions go to the original kernel.
 */
export function sharingCast(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: NamedTensorInfoMap;
    backend: unknown;
    attrs?: NamedAttrMap;
  }): TensorInfo | TensorInfo[] => {
    const x = args.inputs.x;
    if (!x) throw kernelInputError(original.kernelName, 'x', 'missing input "x"');
    if (x.dtype === 'string' || args.attrs?.dtype !== x.dtype) {
      return runOriginal(original, args as Parameters<KernelFunc>[0]);
    }
    shared(original.kernelName, args.backend, x);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { ...original, kernelFunc: kernelFunc as KernelFunc };
}
