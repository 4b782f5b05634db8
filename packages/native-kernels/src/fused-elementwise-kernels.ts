import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { MUL_SUB_KERNEL, SCALED_SUM_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { NativeKernelsUnavailableError, kernelInputError, kernelShapeError } from './errors.js';
import { asWasmBackend, byteOffset, heapBuffer, type WasmBackendInternals } from './wasm-heap.js';

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/** The named operands as float32 tensors of one shape; the output allocated; the heap read after the allocation. */
function prepare(
  kernel: string,
  inputs: NamedTensorInfoMap,
  names: readonly string[],
  backend: unknown,
): { wasm: WasmBackendInternals; out: TensorInfo; heap: ArrayBuffer; size: number; offsets: number[] } {
  const operands = names.map((name) => inputs[name]);
  const shape = operands[0]?.shape ?? [];
  for (const [i, t] of operands.entries()) {
    const message = 'the operands must be float32 tensors of one shape';
    if (t?.dtype !== 'float32') throw kernelInputError(kernel, names[i]!, message);
    if (t.shape.length !== shape.length || t.shape.some((d, j) => d !== shape[j]))
      throw kernelShapeError(kernel, names[i]!, message);
  }
  const wasm = asWasmBackend(backend);
  if (!heapBuffer(wasm))
    throw new NativeKernelsUnavailableError(`${kernel}: the threaded wasm build's shared memory is not supported`);
  // the operands' offsets first (a disposed one is refused before anything is allocated); byte offsets stay valid
  // when the allocation grows the memory, the buffer does not: it is read after
  const offsets = operands.map((t) => byteOffset(wasm, t!));
  const out = wasm.makeOutput([...shape], 'float32');
  offsets.push(byteOffset(wasm, out));
  const heap = heapBuffer(wasm)!;
  return { wasm, out, heap, size: shape.reduce((a, b) => a * b, 1), offsets };
}

/** {@link MUL_SUB_KERNEL} for the wasm backend: y = a·b − c in one native pass (each operation rounded alone). */
export function nativeMulSub(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const p = prepare(MUL_SUB_KERNEL, args.inputs, ['a', 'b', 'c'], args.backend);
    const [ao, bo, co, yo] = p.offsets as [number, number, number, number];
    if (p.size > 0) addon.mulSub(p.heap, p.size, ao, bo, co, yo);
    return p.out;
  };
  return { kernelName: MUL_SUB_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/** {@link SCALED_SUM_KERNEL} for the wasm backend: y = α·x + β·z in one native pass (each operation rounded alone). */
export function nativeScaledSum(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { alpha, beta } = args.attrs ?? {};
    if (typeof alpha !== 'number' || typeof beta !== 'number') {
      const attribute = typeof alpha !== 'number' ? 'alpha' : 'beta';
      throw kernelInputError(SCALED_SUM_KERNEL, attribute, 'attributes "alpha" and "beta" must be numbers');
    }
    const p = prepare(SCALED_SUM_KERNEL, args.inputs, ['x', 'z'], args.backend);
    const [xo, zo, yo] = p.offsets as [number, number, number];
    if (p.size > 0) addon.scaledSum(p.heap, p.size, xo, zo, alpha, beta, yo);
    return p.out;
  };
  return { kernelName: SCALED_SUM_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
