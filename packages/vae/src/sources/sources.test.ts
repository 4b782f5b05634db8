import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  DataError,
  type Matrix,
  mulberry32,
  ShapeError,
  type SparseMatrix,
  VariaError,
} from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataRules } from '../data.js';
import { type EpochArgs, MatrixBatchSource } from '../trainer/batch-source.js';
import type { Batch } from '../trainer/trainable-model.js';
import { RandomAccessSource } from './random-access-source.js';
import type { RowBatchSource } from './row-batch-source.js';
import { SparseBatchSource } from './sparse-batch-source.js';
import { StreamSource } from './stream-source.js';
import { csrOf } from '../test-utils/csr.js';
import { checkTensorLeaksPerTest } from '../test-utils/helpers.js';

checkTensorLeaksPerTest();

const COUNTS: DataRules = { domain: 'counts', likelihood: 'poisson' };

/** A rows × cols count matrix, ~40 % zeros, from a seed: value (i, j) is its own function of (i, j, seed). */
function counts(rows: number, cols: number, seed = 1): Matrix {
  const rng = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = rng() < 0.4 ? 0 : Math.floor(rng() * 20);
  return { data, rows, cols };
}

/** Every batch of one epoch as plain rows, each batch's tensors freed after it is read (as the Trainer does). */
async function epochRows(
  source: { epoch(a: EpochArgs): Iterable<Batch> | AsyncIterable<Batch> },
  args: EpochArgs,
): Promise<number[][][]> {
  const out: number[][][] = [];
  for await (const batch of source.epoch(args) as AsyncIterable<Batch>) {
    out.push((await batch.x!.array()) as number[][]);
    tf.dispose(Object.values(batch));
  }
  return out;
}

const args = (seed: number, shuffle = true, batchSize = 7): EpochArgs => ({
  epoch: 1,
  batchSize,
  shuffle,
  rng: mulberry32(seed),
});

/** The sources of one matrix: sparse, random-access (dense and sparse rows) and a stream in blocks of 5. */
function sourcesOf(m: Matrix): Record<string, RowBatchSource> {
  const csr = csrOf(m);
  const take = (indices: Int32Array): Matrix => {
    const data = new Float32Array(indices.length * m.cols);
    indices.forEach((i, k) => data.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols));
    return { data, rows: indices.length, cols: m.cols };
  };
  return {
    sparse: new SparseBatchSource(csr),
    randomDense: new RandomAccessSource({ length: m.rows, width: m.cols, rows: take }),
    randomSparse: new RandomAccessSource({ length: m.rows, width: m.cols, rows: async (idx) => csrOf(take(idx)) }),
  };
}

describe('batch sources', () => {
  it('give the batches of the in-memory source: same shuffle, same rows, same values', async () => {
    const m = counts(40, 6);
    const reference = new MatrixBatchSource({ x: m });
    for (const shuffle of [true, false]) {
      const expected = await epochRows(reference, args(3, shuffle));
      for (const [name, source] of Object.entries(sourcesOf(m))) {
        expect(source.length, name).toBe(40);
        expect(source.widths).toEqual({ x: 6 });
        expect(await epochRows(source, args(3, shuffle)), name).toEqual(expected);
        expect(await epochRows(source.checkedBy(COUNTS), args(3, shuffle)), name).toEqual(expected);
      }
    }
    // subsets (validationSplit) serve the rows asked for, like the in-memory subset
    const rows = Int32Array.from([31, 2, 17, 2, 39, 0, 8]);
    const subsetExpected = await epochRows(reference.subset(rows), args(5));
    for (const [name, source] of Object.entries(sourcesOf(m))) {
      const sub = source.subset!(rows);
      expect(sub.length, name).toBe(7);
      expect(await epochRows(sub, args(5, true, 3)), name).toEqual(
        await epochRows(reference.subset(rows), args(5, true, 3)),
      );
      expect(await epochRows(sub.subset!(Int32Array.from([6, 0])), args(1, false)), name).toEqual([
        [Array.from(m.data.subarray(8 * 6, 9 * 6)), Array.from(m.data.subarray(31 * 6, 32 * 6))],
      ]);
    }
    expect(subsetExpected.flat().length).toBe(7);
  });

  it('StreamSource cuts blocks of any size (dense or sparse) into the batches of the rows in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        fc.boolean(),
        async (rows, batchSize, cuts, sparse, withLength) => {
          const m = counts(rows, 4, rows);
          const blocks: (Matrix | SparseMatrix | { matrix: SparseMatrix })[] = [];
          for (let start = 0, c = 0; start < rows; c++) {
            const end = Math.min(rows, start + cuts[c % cuts.length]!);
            const part = { data: m.data.slice(start * 4, end * 4), rows: end - start, cols: 4 };
            blocks.push(sparse ? (c % 2 ? { matrix: csrOf(part) } : csrOf(part)) : part);
            start = end;
          }
          const source = new StreamSource({
            width: 4,
            ...(withLength && { length: rows }),
            blocks: () => blocks,
          });
          const expected = await epochRows(new MatrixBatchSource({ x: m }), args(1, false, batchSize));
          // shuffle is ignored: a stream is trained in its own order
          expect(await epochRows(source.checkedBy(COUNTS), args(1, true, batchSize))).toEqual(expected);
        },
      ),
      { numRuns: 60, seed: 2001 },
    );
  });

  it('StreamSource takes blocks typed by an interface without an index signature (as SparseRowBlock)', async () => {
    // an interface (not a type literal) has no implicit index signature: before RowsWithCovariates and RowsWithFields
    // were two types, `blocks: () => file.blocks()` of openMatrixMarket did not type-check (vae's typecheck checks this)
    interface StartedBlock {
      readonly start: number;
      readonly matrix: SparseMatrix;
    }
    const m = counts(6, 4);
    async function* blocks(): AsyncGenerator<StartedBlock> {
      yield { start: 0, matrix: csrOf({ data: m.data.slice(0, 12), rows: 3, cols: 4 }) };
      yield { start: 3, matrix: csrOf({ data: m.data.slice(12), rows: 3, cols: 4 }) };
    }
    const source = new StreamSource({ width: 4, length: 6, blocks: () => blocks() });
    const expected = await epochRows(new MatrixBatchSource({ x: m }), args(1, false, 4));
    expect(await epochRows(source.checkedBy(COUNTS), args(1, false, 4))).toEqual(expected);
  });

  it('name the row in the whole data set when a value does not fit the likelihood', async () => {
    const m = counts(30, 5);
    m.data[17 * 5 + 3] = 2.5; // row 17, column 3
    for (const [name, source] of Object.entries(sourcesOf(m))) {
      // (a sparse matrix is checked up front, in checkedBy; the others in the batch that holds the value)
      const e = await (async () => epochRows(source.checkedBy(COUNTS, 'data'), args(9)))().catch((x: unknown) => x);
      expect(e, name).toBeInstanceOf(DataError);
      expect((e as DataError).location, name).toEqual({ row: 17, column: 4 });
      expect((e as DataError).message).toMatch(/"data" value 2.5 at row 17, column 3 is not a non-negative integer/);
    }
    // a subset (validationSplit) names the row of the original data
    const subset = sourcesOf(m).randomDense!.subset!(Int32Array.from([4, 17, 2]));
    await expect(epochRows(subset.checkedBy(COUNTS), args(1, false))).rejects.toThrow(/at row 17, column 3/);
    const stream = new StreamSource({ width: 5, blocks: () => [m] });
    await expect(epochRows(stream.checkedBy(COUNTS), args(1, false, 4))).rejects.toThrow(/at row 17, column 3/);
    // a sparse matrix is checked once, up front, before any batch
    expect(() => sourcesOf(m).sparse!.checkedBy(COUNTS, 'data')).toThrow(/at row 17, column 3/);
  });

  it('refuse malformed options and callbacks with typed errors, leaking nothing', async () => {
    expect(() => new SparseBatchSource({ ...csrOf(counts(3, 2)), indices: new Int32Array(1) })).toThrow(ShapeError);
    expect(() => new RandomAccessSource({ length: 0, width: 2, rows: () => counts(1, 2) })).toThrow(ArgumentError);
    // row indices are Int32: a longer source was a raw RangeError in the shuffle (1e15) or a silent 8 GiB one (2³¹)
    expect(() => new RandomAccessSource({ length: 2 ** 31, width: 2, rows: () => counts(1, 2) })).toThrow(
      /"length" 2147483648 is above 2147483647 rows/,
    );
    expect(() => new RandomAccessSource({ length: 2, width: 2 } as never)).toThrow(/"rows" must be a function/);
    expect(() => new StreamSource({ width: 1.5, blocks: () => [] })).toThrow(ArgumentError);
    // a numeric string is named as a string, not shown as the number it reads as
    expect(() => new RandomAccessSource({ length: '20' as never, width: 2, rows: () => counts(1, 2) })).toThrow(
      /"length" must be a positive integer, got "20"/,
    );
    expect(() => new StreamSource({ width: '3' as never, blocks: () => [] })).toThrow(
      /"width" must be a positive integer, got "3"/,
    );
    const wrongShape = new RandomAccessSource({ length: 4, width: 3, rows: () => counts(2, 3) });
    await expect(epochRows(wrongShape, args(1, false, 4))).rejects.toThrow(/gave a 2 × 3 block, expected 4 × 3/);
    const tooFew = new RandomAccessSource({ length: 4, width: 3, rows: () => [[1, 2, 3]] });
    await expect(epochRows(tooFew, args(1, false, 4))).rejects.toThrow(/gave 1 rows as an array, expected 4/);
    const notMatrix = new RandomAccessSource({ length: 4, width: 3, rows: () => 'rows' as never });
    await expect(epochRows(notMatrix, args(1, false, 4))).rejects.toThrow(ArgumentError);
    const tooLong = new StreamSource({ width: 2, length: 3, blocks: () => [counts(2, 2), counts(2, 2)] });
    await expect(epochRows(tooLong, args(1, false, 2))).rejects.toThrow(
      /block 1 \(from row 2\) gives 2 rows, which take the stream past its "length" of 3/,
    );
    const tooShort = new StreamSource({ width: 2, length: 5, blocks: () => [counts(2, 2), counts(2, 2)] });
    await expect(epochRows(tooShort, args(1, false, 2))).rejects.toThrow(/yielded 4 rows, but its "length" is 5/);
    const empty = new StreamSource({ width: 2, blocks: () => [] });
    await expect(epochRows(empty, args(1, false))).rejects.toThrow(/yielded no examples/);
    const wide = new StreamSource({ width: 2, blocks: () => [counts(2, 2), counts(1, 3)] });
    await expect(epochRows(wide, args(1, false))).rejects.toThrow(/block 1 \(from row 2\) gave a 1 × 3 block/);
  });

  it('every input either works or throws a VariaError (property: random callback results)', async () => {
    const anything = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.record({
        rows: fc.integer({ min: -1, max: 5 }),
        cols: fc.integer({ min: -1, max: 5 }),
        data: fc.constant(new Float32Array(6)),
      }),
      fc.record({
        rows: fc.integer({ min: 0, max: 3 }),
        cols: fc.constant(3),
        indptr: fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 5 }).map((a) => Int32Array.from(a)),
        indices: fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 4 }).map((a) => Int32Array.from(a)),
        data: fc.array(fc.float(), { maxLength: 4 }).map((a) => Float32Array.from(a)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(anything, { minLength: 1, maxLength: 4 }), async (items) => {
        const sources = [
          new StreamSource({ width: 3, blocks: () => items as never }),
          new RandomAccessSource({ length: 2, width: 3, rows: () => items[0] as never }),
        ];
        for (const source of sources) {
          try {
            await epochRows(source.checkedBy({ domain: 'real', likelihood: 'gaussian' }), args(1, false, 2));
          } catch (e) {
            if (!(e instanceof VariaError)) throw e;
          }
        }
      }),
      { numRuns: 150, seed: 2002 },
    );
  });
});
