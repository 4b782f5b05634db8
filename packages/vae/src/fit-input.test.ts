// Bad input to fit, the constructor and the inference methods: a typed error naming the argument (or row and
// column), thrown before any state changes, with no tensor left behind (issue 13, item 6).
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError, ShapeError, type VariaError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { CONFIG_LIMITS } from './config.js';
import type { FitOptions } from './fit.js';
import { counts, expectSameWeights, toySubset, weightValues, checkTensorLeaksPerTest } from './test-utils/helpers.js';
import { VAE } from './vae.js';

checkTensorLeaksPerTest();

/** The error `f` throws or rejects with (undefined when it succeeds). */
async function errorOf(f: () => unknown): Promise<unknown> {
  try {
    await f();
    return undefined;
  } catch (e) {
    return e;
  }
}

const gaussian = () => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 4, seed: 1 });
const poisson = () => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 4, likelihood: 'poisson', seed: 1 });

describe('fit refuses malformed data with a typed error, before anything changes', () => {
  const disposed = (() => {
    const t = tf.tensor2d([[1, 2]]);
    t.dispose();
    return t;
  })();
  const cases: {
    name: string;
    model?: () => VAE;
    data: unknown;
    error: new (...a: never[]) => VariaError;
    message: RegExp;
  }[] = [
    {
      name: 'a null row',
      data: [[1, 2], null],
      error: DataError,
      message: /"data" row 1 is null; every row must be an array of numbers/,
    },
    { name: 'holes (new Array(3))', data: new Array(3), error: DataError, message: /"data" row 0 is missing/ },
    { name: 'a disposed tensor', data: disposed, error: ArgumentError, message: /"data" is a disposed tensor/ },
    {
      name: 'rows of numeric strings',
      data: [['1', '2']],
      error: DataError,
      message: /row 0, column 0 is the string "1", not a number/,
    },
    { name: 'strings as rows', data: ['12', '34'], error: DataError, message: /"data" row 0 is the string "12"/ },
    {
      name: 'booleans',
      data: [[true, false]],
      error: DataError,
      message: /row 0, column 0 is a boolean, not a number/,
    },
    {
      name: 'a hole inside a row',
      data: [
        [1, 2],
        // biome-ignore lint/suspicious/noSparseArray: the hole is the input under test
        [3, ,],
      ],
      error: DataError,
      message: /row 1, column 1 is missing/,
    },
    { name: 'a flat Float32Array', data: new Float32Array(4), error: ArgumentError, message: /flat typed array/ },
    {
      name: 'a bool tensor',
      data: tf.tensor2d([[1, 0]], undefined, 'bool'),
      error: ArgumentError,
      message: /float32 or int32 tensor, got dtype bool/,
    },
    { name: 'a number', data: 7, error: ArgumentError, message: /must be a Matrix, a 2-D tensor or an array of rows/ },
    { name: 'a value that overflows float32', data: [[1e39, 0]], error: DataError, message: /overflows float32/ },
    {
      name: 'a count above 2^24 (rows: caught before rounding)',
      model: poisson,
      data: [[2 ** 24 + 1, 0]],
      error: DataError,
      message: /value 16777217 at row 0, column 0 is above 16777216/,
    },
    {
      name: 'a count above 2^24 (Matrix)',
      model: poisson,
      data: { data: Float32Array.of(3, 2 ** 24 + 2), rows: 1, cols: 2 },
      error: DataError,
      message: /value 16777218 at row 0, column 1 is above 16777216/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const vae = (c.model ?? gaussian)();
      const before = weightValues(vae);
      const error = await errorOf(() => vae.fit(c.data as never, { epochs: 1 }));
      expect(error).toBeInstanceOf(c.error);
      expect((error as Error).message).toMatch(c.message);
      expectSameWeights(weightValues(vae), before);
      vae.dispose();
    });
  }
  it('a count of exactly 2^24 is accepted', async () => {
    const vae = poisson();
    const h = await vae
      .fit(
        [
          [2 ** 24, 0],
          [1, 2],
        ],
        { epochs: 1, learningRate: 1e-4 },
      )
      .catch((e: unknown) => e);
    expect(h).not.toBeInstanceOf(DataError);
    vae.dispose();
  });
});

describe('fit options: types, ranges and unknown keys', () => {
  const cases: { options: unknown; argument: string; message: RegExp }[] = [
    { options: { epoch: 5 }, argument: 'epoch', message: /fit: unknown option "epoch" \(did you mean 'epochs'\?\)/ },
    { options: { batchsize: 5 }, argument: 'batchsize', message: /did you mean 'batchSize'/ },
    { options: { patience: 1.5 }, argument: 'patience', message: /"patience" must be an integer >= 0, got 1.5/ },
    { options: { epochs: '5' }, argument: 'epochs', message: /"epochs" must be a positive integer, got "5"/ },
    { options: { learningRate: '0.1' }, argument: 'learningRate', message: /finite number > 0, got "0.1"/ },
    { options: { shuffle: 0 }, argument: 'shuffle', message: /"shuffle" must be true or false/ },
    { options: { seed: 1.5 }, argument: 'seed', message: /"seed" must be an integer/ },
    { options: { onEpochEnd: 3 }, argument: 'onEpochEnd', message: /must be a function/ },
    { options: { signal: {} }, argument: 'signal', message: /must be an AbortSignal/ },
    { options: { checkpointDir: '' }, argument: 'checkpointDir', message: /non-empty path/ },
    { options: { validationSplit: 0.2, validationData: [[1, 2]] }, argument: 'validationSplit', message: /not both/ },
    { options: { klSchedule: () => 1, klWarmupSteps: 3 }, argument: 'klWarmupSteps', message: /not both/ },
    {
      options: { klSchedule: () => Number.NaN },
      argument: 'klSchedule',
      message: /"klSchedule" returned NaN for step 0/,
    },
    {
      options: { klSchedule: (s: number) => (s === 1 ? -1 : 1) },
      argument: 'klSchedule',
      message: /returned -1 for step 1/,
    },
    { options: null, argument: 'options', message: /"options" must be an object, got null/ },
  ];
  for (const c of cases) {
    it(
      JSON.stringify(c.options, (_, v: unknown) => (typeof v === 'function' ? 'fn' : v)),
      async () => {
        const vae = gaussian();
        const before = weightValues(vae);
        const error = await errorOf(() => vae.fit(toySubset(20), c.options as FitOptions));
        expect(error).toBeInstanceOf(ArgumentError);
        expect((error as ArgumentError).argument).toBe(c.argument);
        expect((error as Error).message).toMatch(c.message);
        expectSameWeights(weightValues(vae), before);
        vae.dispose();
      },
    );
  }
});

describe('the constructor: unknown keys and a cap on size', () => {
  it('an unknown key is an ArgumentError with a hint', () => {
    expect(() => new VAE({ inputDim: 2, latentDim: 2, hidden: 4 } as never)).toThrow(
      /VAE: unknown option "hidden" \(did you mean 'hiddenUnits'\?\)/,
    );
    expect(() => new VAE({ inputDim: 2, latentDims: 2, hiddenUnits: 4 } as never)).toThrow(/did you mean 'latentDim'/);
  });

  it('`--hidden 300000000`-style widths and huge totals are ArgumentErrors, before any allocation', () => {
    const bytes = tf.memory().numBytes;
    const wide = errorOfSync(() => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 300_000_000 }));
    expect(wide).toBeInstanceOf(ArgumentError);
    expect((wide as Error).message).toMatch(/"hiddenUnits" is 300000000, above the limit of 1048576 units per layer/);
    const big = errorOfSync(() => new VAE({ inputDim: 100_000, latentDim: 20, hiddenUnits: [4096] }));
    expect(big).toBeInstanceOf(ArgumentError);
    expect((big as Error).message).toMatch(new RegExp(`above the limit of ${CONFIG_LIMITS.maxParameters}`));
    expect(
      errorOfSync(() => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: new Array(300).fill(2) })),
    ).toBeInstanceOf(ArgumentError);
    expect(tf.memory().numBytes).toBe(bytes);
  });
});

function errorOfSync(f: () => unknown): unknown {
  try {
    const v = f();
    if (v && typeof (v as VAE).dispose === 'function') (v as VAE).dispose();
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('encode, decode, reconstruct and evaluate validate like fit', () => {
  it('NaN and negative counts are DataErrors naming row and column', async () => {
    const vae = poisson();
    expect(() => vae.encode([[1, Number.NaN]])).toThrow(/"x" value NaN at row 0, column 1 is not finite/);
    expect(() => vae.reconstruct([[1, -2]])).toThrow(DataError);
    expect(() => vae.encode(counts(3, 2).data as never)).toThrow(ArgumentError);
    const t = tf.tensor2d([[1, -1]]);
    expect(() => vae.encode(t)).toThrow(/value -1 at row 0, column 1 is not a non-negative integer count/);
    t.dispose();
    await expect(vae.evaluate([[0.5, 1]])).rejects.toThrow(DataError);
    expect(() => vae.decode([[0, Number.NaN]])).toThrow(
      /"z" value NaN at row 0, column 1 is not finite; a latent z needs finite real values/,
    );
    expect(() => vae.decode([[0, 0, 0]])).toThrow(ShapeError);
    vae.dispose();
  });

  it('options: unknown keys and wrong types are ArgumentErrors', async () => {
    const vae = gaussian();
    expect(() => vae.encode([[0, 0]], { sampel: true } as never)).toThrow(/did you mean 'sample'/);
    expect(() => vae.sample(2, { seed: 'a' } as never)).toThrow(/"seed" must be an integer/);
    expect(() => vae.sample(2, { librarySize: 10 })).toThrow(/applies only to models built with librarySize: true/);
    expect(() => vae.sample(1.5)).toThrow(ArgumentError);
    await expect(vae.evaluate([[0, 0]], { iwae: 5 } as never)).rejects.toThrow(/did you mean 'iwaeK'/);
    vae.dispose();
  });
});
