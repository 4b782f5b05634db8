import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError, matrixFromRows, ShapeError, VariaError } from '@varia/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gaussianRows, MeanModel } from '../test-utils/trainer-models.js';
import { type BatchSource, MatrixBatchSource } from './batch-source.js';
import type { Batch, TrainableModel } from './trainable-model.js';
import { fitModel } from './trainer.js';

// A user's model or source that breaks the contract gets a typed error naming it — not a raw tfjs TypeError from
// inside the optimizer — leaves no tensor behind and changes no weight.
let before = 0;
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});

const rows = gaussianRows(20, 3, 1);
/** A plain tensor where a variable belongs (made once, before the leak checks count). */
const plain = tf.zeros([1]);
const options = { epochs: 2, batchSize: 8 };

/** A source that yields what `make` returns, once per epoch, declaring `{ x: 3 }`. */
function sourceOf(make: () => unknown): BatchSource {
  return {
    length: 2,
    widths: { x: 3 },
    *epoch() {
      yield make() as Batch;
    },
  };
}

async function rejection(run: () => Promise<unknown>): Promise<VariaError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VariaError);
  return error as VariaError;
}

describe('fitModel checks what the model gives it', () => {
  const broken: [string, (m: MeanModel) => Partial<TrainableModel>, RegExp][] = [
    ['namedVariables() returns an array', (m) => ({ namedVariables: () => [m.w] as never }), /must return a Map/],
    ['namedVariables() returns undefined', () => ({ namedVariables: () => undefined as never }), /must return a Map/],
    ['namedVariables() is empty', () => ({ namedVariables: () => new Map() }), /no trainable variable/],
    [
      'namedVariables() holds a plain tensor',
      () => ({ namedVariables: () => new Map([['t', plain as never]]) }),
      /"t" as a tensor of shape \[1\], not a tf.Variable/,
    ],
    ['lossTerms() returns undefined', () => ({ lossTerms: () => undefined as never }), /must return \{ loss/],
    ['lossTerms() returns a bare tensor', () => ({ lossTerms: () => tf.scalar(1) as never }), /must return \{ loss/],
    [
      'lossTerms() returns a vector loss',
      (m) => ({ lossTerms: (b) => ({ loss: tf.sum(tf.sub(b.x!, m.w), 1) as never }) }),
      /loss a tensor of shape \[8\]/,
    ],
    [
      'lossTerms() gives a non-scalar reconstruction',
      (m) => ({
        lossTerms: (b) => ({ loss: tf.mean(tf.sub(b.x!, m.w)) as tf.Scalar, reconstruction: tf.ones([2]) as never }),
      }),
      /"reconstruction" as a tensor of shape \[2\]/,
    ],
    [
      'the loss reaches no trained variable',
      () => ({ lossTerms: (b) => ({ loss: tf.mean(b.x!) as tf.Scalar }) }),
      /cannot differentiate the model's loss/,
    ],
  ];
  for (const [name, change, message] of broken) {
    it(`${name}: ArgumentError naming the model, no leak, weights unchanged`, async () => {
      const model = new MeanModel(3);
      const user: TrainableModel = Object.assign(
        { namedVariables: () => model.namedVariables(), lossTerms: model.lossTerms.bind(model) },
        change(model),
      );
      const error = await rejection(() => fitModel(user, new MatrixBatchSource({ x: rows }), options));
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toBe('model');
      expect(error.message).toMatch(message);
      expect(Array.from(model.w.dataSync())).toEqual([0, 0, 0]);
      model.dispose();
    });
  }

  it('a disposed variable is an ArgumentError naming it', async () => {
    const model = new MeanModel(3);
    model.w.dispose();
    const error = await rejection(() => fitModel(model, new MatrixBatchSource({ x: rows }), options));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toMatch(/variable "w" of the model is disposed/);
  });
});

describe('fitModel checks every batch against the source widths', () => {
  const bad: [string, () => unknown, RegExp][] = [
    ['null', () => null, /must be an object of 2-D tensors, got null/],
    ['a field as nested arrays', () => ({ x: [[1, 2, 3]] }), /field "x" as a 2-D tensor \[rows, 3\], got an array/],
    ['a missing field', () => ({ y: tf.ones([2, 3]) }), /field "x" as a 2-D tensor/],
    ['a wrong width', () => ({ x: tf.ones([2, 5]) }), /shape \[2,5\]; the source declares width 3/],
    ['no rows', () => ({ x: tf.ones([0, 3]) }), /with 0 rows/],
  ];
  for (const [name, make, message] of bad) {
    it(`${name}: ShapeError naming the data, the batch's tensors freed`, async () => {
      const model = new MeanModel(3);
      const error = await rejection(() => fitModel(model, sourceOf(make), options));
      expect(error).toBeInstanceOf(ShapeError);
      expect((error as ShapeError).argument).toBe('data');
      expect(error.message).toMatch(message);
      model.dispose();
    });
  }

  it('validation batches too; validation data of another width is refused before training', async () => {
    const model = new MeanModel(3);
    const wrong = new MatrixBatchSource({ x: matrixFromRows([[1, 2]]) });
    const error = await rejection(() =>
      fitModel(model, new MatrixBatchSource({ x: rows }), { ...options, validationData: wrong }),
    );
    expect(error).toBeInstanceOf(ShapeError);
    expect((error as ShapeError).argument).toBe('validationData');
    const lying = { ...sourceOf(() => ({ x: tf.ones([1, 4]) })), widths: { x: 3 } };
    const late = await rejection(() =>
      fitModel(model, new MatrixBatchSource({ x: rows }), { ...options, validationData: lying }),
    );
    expect((late as ShapeError).argument).toBe('validationData');
    expect(late.message).toMatch(/the source declares width 3/);
    model.dispose();
  });

  it('an epoch() that returns no iterable is an ArgumentError naming the source', async () => {
    const model = new MeanModel(3);
    const error = await rejection(() => fitModel(model, { widths: { x: 3 }, epoch: () => 5 as never }, options));
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).argument).toBe('data');
    expect(error.message).toMatch(/epoch\(\) must return an iterable or async iterable of batches, got 5/);
    model.dispose();
  });

  it('a source without examples is a DataError, not a history of NaN losses', async () => {
    const model = new MeanModel(3);
    const empty = new MatrixBatchSource({ x: { data: new Float32Array(0), rows: 0, cols: 3 } });
    const error = await rejection(() => fitModel(model, empty, options));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toMatch(/no batch in epoch 1/);
    model.dispose();
  });
});

describe('fitModel options', () => {
  it('"samples" above INFERENCE_LIMITS.maxIwaeK is an ArgumentError before anything runs (1e6 ran out of memory)', async () => {
    const model = new MeanModel(3);
    const error = await rejection(() => fitModel(model, new MatrixBatchSource({ x: rows }), { samples: 1e6 }));
    expect((error as ArgumentError).argument).toBe('samples');
    expect(error.message).toMatch(/above the limit of 10000/);
    model.dispose();
  });
});

describe('MatrixBatchSource', () => {
  it('refuses fields that are not an object of matrices with a typed error', () => {
    expect(() => new MatrixBatchSource(undefined as never)).toThrow(ArgumentError);
    expect(() => new MatrixBatchSource({ x: null as never })).toThrow(ShapeError);
    expect(() => new MatrixBatchSource({ x: rows, y: null as never })).toThrow(/field "y" must be a Matrix/);
  });
});
