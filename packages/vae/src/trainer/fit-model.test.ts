import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DivergenceError } from '@varia/core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectSameWeights, removeTempDirs, tempDir } from '../test-utils/helpers.js';
import {
  BinaryLatentModel,
  gaussianRows,
  LinearGaussianVae,
  MeanModel,
  modelValues,
} from '../test-utils/trainer-models.js';
import { type BatchSource, MatrixBatchSource } from './batch-source.js';
import { EarlyStopping } from './early-stopping.js';
import { ModelCheckpoint } from './model-checkpoint.js';
import { fitModel } from './trainer.js';

let before = 0;
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});
afterAll(removeTempDirs);

const rows = gaussianRows(120, 3, 7);
const source = () => new MatrixBatchSource({ x: rows });

/** The column means of the data, in float64: the minimizer of mean ‖x − w‖². */
function columnMeans(m: { data: Float32Array; rows: number; cols: number }): number[] {
  return Array.from({ length: m.cols }, (_, j) => {
    let s = 0;
    for (let i = 0; i < m.rows; i++) s += m.data[i * m.cols + j]!;
    return s / m.rows;
  });
}

describe('fitModel with a model written by the user', () => {
  it('minimizes the model loss: w converges to the column means (closed form); the history has no ELBO parts', async () => {
    const model = new MeanModel(3);
    const h = await fitModel(model, source(), { epochs: 300, batchSize: 120, learningRate: 0.05, shuffle: false });
    const w = Array.from(model.w.dataSync());
    columnMeans(rows).forEach((m, j) => expect(w[j]).toBeCloseTo(m, 2));
    expect(h.stopReason).toBe('completed');
    expect(h.epochs).toHaveLength(300);
    expect(h.epochs[0]!.reconstruction).toBeUndefined();
    expect(h.epochs[0]!.estimator).toBe('reparam');
    // setTraining: on for the run, off at the end
    expect(model.modes[0]).toBe(true);
    expect(model.modes.at(-1)).toBe(false);
    model.dispose();
  });

  it('validation (split or data) runs in inference mode with β = 1 and one sample; resume is exact', async () => {
    const model = new LinearGaussianVae(3, 2, 1);
    const h = await fitModel(model, source(), { epochs: 3, batchSize: 16, seed: 2, validationSplit: 0.25, samples: 2 });
    for (const e of h.epochs) {
      expect(Number.isFinite(e.valLoss)).toBe(true);
      expect(e.valLoss).toBeCloseTo(-(e.valReconstruction! - e.valKl!), 3);
      expect(e.loss).toBeCloseTo(-(e.reconstruction! - e.kl!), 3);
      expect(e.examplesPerSecond * e.seconds).toBeCloseTo(90, 0); // 120 − 30 held out
    }
    model.dispose();

    const full = new LinearGaussianVae(3, 2, 1);
    const opts = { batchSize: 16, seed: 2, validationData: new MatrixBatchSource({ x: gaussianRows(40, 3, 8) }) };
    const fullHistory = await fitModel(full, source(), { ...opts, epochs: 4 });
    const dir = await tempDir();
    const first = new LinearGaussianVae(3, 2, 1);
    await fitModel(first, source(), { ...opts, epochs: 2, checkpointEvery: 2, checkpointDir: dir });
    first.dispose();
    const resumed = new LinearGaussianVae(3, 2, 1);
    const h2 = await fitModel(resumed, source(), { ...opts, epochs: 4, resumeFrom: dir });
    expect(h2.epochs.map((e) => [e.loss, e.valLoss])).toEqual(fullHistory.epochs.map((e) => [e.loss, e.valLoss]));
    expectSameWeights(modelValues(resumed), modelValues(full));
    // a model with other variables is refused by the fingerprint (names and shapes)
    const other = new LinearGaussianVae(3, 1, 1);
    await expect(fitModel(other, source(), { ...opts, epochs: 4, resumeFrom: dir })).rejects.toThrow(ArgumentError);
    full.dispose();
    resumed.dispose();
    other.dispose();
  });

  it('EarlyStopping given as a callback with ModelCheckpoint in any order: the checkpoint holds its best; resume is exact', async () => {
    // w walks from 0 towards the training means (1, 2) and passes the validation point (0.5, 1): valLoss falls, then rises
    const validationData = new MatrixBatchSource({
      x: { data: new Float32Array(8).fill(0.5).map((v, i) => (i % 2 ? 1 : v)), rows: 4, cols: 2 },
    });
    const data = () => new MatrixBatchSource({ x: gaussianRows(40, 2, 3) });
    const run = (epochs: number, dir: string, resume: boolean) => {
      const callbacks = [new ModelCheckpoint({ dir }), new EarlyStopping({ patience: 50 })];
      return {
        batchSize: 10,
        learningRate: 0.05,
        epochs,
        validationData,
        callbacks,
        ...(resume ? { resumeFrom: dir } : {}),
      };
    };
    const full = new MeanModel(2);
    const fullHistory = await fitModel(full, data(), run(12, await tempDir(), false));
    const best = fullHistory.bestEpoch;
    expect(best).toBeGreaterThan(1);
    expect(best).toBeLessThan(12);
    const dir = await tempDir();
    const first = new MeanModel(2);
    await fitModel(first, data(), run(best, dir, false)); // the checkpoint is written in the best epoch itself
    first.dispose();
    const resumed = new MeanModel(2);
    const h = await fitModel(resumed, data(), run(12, dir, true));
    expect(h.bestEpoch).toBe(best);
    expect(Float32Array.from(resumed.w.dataSync())).toEqual(Float32Array.from(full.w.dataSync()));
    full.dispose();
    resumed.dispose();
  });

  it('the divergence guard restores the epoch-start weights of a user model', async () => {
    const model = new MeanModel(3);
    let afterEpoch1: Float32Array | undefined;
    model.nanAtStep = 5; // epoch 2 (4 steps per epoch)
    const error = await fitModel(model, source(), {
      epochs: 3,
      batchSize: 32,
      learningRate: 0.1,
      callbacks: [
        {
          onEpochEnd: () => {
            if (!afterEpoch1) afterEpoch1 = Float32Array.from(model.w.dataSync());
          },
        },
      ],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).message).toMatch(
      /epoch 2, step 1; the weights were restored to the end of epoch 1/,
    );
    expect(Float32Array.from(model.w.dataSync())).toEqual(afterEpoch1);
    model.dispose();
  });

  it('an async source of unknown length (a stream) trains exactly like the same rows in memory, unshuffled', async () => {
    const m = gaussianRows(50, 3, 4);
    const stream: BatchSource = {
      widths: { x: 3 },
      async *epoch({ batchSize }) {
        for (let start = 0; start < m.rows; start += batchSize) {
          await new Promise((r) => setTimeout(r, 0));
          const rows = Math.min(batchSize, m.rows - start);
          yield { x: tf.tensor2d(m.data.subarray(start * 3, (start + rows) * 3), [rows, 3]) };
        }
      },
    };
    const opts = { epochs: 2, batchSize: 16, shuffle: false, seed: 1 };
    const sizes: (number | undefined)[] = [];
    const a = new LinearGaussianVae(3, 2, 1);
    const ha = await fitModel(a, stream, { ...opts, onBatchEnd: (b) => void sizes.push(b.batches) });
    const b = new LinearGaussianVae(3, 2, 1);
    const hb = await fitModel(b, new MatrixBatchSource({ x: m }), opts);
    expect(ha.epochs.map((e) => e.loss)).toEqual(hb.epochs.map((e) => e.loss));
    expectSameWeights(modelValues(a), modelValues(b));
    expect(sizes).toEqual(Array(8).fill(undefined)); // the stream's length is unknown
    a.dispose();
    b.dispose();
  });

  it('rejects what is not a model, a source or an option before anything changes', async () => {
    const model = new MeanModel(2);
    const data = new MatrixBatchSource({ x: gaussianRows(10, 2, 1) });
    await expect(fitModel({} as never, data)).rejects.toThrow(/namedVariables\(\) and lossTerms/);
    await expect(fitModel(model, [[1, 2]] as never)).rejects.toThrow(/"data" must be a BatchSource/);
    await expect(fitModel(model, data, { validationData: [[1, 2]] as never })).rejects.toThrow(ArgumentError);
    await expect(fitModel(model, data, { callbacks: [{ onEpochEnd: 3 }] as never })).rejects.toThrow(
      /"callbacks"\[0\].*"onEpochEnd" is not a function/,
    );
    // one variable under two names would be stepped twice a step; an optional method that is not one
    const twice = {
      namedVariables: () =>
        new Map([
          ['a', model.w],
          ['b', model.w],
        ]),
      lossTerms: model.lossTerms.bind(model),
    };
    await expect(fitModel(twice as never, data)).rejects.toThrow(/one variable under two names, "a" and "b"/);
    const asyncLoss = {
      namedVariables: () => new Map([['w', model.w]]),
      lossTerms: async () => ({ loss: tf.scalar(0) }),
    };
    await expect(fitModel(asyncLoss as never, data)).rejects.toThrow(
      /lossTerms\(\) returned a Promise; it must compute the loss synchronously/,
    );
    const notMethod = Object.assign(Object.create(model) as MeanModel, { setTraining: 5 });
    await expect(fitModel(notMethod, data)).rejects.toThrow(/optional "setTraining" must be a method, got number/);
    const stream = { widths: { x: 2 }, epoch: () => [] };
    await expect(fitModel(model, stream, { validationSplit: 0.5 })).rejects.toThrow(/needs a source of known length/);
    expect(Array.from(model.w.dataSync())).toEqual([0, 0]);
    model.dispose();
  });
});

describe('a score-function latent through the Trainer (#18)', () => {
  it('the divergence guard rolls the baseline state back with the weights', async () => {
    const model = new BinaryLatentModel(3, 2, 1);
    const lossTerms = model.lossTerms.bind(model);
    model.lossTerms = (batch, ctx) => {
      const t = lossTerms(batch, ctx);
      return ctx.training && ctx.step === 5 ? { ...t, loss: tf.mul(t.loss, Number.NaN) as tf.Scalar } : t;
    };
    let afterEpoch1: Map<string, Float32Array> | undefined;
    const error = await fitModel(model, new MatrixBatchSource({ x: gaussianRows(64, 3, 3) }), {
      epochs: 3,
      batchSize: 16,
      callbacks: [
        {
          onEpochEnd: () => {
            if (!afterEpoch1) afterEpoch1 = modelValues(model);
          },
        },
      ],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    expect(model.baseline.updates).toBeGreaterThan(4); // the baseline moved in epoch 2 before the guard fired
    expectSameWeights(modelValues(model), afterEpoch1!);
    model.dispose();
  });

  it('records the estimator and baseline, keeps the baseline state in checkpoints: resume is exact', async () => {
    const data = () => new MatrixBatchSource({ x: gaussianRows(64, 3, 3) });
    const opts = { batchSize: 16, seed: 5, learningRate: 1e-2, samples: 1 };
    const full = new BinaryLatentModel(3, 2, 1);
    const counts: number[] = [];
    const fullHistory = await fitModel(full, data(), {
      ...opts,
      epochs: 4,
      callbacks: [{ onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
    });
    expect(new Set(counts).size).toBe(1); // no growth across epochs
    expect(fullHistory.epochs.map((e) => [e.estimator, e.baseline])).toEqual(
      Array(4).fill(['score-function', 'moving-average']),
    );
    expect(fullHistory.epochs[3]!.loss).toBeLessThan(fullHistory.epochs[0]!.loss); // it learns
    // the baseline moved: 16 updates, its weight is 1 − 0.8^16
    expect(full.baseline.stateVariables().get('weight')!.dataSync()[0]).toBeCloseTo(1 - 0.8 ** 16, 5);

    const dir = await tempDir();
    const first = new BinaryLatentModel(3, 2, 1);
    await fitModel(first, data(), { ...opts, epochs: 2, checkpointEvery: 1, checkpointDir: dir });
    first.dispose();
    const resumed = new BinaryLatentModel(3, 2, 1);
    const h = await fitModel(resumed, data(), { ...opts, epochs: 4, resumeFrom: dir });
    expect(h.epochs.map((e) => e.loss)).toEqual(fullHistory.epochs.map((e) => e.loss));
    expectSameWeights(modelValues(resumed), modelValues(full));
    full.dispose();
    resumed.dispose();
  });
});
