import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { GATHER_ROWS_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { kernelInputError, kernelShapeError, nativeCallError } from './errors.js';
import { hostArray } from './sparse-dense-kernel.js';
import { asWasmBackend, byteOffset, heapBuffer, withOutputs } from './wasm-heap.js';

/**
 * {@link GATHER_ROWS_KERNEL} for the wasm backend: the rows `rows` of the attribute `source` (whole rows of `cols`
 * values) copied into a new float32 tensor [rows.length, cols] by the addon's `gatherRows`, which reads the source in
 * place, writes straight into the tensor's memory and prefetches the rows a few ahead (native/gather_rows.c). The
 * row numbers are all checked before anything is written: one outside the source is an ArgumentError naming `rows`,
 * and the output is freed. A source or a `rows` array that views the wasm memory itself is copied off it first (the
 * output could take its bytes, or grow the memory under it).
 */
export function nativeGatherRows(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const source = hostArray(args.attrs, 'source', Float32Array, GATHER_ROWS_KERNEL);
    const rows = hostArray(args.attrs, 'rows', Int32Array, GATHER_ROWS_KERNEL);
    const cols = args.attrs?.cols;
    if (typeof cols !== 'number' || !Number.isInteger(cols) || cols < 1 || cols > 0x7fffffff)
      throw kernelInputError(
        GATHER_ROWS_KERNEL,
        'cols',
        `attribute "cols" must be a positive integer, got ${String(cols)}`,
      );
    if (source.length % cols !== 0)
      throw kernelShapeError(
        GATHER_ROWS_KERNEL,
        'source',
        `the source must hold whole rows: ${source.length} values are not a multiple of cols = ${cols}`,
      );
    const sourceRows = source.length / cols;
    const heap = heapBuffer(backend);
    const from = source.buffer === heap ? source.slice() : source;
    const order = rows.buffer === heap ? rows.slice() : rows;
    return withOutputs(backend, GATHER_ROWS_KERNEL, [[order.length, cols]], ([out], memory) => {
      if (order.length === 0) return out!;
      let bad: number;
      try {
        bad = addon.gatherRows(memory, from, cols, order, byteOffset(backend, out!));
      } catch (e) {
        throw nativeCallError('gatherRows', e);
      }
      if (bad >= 0)
        throw kernelInputError(
          GATHER_ROWS_KERNEL,
          'rows',
          `rows[${bad}] = ${order[bad]} is not a row of the source (it has ${sourceRows} rows)`,
        );
      return out!;
    });
  };
  return { kernelName: GATHER_ROWS_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
