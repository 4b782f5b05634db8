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
  wasm: {
    _malloc(bytes: number): number;
    _free(offset: number): void;
    /** The single-threaded builds export their memory from the module. */
    asm?: { memory?: unknown };
    /** The threaded build makes its memory in JavaScript (shared) and imports it. */
    wasmMemory?: unknown;
    /** XNNPACK's thread pool (1 for the single-threaded builds). */
    _get_threads_count?: () => number;
  };
}

/** The backend's WebAssembly memory, whichever build it runs (undefined: none found). */
export function memoryOf(backend: WasmBackendParts): WebAssembly.Memory | undefined {
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/**
 * The backend as {@link WasmBackendParts} with its memory.
 * @throws WasmKernelsUnavailableError when it does not look like tfjs-backend-wasm 4.x.
 */
export function asWasmBackend(backend: unknown): { backend: WasmBackendParts; memory: WebAssembly.Memory } {
  const b = backend as Partial<WasmBackendParts> | undefined;
  const memory = b?.wasm ? memoryOf(b as WasmBackendParts) : undefined;
  if (
    typeof b?.makeOutput !== 'function' ||
    typeof b.disposeData !== 'function' ||
    typeof b.dataIdMap?.get !== 'function' ||
    typeof b.wasm?._malloc !== 'function' ||
    typeof b.wasm._free !== 'function' ||
    memory === undefined
  ) {
    throw new WasmKernelsUnavailableError(
      'the backend is not tfjs-backend-wasm 4.x (no dataIdMap / makeOutput / disposeData / wasm._malloc / its memory)',
    );
  }
  return { backend: b as WasmBackendParts, memory };
}

/** Where a tensor's first byte is in the backend's memory. */
export function offsetOf(backend: WasmBackendParts, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}
