import * as tf from '@tensorflow/tfjs-core';
import { BackendError, GATHER_ROWS_KERNEL, type Matrix } from '@varia/core';
import { allocateFloat32, wasmMemoryBackend } from './wasm-memory.js';

/**
 * A float32 tensor `[rows, cols]` whose values `write(out)` writes — every one of the `rows × cols` values of `out` —
 * straight into the tensor's WebAssembly memory, on the wasm backend (one copy, no host buffer); undefined on any
 * other backend or for no rows (build the values on the host and upload them then). A `write` that throws leaves no
 * tensor behind.
 * @throws BackendError, writing nothing, when the wasm memory has no room for the tensor.
 */
export function uploadWritten(rows: number, cols: number, write: (out: Float32Array) => void): tf.Tensor2D | undefined {
  const wasm = rows > 0 ? wasmMemoryBackend() : undefined;
  if (!wasm) return undefined;
  const out = allocateFloat32(wasm, [rows, cols]);
  if (!out) {
    throw new BackendError(
      `the wasm memory has no room for a batch of shape [${rows}, ${cols}] (tfjs-backend-wasm's allocation failed)`,
    );
  }
  const { info, offset } = out;
  try {
    // the memory read after the allocation, which may have grown it (growing replaces the buffer)
    write(new Float32Array(wasm.wasm.HEAPU8.buffer, offset, rows * cols));
  } catch (e) {
    wasm.disposeData(info.dataId);
    throw e;
  }
  return tf.engine().makeTensorFromTensorInfo(info, wasm as unknown as tf.KernelBackend) as tf.Tensor2D;
}

/**
 * Builds each training batch on the host and uploads it: the batch's rows are copied, in the epoch's order, into one
 * reusable buffer that becomes the batch tensor. This costs O(batch) per step; the alternative, keeping the whole
 * matrix on the device and gathering the rows there, costs a `GatherV2` per step that is slow on tfjs-wasm (~3.4 ms
 * for 128 MNIST rows, ~8 % of a step). A run of consecutive rows (unshuffled data) is uploaded straight from the
 * matrix without a copy. On the wasm backend the rows are written straight into the new tensor's WebAssembly memory
 * (one copy instead of two: 128 MNIST rows in ~36 µs instead of ~64 µs), by the backend's {@link GATHER_ROWS_KERNEL}
 * where it has one (`@varia/native-kernels`: one native call that prefetches the rows ahead, the same bytes).
 *
 * Some backends (cpu) keep a reference to the values a tensor was made from: dispose each batch tensor before asking
 * for the next one, which overwrites the buffer.
 */
export class BatchAssembler {
  private readonly source: Matrix;
  private readonly buffer: Float32Array;

  /** `source`: the training data; `maxRows`: the largest batch that will be asked for. */
  constructor(source: Matrix, maxRows: number) {
    this.source = source;
    this.buffer = new Float32Array(Math.min(maxRows, source.rows) * source.cols);
  }

  /**
   * The values of rows `rows` of the source, in that order, row-major: a view of the source for consecutive rows,
   * else of the reusable buffer (valid until the next call).
   */
  rowsOf(rows: ArrayLike<number>): Float32Array {
    const { data, cols } = this.source;
    const count = rows.length;
    if (count === 0) return this.buffer.subarray(0, 0);
    const start = rows[0]!;
    if (consecutive(rows)) return data.subarray(start * cols, (start + count) * cols);
    const out = this.buffer.subarray(0, count * cols);
    this.copyRows(rows, out);
    return out;
  }

  /** Rows `rows` of the source as a float32 tensor [rows.length, cols]; dispose it before the next call. */
  upload(rows: ArrayLike<number>): tf.Tensor2D {
    const count = rows.length;
    const cols = this.source.cols;
    return (
      this.gathered(rows) ??
      uploadWritten(count, cols, (out) => this.copyRows(rows, out)) ??
      tf.tensor2d(this.rowsOf(rows), [count, cols], 'float32')
    );
  }

  /**
   * Rows `rows` as a tensor made by the active backend's {@link GATHER_ROWS_KERNEL} (called directly, as the engine
   * would: no inputs, so nothing to record), or undefined where it has none, for row numbers that are not an
   * Int32Array over an ArrayBuffer, for data over a SharedArrayBuffer (the kernel reads neither), or for no rows or
   * columns.
   */
  private gathered(rows: ArrayLike<number>): tf.Tensor2D | undefined {
    const { data, cols } = this.source;
    if (!(rows instanceof Int32Array) || rows.length === 0 || cols === 0) return undefined;
    if (!(rows.buffer instanceof ArrayBuffer) || !(data.buffer instanceof ArrayBuffer)) return undefined;
    const kernel = tf.getKernel(GATHER_ROWS_KERNEL, tf.getBackend());
    if (!kernel) return undefined;
    const backend = tf.backend();
    const attrs = { source: data, cols, rows } as unknown as tf.NamedAttrMap;
    const info = kernel.kernelFunc({ inputs: {}, backend, attrs }) as tf.TensorInfo;
    return tf.engine().makeTensorFromTensorInfo(info, backend) as tf.Tensor2D;
  }

  /** Writes rows `rows` of the source, in that order, into `out` (one copy for a run of consecutive rows). */
  private copyRows(rows: ArrayLike<number>, out: Float32Array): void {
    const { data, cols } = this.source;
    const count = rows.length;
    if (consecutive(rows)) {
      const start = rows[0]!;
      out.set(data.subarray(start * cols, (start + count) * cols));
      return;
    }
    for (let k = 0; k < count; k++) {
      const r = rows[k]!;
      out.set(data.subarray(r * cols, (r + 1) * cols), k * cols);
    }
  }
}

/** Whether `rows` (at least one) is a run start, start + 1, …. */
function consecutive(rows: ArrayLike<number>): boolean {
  const start = rows[0]!;
  for (let k = 1; k < rows.length; k++) if (rows[k] !== start + k) return false;
  return true;
}
