import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError, type Matrix, mulberry32, ShapeError, takeRows, VariaError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTensorLeaksPerTest } from '../test-utils/helpers.js';
import type { EpochArgs } from '../trainer/batch-source.js';
import type { Batch } from '../trainer/trainable-model.js';
import { RandomAccessSource } from './random-access-source.js';
import type { RowBatchSource } from './row-batch-source.js';
import { StreamSource } from './stream-source.js';

checkTensorLeaksPerTest();

const REAL = { domain: 'real', likelihood: 'gaussian' } as const;
const m: Matrix = (() => {
  const rng = mulberry32(4);
  return { data: Float32Array.from({ length: 30 }, () => rng() * 10 - 5), rows: 10, cols: 3 };
})();

/** The rows of `m` at `indices` as arrays (plain or Float32Array). */
const arrays = (indices: ArrayLike<number>, typed = false) =>
  Array.from(indices, (i) => {
    const row = m.data.slice(i * m.cols, (i + 1) * m.cols);
    return typed ? row : Array.from(row);
  });

/** Every batch of one epoch, checked against REAL, as plain rows (the tensors freed). */
async function epochRows(source: RowBatchSource, args: EpochArgs): Promise<number[][][]> {
  const out: number[][][] = [];
  for await (const batch of source.checkedBy(REAL).epoch(args) as AsyncIterable<Batch>) {
    out.push((await batch.x!.array()) as number[][]);
    tf.dispose(Object.values(batch));
  }
  return out;
}

const args = (shuffle: boolean): EpochArgs => ({ epoch: 1, batchSize: 4, shuffle, rng: mulberry32(8) });
const randomAccess = (rows: (indices: Int32Array) => unknown) =>
  new RandomAccessSource({ length: m.rows, width: m.cols, rows: rows as never });
const stream = (items: unknown[]) => new StreamSource({ width: m.cols, blocks: () => items as never });

describe('rows(indices) and stream blocks given as arrays of rows', () => {
  it('number[][] and Float32Array[] give the same batches as the Matrix of those rows', async () => {
    for (const shuffle of [true, false]) {
      const expected = await epochRows(
        randomAccess((i) => takeRows(m, i)),
        args(shuffle),
      );
      expect(
        await epochRows(
          randomAccess((i) => arrays(i)),
          args(shuffle),
        ),
      ).toEqual(expected);
      expect(
        await epochRows(
          randomAccess((i) => ({ matrix: arrays(i, true) })),
          args(shuffle),
        ),
      ).toEqual(expected);
    }
    const inOrder = await epochRows(
      randomAccess((i) => takeRows(m, i)),
      args(false),
    );
    const blocks = [arrays([0, 1, 2]), arrays([3, 4, 5, 6, 7], true), arrays([8, 9])];
    expect(await epochRows(stream(blocks), args(false))).toEqual(inOrder);
  });

  it('a row of the wrong length or a value that is not a number names its row in the whole data set', async () => {
    // the subset's row 1 is row 7 of the data; the callback gives item 1 one value short
    const short = randomAccess((i) => arrays(i).map((row, k) => (k === 1 ? row.slice(1) : row))).subset!(
      Int32Array.from([2, 7, 5]),
    );
    await expect(epochRows(short, args(false))).rejects.toThrow(ShapeError);
    await expect(epochRows(short, args(false))).rejects.toThrow(/row 7 \(item 1\) is 2 values long, expected 3/);
    const text = randomAccess((i) => arrays(i).map((row, k) => (k === 2 ? [row[0], '1', row[2]] : row)));
    const error = await epochRows(text, args(false)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toMatch(/row 2, column 1 is "1", not a number/);
    expect((error as DataError).location).toEqual({ row: 2, column: 2 }); // 1-based, as DataLocation says
    // in a stream, the row counts from the start of the stream
    const holes = stream([arrays([0, 1, 2]), [arrays([3])[0], [1, undefined, 3]]]);
    await expect(epochRows(holes, args(false))).rejects.toThrow(/row 4, column 1 is missing/);
    const notRow = stream([[new Float32Array(3), 'abc']]);
    await expect(epochRows(notRow, args(false))).rejects.toThrow(/row 1 \(item 1\) is string "abc", expected 3 values/);
    // a value that is a number but outside the likelihood's domain is the domain check's DataError, as for a Matrix
    const nan = randomAccess((i) => arrays(i).map((row, k) => (k === 0 ? [Number.NaN, 0, 0] : row)));
    await expect(epochRows(nan, args(false))).rejects.toThrow(/row 0, column 0/);
  });

  it('a refused tensor is freed, and the message names what was returned and what is accepted', async () => {
    const before = tf.memory().numTensors;
    const tensor = randomAccess((i) => tf.tensor2d(takeRows(m, i).data, [i.length, 3]));
    const error = await epochRows(tensor, args(false)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as Error).message).toMatch(/got a tf\.Tensor of shape \[4, 3\] \(float32\)/);
    expect((error as Error).message).toMatch(/a Matrix \{ data: Float32Array, rows, cols \}.*rows \(number\[\]\[\]/);
    expect(tf.memory().numTensors).toBe(before);
    // inside { matrix, covariates }, as rows of an array, and as covariates that a model without covariates ignores
    const wrapped = stream([{ matrix: tf.zeros([2, 3]), covariates: tf.ones([2, 1]) }]);
    await expect(epochRows(wrapped, args(false))).rejects.toThrow(/got a tf\.Tensor of shape \[2, 3\]/);
    const rowTensors = stream([[tf.zeros([3]), tf.zeros([3])]]);
    await expect(epochRows(rowTensors, args(false))).rejects.toThrow(/row 0 \(item 0\) is a tf\.Tensor of shape \[3\]/);
    const ignored = stream([{ matrix: takeRows(m, [0, 1]), covariates: tf.ones([2, 1]) }]);
    expect(await epochRows(ignored, args(false))).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
    // other things: named by kind
    for (const [given, named] of [
      [undefined, /got undefined/],
      [42, /got number 42/],
      [
        { data: [1, 2, 3], rows: 1, cols: 3 },
        /gave a Matrix whose data is an array of 3 items: a Matrix's data must be a Float32Array/,
      ],
      [{ values: new Float32Array(3) }, /got an object with fields \{ values \}/],
    ] as const) {
      await expect(epochRows(stream([given]), args(false))).rejects.toThrow(named);
    }
  });

  it('every return value of a hostile rows() either works or throws a VariaError, freeing every tensor (property)', async () => {
    const value = fc.oneof(fc.double(), fc.integer(), fc.constant('1'), fc.constant(undefined), fc.constant(null));
    const row = fc.oneof(
      fc.array(value, { minLength: 2, maxLength: 4 }),
      fc.array(fc.float(), { minLength: 2, maxLength: 4 }).map((a) => Float32Array.from(a)),
      fc.constant('row'),
    );
    const tensor = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.boolean()).map(
      ([r, c, flat]) =>
        () =>
          flat ? tf.zeros([r * c]) : tf.zeros([r, c]),
    );
    const block = fc.oneof(
      fc.array(row, { maxLength: 5 }),
      tensor,
      fc.array(tensor, { maxLength: 3 }),
      fc.record({
        rows: fc.integer({ min: -1, max: 5 }),
        cols: fc.integer({ min: -1, max: 5 }),
        data: fc.oneof(fc.constant(new Float32Array(6)), fc.constant([0, 0, 0])),
      }),
      fc.constantFrom(null, undefined, 7, 'x', {}),
    );
    const item = fc.oneof(block, fc.record({ matrix: block, covariates: fc.oneof(tensor, fc.constant([[0]])) }));
    /** Tensors are made when the callback runs (a factory stands for each). */
    const make = (v: unknown): unknown =>
      typeof v === 'function'
        ? v()
        : Array.isArray(v)
          ? v.map(make)
          : v && typeof v === 'object' && 'matrix' in v
            ? { matrix: make(v.matrix), covariates: make((v as { covariates?: unknown }).covariates) }
            : v;
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 3 }), fc.boolean(), async (items, async) => {
        const before = tf.memory().numTensors;
        const sources = [
          new StreamSource({
            width: 3,
            blocks: function* () {
              for (const it of items) yield make(it) as never; // made when read: a refused item ends the stream
            },
          }),
          new RandomAccessSource({
            length: 3,
            width: 3,
            rows: () => (async ? Promise.resolve(make(items[0])) : make(items[0])) as never,
          }),
        ];
        for (const source of sources) {
          try {
            await epochRows(source, { ...args(false), batchSize: 3 });
          } catch (e) {
            if (!(e instanceof VariaError)) throw e;
          }
        }
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 150), seed: 1717 },
    );
  });
});
