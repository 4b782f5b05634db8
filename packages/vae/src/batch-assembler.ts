import * as tf from '@tensorflow/tfjs-core';
import type { Matrix } from '@varia/core';

/**
 * Builds each training batch on the host and uploads it: the batch's rows are copied, in the epoch's order, into one
 * reusable buffer that becomes the batch tensor. This costs O(batch) per step; the alternative, keeping the whole
 * matrix on the device and gathering the rows there, costs a `GatherV2` per step that is slow on tfjs-wasm (~3.4 ms
 * for 128 MNIST rows, ~8 % of a step). A run of consecutive rows (unshuffled data) is uploaded straight from the
 * matrix without a copy.
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
    let consecutive = true;
    for (let k = 1; k < count && consecutive; k++) consecutive = rows[k] === start + k;
    if (consecutive) return data.subarray(start * cols, (start + count) * cols);
    const out = this.buffer.subarray(0, count * cols);
    for (let k = 0; k < count; k++) {
      const r = rows[k]!;
      out.set(data.subarray(r * cols, (r + 1) * cols), k * cols);
    }
    return out;
  }

  /** Rows `rows` of the source as a float32 tensor [rows.length, cols]; dispose it before the next call. */
  upload(rows: ArrayLike<number>): tf.Tensor2D {
    return tf.tensor2d(this.rowsOf(rows), [rows.length, this.source.cols], 'float32');
  }
}
