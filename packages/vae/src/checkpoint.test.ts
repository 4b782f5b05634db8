import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, SerializationError } from '@varia/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { FitOptions } from './fit.js';
import {
  expectSameWeights,
  maxWeightDiff,
  removeTempDirs,
  tempDir,
  toySubset,
  weightValues,
  checkTensorLeaksPerTest,
} from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);

checkTensorLeaksPerTest();

const config = { inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 3 };
const data = toySubset(120);
const base: FitOptions = { batchSize: 30, learningRate: 1e-2, seed: 5, validationSplit: 0.25 };

describe('checkpoints and resume', () => {
  it('training 2 epochs, then resuming to 4 on a fresh model equals an uninterrupted 4-epoch run', async () => {
    const fullDir = await tempDir();
    const full = new VAE(config);
    const fullHistory = await full.fit(data, { ...base, epochs: 4, checkpointEvery: 2, checkpointDir: fullDir });
    const fullWeights = weightValues(full);
    full.dispose();

    const dir = await tempDir();
    const first = new VAE(config);
    await first.fit(data, { ...base, epochs: 2, checkpointEvery: 2, checkpointDir: dir });
    first.dispose();
    const json = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as { state: { epoch: number } };
    expect(json.state.epoch).toBe(2);

    const resumed = new VAE(config);
    const epochsRun: number[] = [];
    const h = await resumed.fit(data, {
      ...base,
      epochs: 4,
      resumeFrom: dir,
      onEpochEnd: (l) => void epochsRun.push(l.epoch),
    });
    expect(epochsRun).toEqual([3, 4]);
    expect(h.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    const strip = (hist: typeof h) =>
      hist.epochs.map((e) => [e.loss, e.reconstruction, e.kl, e.beta, e.valLoss, e.valKl]);
    expect(strip(h)).toEqual(strip(fullHistory));
    expect(maxWeightDiff(weightValues(resumed), fullWeights)).toBeLessThanOrEqual(1e-6);
    expectSameWeights(weightValues(resumed), fullWeights);
    resumed.dispose();
  });

  it('resume with early stopping carries the best epoch and its weights', async () => {
    const opts: FitOptions = { ...base, patience: 100, learningRate: 5e-2 };
    const full = new VAE(config);
    const fullHistory = await full.fit(data, { ...opts, epochs: 4 });
    const fullWeights = weightValues(full);
    full.dispose();

    const dir = await tempDir();
    const first = new VAE(config);
    await first.fit(data, { ...opts, epochs: 2, checkpointEvery: 1, checkpointDir: dir });
    first.dispose();
    const resumed = new VAE(config);
    const h = await resumed.fit(data, { ...opts, epochs: 4, resumeFrom: dir });
    expect(h.bestEpoch).toBe(fullHistory.bestEpoch);
    expectSameWeights(weightValues(resumed), fullWeights);
    resumed.dispose();
  });

  it('resume with a different batchSize (or seed, or data) is an ArgumentError and changes nothing', async () => {
    const dir = await tempDir();
    const first = new VAE(config);
    await first.fit(data, { ...base, epochs: 1, checkpointEvery: 1, checkpointDir: dir });
    first.dispose();
    const vae = new VAE(config);
    const before = weightValues(vae);
    const err = await vae.fit(data, { ...base, batchSize: 20, epochs: 2, resumeFrom: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArgumentError);
    expect((err as ArgumentError).argument).toBe('batchSize');
    expect((err as Error).message).toMatch(/batchSize = 30.*20/);
    await expect(vae.fit(data, { ...base, seed: 6, epochs: 2, resumeFrom: dir })).rejects.toThrow(ArgumentError);
    await expect(vae.fit(toySubset(100), { ...base, epochs: 2, resumeFrom: dir })).rejects.toThrow(ArgumentError);
    expectSameWeights(weightValues(vae), before);
    vae.dispose();
  });

  it('a corrupt, missing or mismatched checkpoint is a SerializationError and changes nothing', async () => {
    const dir = await tempDir();
    const first = new VAE(config);
    await first.fit(data, { ...base, epochs: 1, checkpointEvery: 1, checkpointDir: dir });
    first.dispose();
    const vae = new VAE(config);
    const before = weightValues(vae);
    const resume = (from: string, model = vae) => model.fit(data, { ...base, epochs: 2, resumeFrom: from });

    await expect(resume(join(dir, 'nope'))).rejects.toThrow(SerializationError);

    // the binaries' names are recorded in checkpoint.json (new names for each checkpoint: crash-safe writes)
    const files = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as {
      weights: { file: string };
      optimizer: { file: string };
    };
    const weightsFile = join(dir, files.weights.file);
    const optimizerFile = join(dir, files.optimizer.file);
    const weights = await readFile(weightsFile);
    const flipped = Buffer.from(weights);
    flipped[10] = flipped[10]! ^ 0xff;
    await writeFile(weightsFile, flipped);
    await expect(resume(dir)).rejects.toThrow(/checksum/);
    await writeFile(weightsFile, weights);

    const other = new VAE({ ...config, latentDim: 3 });
    const otherBefore = weightValues(other);
    // another architecture: the fingerprint's config names the difference before any weight is read
    await expect(resume(dir, other)).rejects.toThrow(/config.latentDim: the checkpoint has 2, this run has 3/);
    expectSameWeights(weightValues(other), otherBefore);
    other.dispose();

    const optimizerBytes = await readFile(optimizerFile);
    await rm(optimizerFile);
    await expect(resume(dir)).rejects.toThrow(SerializationError);
    await writeFile(optimizerFile, optimizerBytes);

    const text = await readFile(join(dir, 'checkpoint.json'), 'utf8');
    for (const broken of ['null', '{"format":"varia-checkpoint","formatVersion":1}', '[]']) {
      await writeFile(join(dir, 'checkpoint.json'), broken);
      await expect(resume(dir)).rejects.toThrow(SerializationError);
    }
    await writeFile(join(dir, 'checkpoint.json'), text.slice(0, 50));
    await expect(resume(dir)).rejects.toThrow(SerializationError);
    await writeFile(join(dir, 'checkpoint.json'), text.replace('"varia-checkpoint"', '"something-else"'));
    await expect(resume(dir)).rejects.toThrow(SerializationError);

    expectSameWeights(weightValues(vae), before);
    vae.dispose();
  });

  it('checkpointing does not grow the tensor count', async () => {
    const dir = await tempDir();
    const vae = new VAE(config);
    const counts: number[] = [];
    await vae.fit(data, {
      ...base,
      epochs: 4,
      checkpointEvery: 1,
      checkpointDir: dir,
      patience: 10,
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    });
    expect(counts[3]).toBe(counts[0]);
    vae.dispose();
  });
});
