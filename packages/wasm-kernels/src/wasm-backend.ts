import type { DataId, TensorInfo } from '@tensorflow/tfjs-core';
import { WasmKernelsUnavailableError } from './errors.js';

/**
 * The parts of tfjs-backend-wasm's `BackendWasm` the kernels use: where a tensor's bytes are in the WebAssembly
 * memory, how to allocate an output or scratch there, and the memory itself (public members of the class and of its
 * Emscripten module; checked at run time by {@link asWasmBackend}).
 */
export interface WasmBackendParts {
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: DataId): unknown;
  wasm: { _malloc(bytes: number): number; _free(offset: number): void; asm?: { memory?: unknown } };
}

/**
 * The backend as {@link WasmBackendParts} with its memory.
 * @throws WasmKernelsUnavailableError when it does not look like tfjs-backend-wasm 4.x.
 */
export function asWasmBackend(backend: unknown): { backend: WasmBackendParts; memory: WebAssembly.Memory } {
  const b = backend as Partial<WasmBackendParts> | undefined;
  const memory = b?.wasm?.asm?.memory;
  if (
    typeof b?.makeOutput !== 'function' ||
    typeof b.disposeData !== 'function' ||
    typeof b.dataIdMap?.get !== 'function' ||
    typeof b.wasm?._malloc !== 'function' ||
    typeof b.wasm._free !== 'function' ||
    !(memory instanceof WebAssembly.Memory)
  ) {
    throw new WasmKernelsUnavailableError(
      'the backend is not tfjs-backend-wasm 4.x (no dataIdMap / makeOutput / disposeData / wasm._malloc / wasm.asm.memory)',
    );
  }
  return { backend: b as WasmBackendParts, memory };
}

/** Where a tensor's first byte is in the backend's memory. */
export function offsetOf(backend: WasmBackendParts, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}
