import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, mulberry32, permutation, ShapeError } from '@varia/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { matrixHash } from '../resume-fingerprint.js';
import { MatrixBatchSource } from './batch-source.js';

let before = 0;
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});

const x = { data: Float32Array.from({ length: 20 }, (_, i) => i), rows: 10, cols: 2 };
const labels = { data: Float32Array.from({ length: 10 }, (_, i) => 100 + i), rows: 10, cols: 1 };

describe('MatrixBatchSource', () => {
  it('batches every field in the shuffled order the epoch generator draws (row i of each field together)', () => {
    const source = new MatrixBatchSource({ x, labels });
    expect(source.length).toBe(10);
    expect(source.widths).toEqual({ x: 2, labels: 1 });
    const order = permutation(10, mulberry32(5));
    const seen: number[][] = [];
    for (const batch of source.epoch({ epoch: 1, batchSize: 4, shuffle: true, rng: mulberry32(5) })) {
      const rows = batch.labels!.dataSync();
      const xs = batch.x!.arraySync();
      rows.forEach((l, k) => expect(xs[k]).toEqual([2 * (l - 100), 2 * (l - 100) + 1]));
      seen.push(Array.from(rows, (l) => l - 100));
      tf.dispose(Object.values(batch));
    }
    expect(seen.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(seen.flat()).toEqual(Array.from(order));
  });

  it('subset() keeps the given rows of every field; fingerprint() is the matrix hash of a lone x', () => {
    const source = new MatrixBatchSource({ x, labels });
    const part = source.subset(Int32Array.from([3, 1]));
    expect(part.field('labels').data).toEqual(Float32Array.from([103, 101]));
    expect(part.field('x').data).toEqual(Float32Array.from([6, 7, 2, 3]));
    expect(new MatrixBatchSource({ x }).fingerprint()).toBe(matrixHash(x));
    expect(source.fingerprint()).not.toBe(new MatrixBatchSource({ x, labels: x }).fingerprint());
  });

  it('rejects no fields, malformed matrices, fields of different lengths and unknown field names', () => {
    expect(() => new MatrixBatchSource({})).toThrow(ArgumentError);
    expect(() => new MatrixBatchSource({ x: { data: new Float32Array(3), rows: 2, cols: 2 } })).toThrow(ShapeError);
    expect(() => new MatrixBatchSource({ x, labels: { data: new Float32Array(2), rows: 2, cols: 1 } })).toThrow(
      /field "labels" has 2 rows, field "x" has 10/,
    );
    expect(() => new MatrixBatchSource({ x }).field('y')).toThrow(/no field "y"/);
  });
});
