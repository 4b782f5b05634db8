import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { MUL_SUB_KERNEL, SCALED_SUM_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { asWasmBackend, byteOffset, heapBuffer, type WasmBackendInternals } from './wasm-heap.js';

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/** The operands as float32 tensors of one shape; the output allocated; the heap read after the allocation. */
function prepare(
  kernel: string,
  operands: (TensorInfo | undefined)[],
  backend: unknown,
): { wasm: WasmBackendInternals; out: TensorInfo; heap: ArrayBuffer; size: number; offsets: number[] } {
  const shape = operands[0]?.shape ?? [];
  for (const t of operands) {
    if (t?.dtype !== 'float32' || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${kernel}: the operands must be float32 tensors of one shape`);
    }
  }
  const wasm = asWasmBackend(backend);
  const out = wasm.makeOutput([...shape], 'float32');
  const heap = heapBuffer(wasm);
  if (!heap) throw new Error(`${kernel}: the threaded wasm build's shared memory is not supported`);
  const offsets = [...operands, out].map((t) => byteOffset(wasm, t!));
  return { wasm, out, heap, size: shape.reduce((a, b) => a * b, 1), offsets };
}

/** {@link MUL_SUB_KERNEL} for the wasm backend: y = a·b − c in one native pass (each operation rounded alone). */
export function nativeMulSub(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { a, b, c } = args.inputs;
    const p = prepare(MUL_SUB_KERNEL, [a, b, c], args.backend);
    const [ao, bo, co, yo] = p.offsets as [number, number, number, number];
    if (p.size > 0) addon.mulSub(p.heap, p.size, ao, bo, co, yo);
    return p.out;
  };
  return { kernelName: MUL_SUB_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/** {@link SCALED_SUM_KERNEL} for the wasm backend: y = α·x + β·z in one native pass (each operation rounded alone). */
export function nativeScaledSum(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { x, z } = args.inputs;
    const { alpha, beta } = args.attrs ?? {};
    if (typeof alpha !== 'number' || typeof beta !== 'number') {
      throw new Error(`${SCALED_SUM_KERNEL}: attributes "alpha" and "beta" must be numbers`);
    }
    const p = prepare(SCALED_SUM_KERNEL, [x, z], args.backend);
    const [xo, zo, yo] = p.offsets as [number, number, number];
    if (p.size > 0) addon.scaledSum(p.heap, p.size, xo, zo, alpha, beta, yo);
    return p.out;
  };
  return { kernelName: SCALED_SUM_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
