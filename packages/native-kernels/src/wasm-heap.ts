import type { DataId, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { NativeKernelsUnavailableError, kernelInputError } from './errors.js';

/**
 * The parts of tfjs-backend-wasm's `BackendWasm` that the native kernels use: where a tensor's bytes live in the
 * WebAssembly memory, how to allocate an output there, and the memory itself. These are public members of the class
 * (the wasm backend's own kernels use them the same way), checked at run time by {@link asWasmBackend}.
 */
export interface WasmBackendInternals {
  dataIdMap: {
    has(dataId: DataId): boolean;
    get(dataId: DataId): { memoryOffset: number; refCount?: number } | undefined;
  };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: DataId): unknown;
  incRef(dataId: DataId): void;
  wasm: { HEAPU8: Uint8Array };
}

/**
 * Returns the backend typed as {@link WasmBackendInternals} after checking that it has those members.
 * @throws NativeKernelsUnavailableError when it does not look like tfjs-backend-wasm 4.x.
 */
export function asWasmBackend(backend: unknown): WasmBackendInternals {
  const b = backend as Partial<WasmBackendInternals> | undefined;
  if (
    typeof b?.makeOutput !== 'function' ||
    typeof b.disposeData !== 'function' ||
    typeof b.incRef !== 'function' ||
    typeof b.dataIdMap?.get !== 'function' ||
    typeof b.dataIdMap.has !== 'function' ||
    !(b.wasm?.HEAPU8 instanceof Uint8Array)
  ) {
    throw new NativeKernelsUnavailableError(
      'the backend is not tfjs-backend-wasm 4.x (no dataIdMap / makeOutput / incRef / wasm.HEAPU8)',
    );
  }
  return b as WasmBackendInternals;
}

/** A tensor's record in the wasm backend: its data's byte offset in the wasm memory and reference count. */
export function heapEntry(backend: WasmBackendInternals, t: TensorInfo): { memoryOffset: number; refCount?: number } {
  // has() first: get() of an unknown (e.g. disposed) tensor's data throws a TypeError inside tfjs
  const entry = backend.dataIdMap.has(t.dataId) ? backend.dataIdMap.get(t.dataId) : undefined;
  if (!entry)
    throw kernelInputError(
      'native-kernels',
      'tensor',
      `a tensor (data ${String(t.dataId)}) is not on the wasm backend`,
    );
  return entry;
}

/** Byte offset of a tensor's data in the wasm memory. */
export function byteOffset(backend: WasmBackendInternals, t: TensorInfo): number {
  return heapEntry(backend, t).memoryOffset;
}

/**
 * The wasm memory as an ArrayBuffer, read after any allocation (growing the memory replaces the buffer), or undefined
 * when it is a SharedArrayBuffer (the threaded wasm build), which the addon does not take.
 */
export function heapBuffer(backend: WasmBackendInternals): ArrayBuffer | undefined {
  const buffer = backend.wasm.HEAPU8.buffer;
  return buffer instanceof ArrayBuffer ? buffer : undefined;
}

/**
 * Allocates float32 outputs of the given shapes and calls `fill` with them and the wasm memory (read after the
 * allocations, which may have grown it). When `fill` throws — an input that is not on the backend (disposed), the
 * addon's refusal — the outputs are freed before the error goes on, so a refused call leaves the backend's data as it
 * was (a kernel function's outputs have no tensor yet: nothing else would ever free them).
 * @throws NativeKernelsUnavailableError for the threaded wasm build's shared memory (nothing allocated then).
 * @throws ArgumentError naming the kernel when an output could not be allocated (the wasm memory cannot grow).
 */
export function withOutputs<T>(
  backend: WasmBackendInternals,
  kernel: string,
  shapes: readonly number[][],
  fill: (outputs: TensorInfo[], heap: ArrayBuffer) => T,
): T {
  if (!heapBuffer(backend))
    throw new NativeKernelsUnavailableError(`${kernel}: the threaded wasm build's shared memory is not supported`);
  const outputs: TensorInfo[] = [];
  try {
    for (const shape of shapes) {
      const out = backend.makeOutput([...shape], 'float32');
      outputs.push(out);
      // tfjs-backend-wasm does not check its malloc: 0 is its failure (the memory cannot grow), never an allocation —
      // an output there would overwrite the start of the wasm memory, which no bounds check can tell from a region
      if (heapEntry(backend, out).memoryOffset === 0 && shape.every((d) => d > 0)) {
        throw new ArgumentError(
          kernel,
          `${kernel}: the wasm memory has no room for an output of shape [${shape.join(', ')}] (tfjs-backend-wasm's allocation failed)`,
        );
      }
    }
    return fill(outputs, heapBuffer(backend)!);
  } catch (e) {
    for (const t of outputs) backend.disposeData(t.dataId);
    throw e;
  }
}

/**
 * The original wasm kernel, for a case a replacing kernel leaves to it, with its refusals as `VariaError`s: an input
 * that is not on the backend (disposed) is an ArgumentError naming it (tfjs would throw a TypeError), and tfjs's own
 * plain `Error` (an attribute out of range, an unsupported dtype) an ArgumentError whose `argument` is the kernel,
 * with tfjs's message and the error as `cause`. A trap of the wasm code (`RuntimeError`) is not hidden.
 */
export function runOriginal(original: KernelConfig, args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const backend = asWasmBackend(args.backend);
  for (const [name, t] of Object.entries(args.inputs)) {
    if (t && !backend.dataIdMap.has(t.dataId)) {
      throw kernelInputError(original.kernelName, name, `"${name}" is not on the wasm backend (disposed?)`);
    }
  }
  try {
    return original.kernelFunc(args);
  } catch (e) {
    if (!(e instanceof Error) || e.constructor !== Error) throw e;
    throw new ArgumentError(original.kernelName, `${original.kernelName}: ${e.message}`, { cause: e });
  }
}
