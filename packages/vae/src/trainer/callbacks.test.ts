import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../test-utils/helpers.js';
import { gaussianRows, MeanModel } from '../test-utils/trainer-models.js';
import { MatrixBatchSource } from './batch-source.js';
import type { Callback, TrainingLog } from './callback.js';
import { EarlyStopping } from './early-stopping.js';
import { KLAnnealing } from './kl-annealing.js';
import { ModelCheckpoint } from './model-checkpoint.js';
import { formatEpoch, ProgressLogger } from './progress-logger.js';
import { fitModel } from './trainer.js';

let before = 0;
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});
afterAll(removeTempDirs);

const source = () => new MatrixBatchSource({ x: gaussianRows(40, 2, 3) });
const base = { batchSize: 10, learningRate: 0.05, seed: 1 };

describe('hooks', () => {
  it('run in order: train begin, per epoch begin → batches → end, train end; async hooks are awaited', async () => {
    const model = new MeanModel(2);
    const calls: string[] = [];
    const recorder: Callback = {
      validate: (plan) => void calls.push(`validate ${plan.epochs}×${plan.stepsPerEpoch}`),
      onTrainBegin: () => void calls.push('train'),
      onEpochBegin: async (e) => {
        await new Promise((r) => setTimeout(r, 1));
        calls.push(`epoch ${e}`);
      },
      onBatchEnd: (b, logs) => void calls.push(`batch ${logs.epoch}.${b}/${logs.batches} (${logs.size})`),
      onEpochEnd: (e, logs) => void calls.push(`end ${e} ${logs.epoch === e}`),
      onTrainEnd: () => void calls.push('done'),
    };
    await fitModel(model, source(), { ...base, batchSize: 16, epochs: 2, callbacks: [recorder] });
    expect(calls).toEqual([
      'validate 2×3',
      'train',
      'epoch 1',
      'batch 1.0/3 (16)',
      'batch 1.1/3 (16)',
      'batch 1.2/3 (8)',
      'end 1 true',
      'epoch 2',
      'batch 2.0/3 (16)',
      'batch 2.1/3 (16)',
      'batch 2.2/3 (8)',
      'end 2 true',
      'done',
    ]);
    model.dispose();
  });

  it('a callback that sets stopTraining ends the run after that epoch (stopReason "callback")', async () => {
    const model = new MeanModel(2);
    let ctx: { stopTraining: boolean } | undefined;
    const h = await fitModel(model, source(), {
      ...base,
      epochs: 10,
      callbacks: [
        {
          onTrainBegin: (c) => {
            ctx = c;
          },
          onEpochEnd: (e) => {
            if (e === 3) ctx!.stopTraining = true;
          },
        },
      ],
    });
    expect(h.stopReason).toBe('callback');
    expect(h.epochs).toHaveLength(3);
    model.dispose();
  });
});

describe('EarlyStopping', () => {
  it('stops patience epochs after the best (improvement = below best − minDelta) and restores its weights', async () => {
    const model = new MeanModel(2);
    const weightsAt: Float32Array[] = [];
    const keep: Callback = { onEpochEnd: () => void weightsAt.push(Float32Array.from(model.w.dataSync())) };
    // the loss falls every epoch, but never by more than 1e6: only epoch 1 (from Infinity) counts as an improvement
    const h = await fitModel(model, source(), {
      ...base,
      epochs: 20,
      callbacks: [new EarlyStopping({ patience: 2, minDelta: 1e6 }), keep],
    });
    expect(h.stopReason).toBe('early-stopping');
    expect(h.epochs).toHaveLength(4); // epochs 2, 3 tolerated; epoch 4 − best 1 > 2
    expect(h.epochs[3]!.loss).toBeLessThan(h.epochs[0]!.loss);
    expect(h.bestEpoch).toBe(1);
    expect(Float32Array.from(model.w.dataSync())).toEqual(weightsAt[0]);
    model.dispose();
  });

  it('minDelta 0 keeps improving; monitor picks the log entry; without restore the last weights stay', async () => {
    const model = new MeanModel(2);
    const h = await fitModel(model, source(), {
      ...base,
      epochs: 5,
      callbacks: [new EarlyStopping({ patience: 0, monitor: 'loss' })],
    });
    expect(h.stopReason).toBe('completed');
    expect(h.bestEpoch).toBe(5);
    const worse = new EarlyStopping({ patience: 0, monitor: 'seconds', restoreBestWeights: false });
    const m2 = new MeanModel(2);
    const h2 = await fitModel(m2, source(), { ...base, epochs: 50, callbacks: [worse] });
    expect(h2.bestEpoch).toBe(h2.epochs.length); // not restored
    await expect(
      fitModel(m2, source(), { ...base, epochs: 2, callbacks: [new EarlyStopping({ monitor: 'valLoss' })] }),
    ).rejects.toThrow(/no number "valLoss"/);
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(ArgumentError);
    expect(() => new EarlyStopping({ minDelta: Number.NaN })).toThrow(/"minDelta"/);
    model.dispose();
    m2.dispose();
  });
});

describe('KLAnnealing', () => {
  it('gives step t of epoch e the weight β·s(t)·min(1, e/N)', async () => {
    const model = new MeanModel(2);
    const schedule = (t: number) => (t % 3) / 2;
    await fitModel(model, source(), {
      ...base,
      beta: 0.5,
      epochs: 3,
      callbacks: [new KLAnnealing({ schedule, epochs: 2 })],
    });
    // each step's context once (the final-state check after an epoch's last step sees that step's context again)
    const training = [...new Set(model.seen.filter((c) => c.training))];
    expect(training.map((c) => c.beta)).toEqual(
      training.map((c) => 0.5 * ((c.step % 3) / 2) * Math.min(1, c.epoch / 2)),
    );
    expect(training.map((c) => c.step)).toEqual([...Array(12).keys()]);
    model.dispose();
  });

  it('a schedule that returns NaN, a negative or a non-number fails before the first step', async () => {
    for (const bad of [() => Number.NaN, (t: number) => (t === 7 ? -1 : 1), () => 'x' as unknown as number]) {
      const model = new MeanModel(2);
      const e = await fitModel(model, source(), {
        ...base,
        epochs: 2,
        callbacks: [new KLAnnealing({ schedule: bad })],
      }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ArgumentError);
      expect(model.seen).toHaveLength(0);
      model.dispose();
    }
  });
});

describe('ModelCheckpoint', () => {
  it('writes every N epochs; an unwritable directory is refused before the first step', async () => {
    const dir = await tempDir();
    const model = new MeanModel(2);
    const written: number[] = [];
    await fitModel(model, source(), {
      ...base,
      epochs: 4,
      callbacks: [
        new ModelCheckpoint({ dir, every: 2 }),
        {
          onEpochEnd: async () => {
            const json = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8').catch(() => '{}'));
            written.push(json.state?.epoch ?? 0);
          },
        },
      ],
    });
    expect(written).toEqual([0, 2, 2, 4]);
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const e = await fitModel(model, source(), {
      ...base,
      callbacks: [new ModelCheckpoint({ dir: join(file, 'sub') })],
    }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('dir');
    expect(() => new ModelCheckpoint({ dir: '' })).toThrow(ArgumentError);
    model.dispose();
  });
});

describe('ProgressLogger', () => {
  it('logs one line per epoch (every N, and the last)', async () => {
    const lines: string[] = [];
    const model = new MeanModel(2);
    await fitModel(model, source(), {
      ...base,
      epochs: 5,
      callbacks: [new ProgressLogger({ log: (l) => lines.push(l), every: 2 })],
    });
    expect(lines.map((l) => l.split('  ')[0])).toEqual(['epoch 2/5', 'epoch 4/5', 'epoch 5/5']);
    const log: TrainingLog = {
      epoch: 1,
      epochs: 2,
      loss: 1.23456,
      reconstruction: -1,
      kl: 0.5,
      beta: 1,
      valLoss: 2,
      seconds: 0.5,
      examplesPerSecond: 1,
      estimator: 'score-function',
      baseline: 'learned',
    };
    expect(formatEpoch(log, 2)).toBe(
      'epoch 1/2  loss 1.23  rec -1.00  kl 0.50  val 2.00  β 1  score-function/learned  0.50 s',
    );
    expect(() => new ProgressLogger({ every: 0 })).toThrow(ArgumentError);
    model.dispose();
  });
});
