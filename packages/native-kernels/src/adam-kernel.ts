import {
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { asWasmBackend, byteOffset, heapBuffer } from './wasm-heap.js';

const INPUTS = ['variable', 'gradient', 'firstMoment', 'secondMoment'] as const;

/**
 * The fused Adam step ({@link ADAM_UPDATE_KERNEL}) for the wasm backend: one native pass over the parameters reads
 * w, g, m, v and writes w′, m′, v′ — instead of the ~12 elementwise wasm kernels (and their temporaries) of tfjs's
 * Adam. Outputs are new tensors; the optimizer assigns them to its variables.
 */
export function nativeAdamUpdate(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const tensors = INPUTS.map((name) => {
      const t = args.inputs[name];
      if (!t) throw new Error(`${ADAM_UPDATE_KERNEL}: missing input "${name}"`);
      if (t.dtype !== 'float32') throw new Error(`${ADAM_UPDATE_KERNEL}: "${name}" must be float32, got ${t.dtype}`);
      return t;
    });
    const [w, g, m, v] = tensors as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const size = util.sizeFromShape(w.shape);
    for (const t of [g, m, v]) {
      if (util.sizeFromShape(t.shape) !== size) {
        throw new Error(
          `${ADAM_UPDATE_KERNEL}: inputs must have one shape, got [${w.shape.join(', ')}] and [${t.shape.join(', ')}]`,
        );
      }
    }
    const attr = (name: string): number => {
      const value = Number(args.attrs?.[name]);
      if (!Number.isFinite(value))
        throw new Error(`${ADAM_UPDATE_KERNEL}: attribute "${name}" must be a finite number`);
      return value;
    };
    if (!heapBuffer(backend))
      throw new Error(`${ADAM_UPDATE_KERNEL}: the threaded wasm build's shared memory is not supported`);
    const outs = [w, m, v].map((t) => backend.makeOutput([...t.shape], 'float32'));
    const [w2, m2, v2] = outs as [TensorInfo, TensorInfo, TensorInfo];
    const heap = heapBuffer(backend)!; // read after the allocations, which may have grown the memory
    addon.adam(
      heap,
      size,
      byteOffset(backend, w),
      byteOffset(backend, g),
      byteOffset(backend, m),
      byteOffset(backend, v),
      byteOffset(backend, w2),
      byteOffset(backend, m2),
      byteOffset(backend, v2),
      attr('learningRate'),
      attr('beta1'),
      attr('beta2'),
      attr('epsilon'),
      attr('beta1Power'),
      attr('beta2Power'),
    );
    return outs;
  };
  return { kernelName: ADAM_UPDATE_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
