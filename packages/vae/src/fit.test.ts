import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError, DivergenceError, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import type { EpochLog } from './fit.js';
import {
  counts,
  expectSameWeights,
  maxWeightDiff,
  toySubset,
  weightValues,
  checkTensorLeaksPerTest,
} from './test-utils/helpers.js';
import { VAE } from './vae.js';

checkTensorLeaksPerTest();

/** Adds `delta` to every entry of a variable in place (NaN poisons it). */
function shiftVariable(v: tf.Variable, delta: number): void {
  const next = tf.tidy(() => tf.add(v, delta));
  v.assign(next);
  next.dispose();
}

const small = () => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 4 });

describe('validation', () => {
  it('validationData gives valLoss, valReconstruction and valKl every epoch', async () => {
    const vae = small();
    const train = toySubset(200, 0);
    const held = toySubset(100, 1);
    const h = await vae.fit(train, { epochs: 3, batchSize: 50, learningRate: 1e-2, seed: 0, validationData: held });
    expect(h.epochs).toHaveLength(3);
    for (const e of h.epochs) {
      expect(Number.isFinite(e.valLoss)).toBe(true);
      expect(e.valKl).toBeGreaterThanOrEqual(0);
      expect(e.valLoss).toBeCloseTo(-(e.valReconstruction! - e.valKl!), 4);
    }
    // the reported validation numbers are what evaluate() measures on the final weights: the analytic KL exactly,
    // the one-sample reconstruction within Monte-Carlo noise
    const ev = await vae.evaluate(held, { seed: 11 });
    expect(ev.kl).toBeCloseTo(h.epochs[2]!.valKl!, 4);
    expect(Math.abs(-ev.elbo - h.epochs[2]!.valLoss!)).toBeLessThan(0.5);
    vae.dispose();
  });

  it('validationSplit holds out a seeded subset: throughput counts only the training part', async () => {
    const vae = small();
    const h = await vae.fit(toySubset(200), {
      epochs: 2,
      batchSize: 40,
      learningRate: 1e-2,
      seed: 0,
      validationSplit: 0.25,
    });
    for (const e of h.epochs) {
      expect(Number.isFinite(e.valLoss)).toBe(true);
      expect(Number.isFinite(e.valKl)).toBe(true);
      expect(e.examplesPerSecond * e.seconds).toBeCloseTo(150, 0);
    }
    const batches: number[] = [];
    const vae2 = small();
    await vae2.fit(toySubset(200), {
      epochs: 1,
      batchSize: 40,
      seed: 0,
      validationSplit: 0.25,
      onBatchEnd: (b) => batches.push(b.size),
    });
    expect(batches).toEqual([40, 40, 40, 30]); // 150 training examples
    vae.dispose();
    vae2.dispose();
  });

  it('without validation data there are no val fields', async () => {
    const vae = small();
    const h = await vae.fit(toySubset(100), { epochs: 1, batchSize: 50, seed: 0 });
    expect(h.epochs[0]!.valLoss).toBeUndefined();
    vae.dispose();
  });
});

describe('determinism', () => {
  it('the same seed gives the same run; another seed another run', async () => {
    const data = toySubset(120);
    const run = async (seed: number) => {
      const vae = small();
      const h = await vae.fit(data, { epochs: 2, batchSize: 30, learningRate: 1e-2, seed });
      const w = weightValues(vae);
      vae.dispose();
      return { losses: h.epochs.map((e) => e.loss), w };
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(b.losses).toEqual(a.losses);
    expectSameWeights(b.w, a.w);
    expect(maxWeightDiff(c.w, a.w)).toBeGreaterThan(0);
  });
});

describe('divergence', () => {
  it('a NaN weight in epoch 2 throws DivergenceError(epoch 2) and restores the weights of the end of epoch 1', async () => {
    const vae = small();
    let afterEpoch1: Map<string, Float32Array> | undefined;
    const epochsSeen: number[] = [];
    const run = vae.fit(toySubset(120), {
      epochs: 4,
      batchSize: 30,
      learningRate: 1e-2,
      seed: 0,
      onEpochEnd: (log) => {
        epochsSeen.push(log.epoch);
        if (log.epoch === 1) afterEpoch1 = weightValues(vae);
      },
      onBatchEnd: ({ epoch, batch }) => {
        if (epoch === 2 && batch === 0) {
          const kernel = vae.namedVariables().get('decoder/0/kernel')!;
          shiftVariable(kernel, Number.NaN);
        }
      },
    });
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).epoch).toBe(2);
    expect((error as DivergenceError).step).toBe(1);
    expect((error as Error).message).toMatch(/epoch 2/);
    expect(epochsSeen).toEqual([1]);
    expectSameWeights(weightValues(vae), afterEpoch1!);
    // the model is usable afterwards
    const z = vae.encode([[0, 0]]);
    expect(Number.isFinite(z.dataSync()[0]!)).toBe(true);
    z.dispose();
    vae.dispose();
  });
});

describe('early stopping', () => {
  it('stops after `patience` epochs without improvement and restores the best epoch', async () => {
    const vae = small();
    const snapshots = new Map<number, Map<string, Float32Array>>();
    const patience = 1;
    const h = await vae.fit(toySubset(150), {
      epochs: 12,
      batchSize: 30,
      learningRate: 1e-2,
      seed: 0,
      validationSplit: 0.2,
      patience,
      onEpochEnd: (log) => {
        snapshots.set(log.epoch, weightValues(vae));
      },
      onBatchEnd: ({ epoch, batch }) => {
        // From epoch 3 on, sabotage the decoder's output bias so validation cannot improve any more.
        if (epoch === 3 && batch === 0) {
          shiftVariable(vae.namedVariables().get('likelihood/loc/bias')!, 100);
        }
      },
    });
    expect(h.stopReason).toBe('early-stopping');
    const val = h.epochs.map((e) => e.valLoss!);
    const best = val.indexOf(Math.min(...val)) + 1;
    expect(best).toBeLessThanOrEqual(2);
    expect(h.bestEpoch).toBe(best);
    expect(h.epochs).toHaveLength(best + patience + 1);
    expectSameWeights(weightValues(vae), snapshots.get(best)!);
    vae.dispose();
  });

  it('restoreBestWeights: false keeps the last weights', async () => {
    const vae = small();
    let last: Map<string, Float32Array> | undefined;
    const h = await vae.fit(toySubset(100), {
      epochs: 8,
      batchSize: 25,
      learningRate: 1e-2,
      seed: 0,
      validationSplit: 0.2,
      patience: 0,
      restoreBestWeights: false,
      onEpochEnd: () => {
        last = weightValues(vae);
      },
      onBatchEnd: ({ epoch, batch }) => {
        if (epoch === 2 && batch === 0) {
          shiftVariable(vae.namedVariables().get('likelihood/loc/bias')!, 100);
        }
      },
    });
    expect(h.stopReason).toBe('early-stopping');
    expect(h.bestEpoch).toBe(h.epochs.length);
    expectSameWeights(weightValues(vae), last!);
    vae.dispose();
  });
});

describe('abort', () => {
  it('an AbortSignal stops between batches and resolves with stopReason "aborted"', async () => {
    const vae = small();
    const controller = new AbortController();
    let batchesAfterAbort = 0;
    let atAbort: Map<string, Float32Array> | undefined;
    const epochs: EpochLog[] = [];
    const started = Date.now();
    const h = await vae.fit(toySubset(200), {
      epochs: 50,
      batchSize: 20,
      seed: 0,
      signal: controller.signal,
      onEpochEnd: (log) => {
        epochs.push(log);
      },
      onBatchEnd: ({ epoch, batch }) => {
        if (controller.signal.aborted) batchesAfterAbort++;
        if (epoch === 2 && batch === 3) {
          controller.abort();
          atAbort = weightValues(vae);
        }
      },
    });
    expect(h.stopReason).toBe('aborted');
    expect(batchesAfterAbort).toBe(0);
    expect(h.epochs).toHaveLength(1);
    expect(epochs).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(h.bestEpoch).toBe(1);
    // the steps taken before the abort are kept (nothing after it ran)
    expectSameWeights(weightValues(vae), atAbort!);
    vae.dispose();
  });

  it('an already aborted signal trains nothing and leaves the weights unchanged', async () => {
    const vae = small();
    const before = weightValues(vae);
    const controller = new AbortController();
    controller.abort();
    const h = await vae.fit(toySubset(100), { epochs: 3, signal: controller.signal });
    expect(h.stopReason).toBe('aborted');
    expect(h.epochs).toHaveLength(0);
    expectSameWeights(weightValues(vae), before);
    vae.dispose();
  });
});

describe('memory', () => {
  it('the tensor count does not grow across epochs, and fit + dispose return to the baseline', async () => {
    const start = tf.memory().numTensors;
    const vae = new VAE({ inputDim: 8, latentDim: 2, hiddenUnits: [8, 8], likelihood: 'poisson' });
    const perEpoch: number[] = [];
    await vae.fit(counts(100), {
      epochs: 5,
      batchSize: 25,
      seed: 0,
      validationSplit: 0.2,
      patience: 10,
      klWarmupEpochs: 2,
      freeBits: 0.1,
      samples: 2,
      onEpochEnd: () => {
        perEpoch.push(tf.memory().numTensors);
      },
    });
    expect(perEpoch).toHaveLength(5);
    expect(perEpoch[4]).toBe(perEpoch[0]);
    vae.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('a rejected fit allocates nothing', async () => {
    const vae = small();
    const before = tf.memory().numTensors;
    await expect(vae.fit([[1, Number.NaN]])).rejects.toThrow(DataError);
    await expect(vae.fit(toySubset(10), { batchSize: 0 })).rejects.toThrow(ArgumentError);
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
  });
});

describe('bad input is rejected with typed errors naming the argument, before any training', () => {
  const gaussian = () => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 4 });
  const poisson = () => new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4, likelihood: 'poisson' });
  const bernoulli = () => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 4, likelihood: 'bernoulli' });
  const good2 = [
    [0, 1],
    [1, 0],
    [0.5, 0.5],
  ];
  const cases: {
    name: string;
    model: () => VAE;
    data: unknown;
    options?: object;
    error: abstract new (...args: never[]) => Error;
    match: RegExp;
    argument?: string;
  }[] = [
    {
      name: 'negative count (poisson)',
      model: poisson,
      data: [
        [1, 2, 3],
        [0, -1, 2],
      ],
      error: DataError,
      match: /-1 at row 1, column 1/,
    },
    {
      name: 'non-integer count (poisson)',
      model: poisson,
      data: [[1, 2.5, 3]],
      error: DataError,
      match: /2\.5 at row 0, column 1/,
    },
    {
      name: 'NaN (gaussian)',
      model: gaussian,
      data: [
        [0, 1],
        [Number.NaN, 2],
      ],
      error: DataError,
      match: /NaN at row 1, column 0/,
    },
    { name: 'Infinity (gaussian)', model: gaussian, data: [[0, Infinity]], error: DataError, match: /not finite/ },
    {
      name: 'value outside [0, 1] (bernoulli)',
      model: bernoulli,
      data: [[0, 1.5]],
      error: DataError,
      match: /outside \[0, 1\]/,
    },
    {
      name: 'wrong column count',
      model: gaussian,
      data: [[1, 2, 3]],
      error: ShapeError,
      match: /"data" must have 2 columns/,
      argument: 'data',
    },
    {
      name: 'wrong column count (Matrix)',
      model: gaussian,
      data: { data: new Float32Array(6), rows: 2, cols: 3 },
      error: ShapeError,
      match: /got 3/,
      argument: 'data',
    },
    { name: 'ragged rows', model: gaussian, data: [[1, 2], [3]], error: ShapeError, match: /ragged/ },
    { name: 'empty dataset (rows)', model: gaussian, data: [], error: DataError, match: /empty/ },
    {
      name: 'empty dataset (Matrix)',
      model: gaussian,
      data: { data: new Float32Array(0), rows: 0, cols: 2 },
      error: DataError,
      match: /empty/,
    },
    { name: 'not data at all', model: gaussian, data: 42, error: ArgumentError, match: /"data"/, argument: 'data' },
    {
      name: 'batchSize 0',
      model: gaussian,
      data: good2,
      options: { batchSize: 0 },
      error: ArgumentError,
      match: /"batchSize"/,
      argument: 'batchSize',
    },
    {
      name: 'batchSize 2.5',
      model: gaussian,
      data: good2,
      options: { batchSize: 2.5 },
      error: ArgumentError,
      match: /"batchSize"/,
      argument: 'batchSize',
    },
    {
      name: 'epochs -1',
      model: gaussian,
      data: good2,
      options: { epochs: -1 },
      error: ArgumentError,
      match: /"epochs"/,
      argument: 'epochs',
    },
    {
      name: 'learningRate 0',
      model: gaussian,
      data: good2,
      options: { learningRate: 0 },
      error: ArgumentError,
      match: /"learningRate"/,
      argument: 'learningRate',
    },
    {
      name: 'learningRate NaN',
      model: gaussian,
      data: good2,
      options: { learningRate: Number.NaN },
      error: ArgumentError,
      match: /"learningRate"/,
      argument: 'learningRate',
    },
    {
      name: 'validationSplit 1.5',
      model: gaussian,
      data: good2,
      options: { validationSplit: 1.5 },
      error: ArgumentError,
      match: /"validationSplit"/,
      argument: 'validationSplit',
    },
    {
      name: 'validationSplit leaving no validation rows',
      model: gaussian,
      data: good2,
      options: { validationSplit: 0.01 },
      error: ArgumentError,
      match: /"validationSplit"/,
      argument: 'validationSplit',
    },
    {
      name: 'validationData with NaN',
      model: gaussian,
      data: good2,
      options: { validationData: [[Number.NaN, 0]] },
      error: DataError,
      match: /"validationData"/,
    },
    {
      name: 'validationData of the wrong width',
      model: gaussian,
      data: good2,
      options: { validationData: [[0]] },
      error: ShapeError,
      match: /"validationData"/,
      argument: 'validationData',
    },
    {
      name: 'beta -1',
      model: gaussian,
      data: good2,
      options: { beta: -1 },
      error: ArgumentError,
      match: /"beta"/,
      argument: 'beta',
    },
    {
      name: 'patience -1',
      model: gaussian,
      data: good2,
      options: { patience: -1 },
      error: ArgumentError,
      match: /"patience"/,
      argument: 'patience',
    },
    {
      name: 'samples 0',
      model: gaussian,
      data: good2,
      options: { samples: 0 },
      error: ArgumentError,
      match: /"samples"/,
      argument: 'samples',
    },
    {
      name: 'seed 1.5',
      model: gaussian,
      data: good2,
      options: { seed: 1.5 },
      error: ArgumentError,
      match: /"seed"/,
      argument: 'seed',
    },
    {
      name: 'checkpointEvery without a dir',
      model: gaussian,
      data: good2,
      options: { checkpointEvery: 1 },
      error: ArgumentError,
      match: /"checkpointDir"/,
      argument: 'checkpointDir',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const vae = c.model();
      const before = weightValues(vae);
      const error = await vae.fit(c.data as never, { epochs: 1, ...c.options }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(c.error);
      expect((error as Error).message).toMatch(c.match);
      if (c.argument) expect((error as ArgumentError).argument).toBe(c.argument);
      expectSameWeights(weightValues(vae), before);
      vae.dispose();
    });
  }
});

describe('KL weight', () => {
  it('klWarmupEpochs ramps β linearly to 1; beta scales it', async () => {
    const vae = small();
    const h = await vae.fit(toySubset(60), { epochs: 5, batchSize: 30, seed: 0, klWarmupEpochs: 4, beta: 0.5 });
    expect(h.epochs.map((e) => e.beta)).toEqual([0.125, 0.25, 0.375, 0.5, 0.5]);
    vae.dispose();
  });

  it('the loss uses the epoch β and free bits', async () => {
    const vae = small();
    const h = await vae.fit(toySubset(60), { epochs: 1, batchSize: 60, seed: 0, beta: 0 });
    expect(h.epochs[0]!.loss).toBeCloseTo(-h.epochs[0]!.reconstruction, 4);
    const h2 = await vae.fit(toySubset(60), { epochs: 1, batchSize: 60, seed: 0, freeBits: 5 });
    // with λ = 5 nats per dimension (far above the KL) the penalty is 2·5 = 10 nats
    expect(h2.epochs[0]!.loss).toBeCloseTo(-h2.epochs[0]!.reconstruction + 10, 3);
    vae.dispose();
  });
});

describe('batches', () => {
  /** n examples whose first column is the example's index (Gaussian data: any real value is valid). */
  function indexed(n: number): number[][] {
    return Array.from({ length: n }, (_, i) => [i, 0.5 - i / n]);
  }

  /** Fits, recording the first column (the example indices) of every batch the model sees, epoch by epoch. */
  async function seenBatches(options: { shuffle?: boolean; seed?: number }): Promise<number[][][]> {
    const vae = small();
    const variationalInputs = vae.variationalInputs.bind(vae);
    const epochs: number[][][] = [];
    vae.variationalInputs = (x) => {
      const rows = x.arraySync() as number[][];
      // whole rows arrive: the second column belongs to the example named by the first
      for (const [i, v] of rows) expect(v).toBe(Math.fround(0.5 - i! / 23));
      epochs.at(-1)!.push(rows.map((r) => r[0]!));
      return variationalInputs(x);
    };
    epochs.push([]);
    await vae.fit(indexed(23), {
      epochs: 3,
      batchSize: 5,
      learningRate: 1e-2,
      ...options,
      onEpochEnd: () => void epochs.push([]),
    });
    vae.dispose();
    epochs.pop();
    // the divergence guard evaluates the state after each epoch's last step on that step's batch again
    for (const batches of epochs) expect(batches.pop()).toEqual(batches.at(-1));
    return epochs;
  }

  it('each epoch shows every example exactly once, in batches of batchSize and a short last one', async () => {
    const epochs = await seenBatches({ seed: 3 });
    expect(epochs).toHaveLength(3);
    const identity = Array.from({ length: 23 }, (_, i) => i);
    for (const batches of epochs) {
      expect(batches.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
      expect(batches.flat().sort((a, b) => a - b)).toEqual(identity);
      expect(batches.flat()).not.toEqual(identity); // shuffled
    }
    // a new order every epoch, and the same orders for the same seed
    expect(epochs[1]!.flat()).not.toEqual(epochs[0]!.flat());
    expect(await seenBatches({ seed: 3 })).toEqual(epochs);
    expect((await seenBatches({ seed: 4 }))[0]!.flat()).not.toEqual(epochs[0]!.flat());
  });

  it('shuffle: false gives the examples in their order every epoch', async () => {
    const epochs = await seenBatches({ shuffle: false });
    for (const batches of epochs) {
      expect(batches).toEqual([
        [0, 1, 2, 3, 4],
        [5, 6, 7, 8, 9],
        [10, 11, 12, 13, 14],
        [15, 16, 17, 18, 19],
        [20, 21, 22],
      ]);
    }
  });
});
