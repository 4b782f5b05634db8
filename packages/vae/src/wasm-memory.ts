import * as tf from '@tensorflow/tfjs-core';

/**
 * The members of tfjs-backend-wasm's `BackendWasm` that a direct write to a tensor's memory goes through: allocating
 * a tensor in the WebAssembly memory, where its bytes lie, and the memory. They are public members of the class (its
 * own kernels and `@varia/native-kernels` use them the same way) and are checked at run time.
 */
interface WasmMemoryBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  disposeData(dataId: tf.DataId): boolean;
  wasm: { HEAPU8: Uint8Array };
}

/** The active backend when it is tfjs-backend-wasm with the members a direct write needs, else undefined. */
export function wasmMemoryBackend(): WasmMemoryBackend | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const b = tf.backend() as unknown as Partial<WasmMemoryBackend>;
  return typeof b.makeOutput === 'function' &&
    typeof b.disposeData === 'function' &&
    typeof b.dataIdMap?.get === 'function' &&
    b.wasm?.HEAPU8 instanceof Uint8Array
    ? (b as WasmMemoryBackend)
    : undefined;
}

/**
 * A new float32 tensor's data of `shape` in the WebAssembly memory and its byte offset there, or undefined (nothing
 * left allocated) when the memory has no room: tfjs-backend-wasm does not check its malloc, and 0 is its failure
 * (the memory cannot grow), never an allocation — bytes written there would overwrite the module's own data.
 */
export function allocateFloat32(
  wasm: WasmMemoryBackend,
  shape: number[],
): { info: tf.TensorInfo; offset: number } | undefined {
  const info = wasm.makeOutput(shape, 'float32');
  const offset = wasm.dataIdMap.get(info.dataId)?.memoryOffset ?? 0;
  if (offset !== 0) return { info, offset };
  wasm.disposeData(info.dataId);
  return undefined;
}

/**
 * A copy of `t`'s values in memory of its own — on the wasm backend, one copy of the bytes within the WebAssembly
 * memory — or `tf.clone(t)` elsewhere (and for a non-float32 or empty tensor, or when the memory has no room): a clone
 * shares its data with `t` until one of them is written. The caller owns the result.
 *
 * A copy that holds data of its own keeps `t` the only holder of its data, so an in-place kernel may still update `t`
 * (the fused Adam kernels refuse data that another tensor holds, and the update then takes a slower path that copies).
 */
export function ownCopy<T extends tf.Tensor>(t: T): T {
  const wasm = t.dtype === 'float32' && t.size > 0 ? wasmMemoryBackend() : undefined;
  const from = wasm?.dataIdMap.get(t.dataId);
  if (!wasm || !from) return tf.clone(t);
  const to = allocateFloat32(wasm, [...t.shape]);
  if (!to) return tf.clone(t);
  // the memory read after the allocation, which may have grown it (growing replaces the buffer)
  wasm.wasm.HEAPU8.copyWithin(to.offset, from.memoryOffset, from.memoryOffset + 4 * t.size);
  return tf.engine().makeTensorFromTensorInfo(to.info, wasm as unknown as tf.KernelBackend) as T;
}
