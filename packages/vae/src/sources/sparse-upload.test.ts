// A random-access source's CSR batches on the wasm backend: densified straight into the batch tensor's memory.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { DataError, type Matrix, mulberry32 } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataRules } from '../data.js';
import { type EpochArgs, MatrixBatchSource } from '../trainer/batch-source.js';
import type { Batch } from '../trainer/trainable-model.js';
import { csrOf } from '../test-utils/csr.js';
import { checkTensorLeaksPerTest } from '../test-utils/helpers.js';
import { RandomAccessSource } from './random-access-source.js';

checkTensorLeaksPerTest();

/** A rows × cols count matrix, ~70 % zeros: value (i, j) drawn from a seeded generator. */
function counts(rows: number, cols: number, seed = 3): Matrix {
  const rng = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = rng() < 0.7 ? 0 : 1 + Math.floor(rng() * 9);
  return { data, rows, cols };
}

/** The rows `indices` of `m`, copied (dense). */
function take(m: Matrix, indices: Int32Array): Matrix {
  const data = new Float32Array(indices.length * m.cols);
  indices.forEach((i, k) => data.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols));
  return { data, rows: indices.length, cols: m.cols };
}

/** Each batch's x as its bytes, the batch freed after it is read (as the Trainer does). */
async function epochValues(epoch: Iterable<Batch> | AsyncIterable<Batch>): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for await (const batch of epoch) {
    out.push(Float32Array.from(batch.x!.dataSync()));
    tf.dispose(Object.values(batch));
  }
  return out;
}

const args = (seed: number, batchSize = 8): EpochArgs => ({
  epoch: 1,
  batchSize,
  shuffle: true,
  rng: mulberry32(seed),
});
const COUNTS: DataRules = { domain: 'counts', likelihood: 'poisson' };

describe('RandomAccessSource CSR batches on the wasm backend', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('are the in-memory batches bit for bit (same shuffle, zeros written over reused memory, short last batch)', async () => {
    const m = counts(29, 11);
    const source = new RandomAccessSource({ length: 29, width: 11, rows: (idx) => csrOf(take(m, idx)) });
    for (const seed of [1, 2]) {
      // memory of the batch's size full of 7s, freed: the next allocation of that size may reuse it
      tf.dispose(tf.fill([8, 11], 7));
      expect(tf.getBackend()).toBe('wasm');
      const got = await epochValues(source.checkedBy(COUNTS).epoch(args(seed)));
      const want = await epochValues(new MatrixBatchSource({ x: m }).epoch(args(seed)));
      expect(got.map((b) => b.length)).toEqual([88, 88, 88, 55]);
      expect(got).toEqual(want);
    }
  });

  it("build the dense rows for a likelihood's extra check, which sees the batch's values", async () => {
    const m = counts(10, 5);
    const seen: number[][] = [];
    const rules: DataRules = { ...COUNTS, validate: (x) => void seen.push(Array.from(x.data)) };
    const source = new RandomAccessSource({ length: 10, width: 5, rows: (idx) => csrOf(take(m, idx)) });
    const got = await epochValues(source.checkedBy(rules).epoch(args(4, 4)));
    expect(seen).toEqual(got.map((b) => Array.from(b)));
  });

  it('refuse a bad stored value with the row in the whole data set, leaving no tensor', async () => {
    const m = counts(12, 4);
    m.data[9 * 4 + 2] = -1; // row 9, column 2
    const source = new RandomAccessSource({ length: 12, width: 4, rows: (idx) => csrOf(take(m, idx)) });
    const e = await epochValues(source.checkedBy(COUNTS).epoch(args(5, 4))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).message).toMatch(/row 9\b/);
  });
});
