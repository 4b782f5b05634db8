import type { KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { TABLE_LOOKUP_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { kernelInputError } from './errors.js';
import { asWasmBackend, byteOffset, withOutputs } from './wasm-heap.js';

/**
 * {@link TABLE_LOOKUP_KERNEL} for the wasm backend: y = table[x] for float32 x that are integers in [0, table size)
 * (NaN elsewhere), in one native pass, and a float32 scalar with the number of values that were not. Used for log x!
 * of count data (a table of 1,024 values) in `@varia/vae`'s fused training step, instead of reading the batch back to
 * the host, looking each value up in JavaScript and uploading the result.
 */
export function nativeTableLookup(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown }): TensorInfo[] => {
    const { x, table } = args.inputs;
    if (x?.dtype !== 'float32' || table?.dtype !== 'float32' || table.shape.length !== 1) {
      const input = x?.dtype !== 'float32' ? 'x' : 'table';
      throw kernelInputError(TABLE_LOOKUP_KERNEL, input, '"x" must be float32 and "table" a float32 vector');
    }
    const backend = asWasmBackend(args.backend);
    const size = x.shape.reduce((a, b) => a * b, 1);
    const tableSize = table.shape[0]!;
    return withOutputs(backend, TABLE_LOOKUP_KERNEL, [x.shape, []], ([out, count], heap) => {
      const misses = addon.lookup(
        heap,
        size,
        byteOffset(backend, x),
        byteOffset(backend, table),
        tableSize,
        byteOffset(backend, out!),
      );
      new Float32Array(heap, byteOffset(backend, count!), 1)[0] = misses;
      return [out!, count!];
    });
  };
  return { kernelName: TABLE_LOOKUP_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
