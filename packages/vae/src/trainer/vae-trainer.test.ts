import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectSameWeights, removeTempDirs, tempDir, toySubset, weightValues } from '../test-utils/helpers.js';
import { VAE } from '../vae.js';
import { vaeTrainable } from '../vae-trainable.js';
import { MatrixBatchSource } from './batch-source.js';
import { EarlyStopping } from './early-stopping.js';
import { fitModel } from './trainer.js';

let before = 0;
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});
afterAll(removeTempDirs);

const config = { inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 4 };
const data = toySubset(120, 0);

describe('VAE.fit is a thin use of the Trainer', () => {
  it('fitModel(vaeTrainable(vae), source) trains the same weights and history as vae.fit', async () => {
    const opts = { epochs: 2, batchSize: 32, learningRate: 1e-2, seed: 3, klWarmupEpochs: 2, samples: 2 };
    const a = new VAE(config);
    const ha = await a.fit(data, opts);
    const b = new VAE(config);
    const hb = await fitModel(vaeTrainable(b), new MatrixBatchSource({ x: data }), opts);
    expect(hb.epochs.map((e) => [e.loss, e.reconstruction, e.kl, e.beta, e.estimator])).toEqual(
      ha.epochs.map((e) => [e.loss, e.reconstruction, e.kl, e.beta, e.estimator]),
    );
    expect(ha.epochs[0]!.estimator).toBe('reparam');
    expectSameWeights(weightValues(b), weightValues(a));
    a.dispose();
    b.dispose();
  });

  it('an EarlyStopping given in `callbacks` with checkpoint options resumes exactly (its best is saved)', async () => {
    const opts = {
      batchSize: 30,
      learningRate: 5e-2,
      seed: 2,
      validationSplit: 0.25,
      callbacks: [new EarlyStopping({ patience: 100, minDelta: 1e-3 })],
    };
    const full = new VAE(config);
    const fullHistory = await full.fit(data, { ...opts, epochs: 5 });
    const dir = await tempDir();
    const first = new VAE(config);
    await first.fit(data, { ...opts, epochs: 3, checkpointEvery: 1, checkpointDir: dir });
    first.dispose();
    const resumed = new VAE(config);
    const h = await resumed.fit(data, { ...opts, epochs: 5, resumeFrom: dir });
    expect(h.bestEpoch).toBe(fullHistory.bestEpoch);
    expect(h.epochs.map((e) => e.valLoss)).toEqual(fullHistory.epochs.map((e) => e.valLoss));
    expectSameWeights(weightValues(resumed), weightValues(full));
    full.dispose();
    resumed.dispose();
  });
});
