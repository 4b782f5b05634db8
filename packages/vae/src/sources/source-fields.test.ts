import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError, type Matrix, mulberry32, ShapeError, takeRows, VariaError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTensorLeaksPerTest } from '../test-utils/helpers.js';
import { MatrixBatchSource } from '../trainer/batch-source.js';
import type { Batch, StepContext, TrainableModel } from '../trainer/trainable-model.js';
import { fitModel } from '../trainer/trainer.js';
import { VAE } from '../vae.js';
import { RandomAccessSource } from './random-access-source.js';
import { StreamSource } from './stream-source.js';

checkTensorLeaksPerTest();

const N = 45;
const D = 5;
const K = 3;
const rng = mulberry32(12);
const x: Matrix = { data: Float32Array.from({ length: N * D }, () => rng() * 4 - 2), rows: N, cols: D };
/** One-hot labels: the class of row i is the index of the largest of its first K values. */
const labels: Matrix = (() => {
  const data = new Float32Array(N * K);
  for (let i = 0; i < N; i++) {
    const first = Array.from(x.data.subarray(i * D, i * D + K));
    data[i * K + first.indexOf(Math.max(...first))] = 1;
  }
  return { data, rows: N, cols: K };
})();

/**
 * An M2-like model's classifier q(y|x) = softmax(x·W + b) and a decoder of x from the label, p(x|y) = N(y·M, 1):
 * the loss reads both `x` and `labels` (−log q(y|x) − log p(x|y) up to a constant, averaged over the batch).
 */
function m2Like(): TrainableModel & { dispose(): void; values(): Float32Array[] } {
  const init = (shape: [number, number], f: (i: number) => number) =>
    tf.tidy(() =>
      tf.variable(
        tf.tensor2d(
          Float32Array.from({ length: shape[0] * shape[1] }, (_, i) => f(i)),
          shape,
        ),
      ),
    );
  const w = init([D, K], (i) => Math.sin(i) / 4);
  const b = init([1, K], () => 0);
  const means = init([K, D], (i) => Math.cos(i) / 4);
  return {
    namedVariables: () =>
      new Map([
        ['w', w],
        ['b', b],
        ['means', means],
      ]),
    lossTerms: (batch: Batch, _ctx: StepContext) => {
      const y = batch.labels!;
      const classify = tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(tf.add(tf.matMul(batch.x!, w), b))), 1));
      const reconstruct = tf.mul(0.5, tf.sum(tf.square(tf.sub(batch.x!, tf.matMul(y, means))), 1));
      return { loss: tf.mean(tf.add(classify, reconstruct)) as tf.Scalar };
    },
    dispose: () => tf.dispose([w, b, means]),
    values: () => [w, b, means].map((v) => v.dataSync() as Float32Array),
  };
}

const OPTIONS = { epochs: 2, batchSize: 8, learningRate: 0.05, seed: 4 };

/** Trains a fresh model on `source`: its weights and per-epoch losses. */
async function trained(source: Parameters<typeof fitModel>[1], options: Record<string, unknown> = {}) {
  const model = m2Like();
  try {
    const history = await fitModel(model, source, { ...OPTIONS, ...options });
    return { weights: model.values(), losses: history.epochs.map((e) => e.loss) };
  } finally {
    model.dispose();
  }
}

const randomAccess = (
  give: (indices: Int32Array) => unknown = (i) => ({ matrix: takeRows(x, i), labels: takeRows(labels, i) }),
) => new RandomAccessSource({ length: N, width: D, fields: { labels: K }, rows: give as never });

/** A stream of x and its labels in blocks of `size` (labels as rows of numbers). */
const stream = (size: number, edit: (block: Record<string, unknown>, index: number) => unknown = (b) => b) =>
  new StreamSource({
    width: D,
    length: N,
    fields: { labels: K },
    blocks: function* () {
      for (let start = 0, index = 0; start < N; start += size, index++) {
        const rows = Int32Array.from({ length: Math.min(N, start + size) - start }, (_, k) => start + k);
        const l = takeRows(labels, rows);
        const asArrays = Array.from({ length: rows.length }, (_, k) => Array.from(l.data.subarray(k * K, (k + 1) * K)));
        yield edit({ matrix: takeRows(x, rows), labels: asArrays }, index) as never;
      }
    },
  });

describe('a model of your own on a random-access or stream source gets every declared field', () => {
  it('trains bit-identically to the same fields in memory (random access shuffled, stream in order)', async () => {
    const memory = await trained(new MatrixBatchSource({ x, labels }));
    const viaSource = await trained(randomAccess());
    expect(viaSource.weights).toEqual(memory.weights);
    expect(viaSource.losses).toEqual(memory.losses);
    // with validationSplit: a subset carries the field too
    const split = await trained(new MatrixBatchSource({ x, labels }), { validationSplit: 0.2 });
    expect((await trained(randomAccess(), { validationSplit: 0.2 })).weights).toEqual(split.weights);
    const inOrder = await trained(new MatrixBatchSource({ x, labels }), { shuffle: false });
    for (const size of [1, 7, 8, 45]) {
      const r = await trained(stream(size), { shuffle: false, validationData: stream(11) });
      expect(r.weights).toEqual(inOrder.weights);
    }
    // the labels matter: misaligned by one row, the weights differ
    const shifted = await trained(
      randomAccess((i) => ({
        matrix: takeRows(x, i),
        labels: takeRows(
          labels,
          i.map((k) => (k + 1) % N),
        ),
      })),
    );
    expect(shifted.weights).not.toEqual(memory.weights);
  });

  it('a missing, misshapen or non-finite field is a typed error naming the field and the row', async () => {
    const train = (source: Parameters<typeof fitModel>[1]) => trained(source, { shuffle: false });
    await expect(train(randomAccess((i) => takeRows(x, i)))).rejects.toThrow(ArgumentError);
    await expect(train(randomAccess((i) => takeRows(x, i)))).rejects.toThrow(/carries no "labels" rows/);
    await expect(train(randomAccess((i) => ({ matrix: takeRows(x, i), labels: takeRows(x, i) })))).rejects.toThrow(
      ShapeError,
    );
    await expect(train(stream(10, (b, index) => (index === 2 ? { ...b, labels: [[1, 0, 0]] } : b)))).rejects.toThrow(
      /block 2 \(from row 20\), field "labels" has 1 rows, the block 10/,
    );
    const nan = stream(10, (b, index) => {
      if (index !== 1) return b;
      const rows = (b.labels as number[][]).map((r) => r.slice());
      rows[3]![2] = Number.NaN;
      return { ...b, labels: rows };
    });
    const error = await train(nan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).location).toEqual({ row: 13, column: 3 }); // 1-based, as DataLocation says
    expect((error as Error).message).toMatch(/field "labels" at row 13, column 2 is NaN/);
    await expect(train(stream(10, (b) => ({ ...b, labels: tf.zeros([10, K]) })))).rejects.toThrow(
      /field "labels" must be a Matrix .* got a tf\.Tensor of shape \[10, 3\]/,
    );
  });

  it('every hostile field value either works or throws a VariaError, freeing every tensor (property)', async () => {
    const value = fc.oneof(fc.double(), fc.constant('1'), fc.constant(undefined), fc.constant(null));
    const field = fc.oneof(
      fc.array(fc.array(value, { minLength: 1, maxLength: 4 }), { maxLength: 5 }),
      fc
        .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 4 }))
        .map(([rows, cols]) => ({ data: new Float32Array(rows * cols).fill(0.5), rows, cols })),
      fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 4 })).map(
        ([r, c]) =>
          () =>
            tf.ones([r, c]),
      ),
      fc.constantFrom(undefined, null, 3, 'labels', { rows: 4 }),
    );
    const made = (v: unknown) => (typeof v === 'function' ? v() : v);
    await fc.assert(
      fc.asyncProperty(
        fc.array(field, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 4 }),
        async (fields, size) => {
          const before = tf.memory().numTensors;
          const source = new StreamSource({
            width: D,
            fields: { labels: 2 },
            blocks: function* () {
              for (const [k, f] of fields.entries()) {
                const rows = Int32Array.from({ length: size }, (_, i) => (k * size + i) % N);
                yield { matrix: takeRows(x, rows), labels: made(f) } as never;
              }
            },
          });
          try {
            for await (const batch of source.epoch({
              epoch: 1,
              batchSize: 3,
              shuffle: false,
              rng: mulberry32(1),
            }) as AsyncIterable<Batch>) {
              expect(batch.labels!.shape).toEqual([batch.x!.shape[0], 2]);
              tf.dispose(Object.values(batch));
            }
          } catch (e) {
            if (!(e instanceof VariaError)) throw e;
          }
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 100), seed: 1818 },
    );
  });

  it('the fields option is checked, and VAE.fit reads x (and its covariates) only', async () => {
    const make = (fields: unknown) => () =>
      new StreamSource({ width: D, blocks: () => [x], fields: fields as Record<string, number> });
    expect(make({ x: 2 })).toThrow(/cannot declare "x"/);
    expect(make({ labels: 0 })).toThrow(/field "labels" must have a positive integer width, got 0/);
    expect(make([3])).toThrow(ArgumentError);
    expect(make(JSON.parse('{ "__proto__": 3 }'))).toThrow(/cannot declare "__proto__"/); // not silently dropped
    expect(() => new RandomAccessSource({ length: 2, width: D, rows: () => x, fields: { matrix: 1 } })).toThrow(
      /cannot declare "matrix"/,
    );
    const vae = new VAE({ inputDim: D, latentDim: 2, hiddenUnits: 4, likelihood: 'gaussian', seed: 1 });
    try {
      const history = await vae.fit(
        randomAccess((i) => takeRows(x, i)),
        { epochs: 1, batchSize: 16 },
      );
      expect(history.epochs).toHaveLength(1);
    } finally {
      vae.dispose();
    }
  });
});
