// Honest resume (issue 13, item 5): a resumed run is bit-identical to an uninterrupted one on cpu, wasm and
// wasm-native; the checkpoint is tied to its data, model config and options; `epochs` below the checkpoint's epoch
// is an error.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, SerializationError } from '@varia/core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { afterAll, describe, expect, it } from 'vitest';
import type { FitOptions } from './fit.js';
import {
  expectSameWeights,
  removeTempDirs,
  tempDir,
  toySubset,
  weightValues,
  checkTensorLeaksPerTest,
} from './test-utils/helpers.js';
import { VAE, type VAEConfig } from './index.js';

afterAll(removeTempDirs);

checkTensorLeaksPerTest();

const config: VAEConfig = { inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 3 };
const data = toySubset(120);
// 90 training rows in batches of 8: 12 Adam steps per epoch, so β^t runs far enough to differ from a power
const base: FitOptions = { batchSize: 8, learningRate: 1e-2, seed: 5, validationSplit: 0.25 };

const nativeProblem = nativeKernelsProblem();
const backends: { name: string; skip?: string; enter(): Promise<void>; leave(): void }[] = [
  { name: 'cpu', enter: async () => void (await tf.setBackend('cpu')), leave: () => undefined },
  { name: 'wasm', enter: async () => void (await tf.setBackend('wasm')), leave: () => undefined },
  {
    name: 'wasm-native',
    skip: nativeProblem,
    enter: async () => {
      await tf.setBackend('wasm');
      enableNativeKernels({ parallel: 1 });
    },
    leave: disableNativeKernels,
  },
];
if (nativeProblem) console.warn(`resume on wasm-native skipped: ${nativeProblem}`);

describe('a resumed run is bit-identical to an uninterrupted one', () => {
  for (const backend of backends) {
    it.skipIf(backend.skip !== undefined)(backend.name, async () => {
      await backend.enter();
      try {
        const full = new VAE(config);
        const fullHistory = await full.fit(data, { ...base, epochs: 5 });
        const fullWeights = weightValues(full);
        full.dispose();

        const dir = await tempDir();
        const first = new VAE(config);
        await first.fit(data, { ...base, epochs: 2, checkpointEvery: 2, checkpointDir: dir });
        first.dispose();
        const resumed = new VAE(config);
        const h = await resumed.fit(data, { ...base, epochs: 5, resumeFrom: dir });
        const strip = (hist: typeof h) => hist.epochs.map((e) => [e.loss, e.reconstruction, e.kl, e.valLoss]);
        expect(strip(h)).toEqual(strip(fullHistory));
        expectSameWeights(weightValues(resumed), fullWeights);
        resumed.dispose();
      } finally {
        backend.leave();
        await tf.setBackend('cpu');
      }
    });
  }
});

describe('the checkpoint is tied to its data, config and options', () => {
  async function checkpointAfter(epochs: number, cfg = config, options: FitOptions = {}): Promise<string> {
    const dir = await tempDir();
    const vae = new VAE(cfg);
    await vae.fit(data, { ...base, epochs, checkpointEvery: 1, checkpointDir: dir, ...options });
    vae.dispose();
    return dir;
  }

  async function refusal(dir: string, cfg: VAEConfig, options: FitOptions, x = data): Promise<Error> {
    const vae = new VAE(cfg);
    const before = weightValues(vae);
    const error = await vae.fit(x, { ...base, epochs: 3, resumeFrom: dir, ...options }).then(
      () => new Error('resumed'),
      (e: Error) => e,
    );
    expectSameWeights(weightValues(vae), before);
    vae.dispose();
    return error;
  }

  it('other data of the same size, other validation data, another model config: errors naming what differs', async () => {
    const dir = await checkpointAfter(1);
    const other = toySubset(120, 7);
    const e1 = await refusal(dir, config, {}, other);
    expect(e1).toBeInstanceOf(ArgumentError);
    expect((e1 as ArgumentError).argument).toBe('data');
    expect(e1.message).toMatch(
      /the training data differ from the checkpoint's \(90 examples, hash [0-9a-f]{16}; this run: 90 examples, hash [0-9a-f]{16}\)/,
    );

    const e2 = await refusal(dir, { ...config, activation: 'tanh' }, {});
    expect((e2 as ArgumentError).argument).toBe('config');
    expect(e2.message).toMatch(
      /the model differs from the checkpoint's: config.activation: the checkpoint has "relu", this run has "tanh"/,
    );
    const e3 = await refusal(dir, { ...config, hiddenUnits: [8, 4] }, {});
    expect(e3.message).toMatch(/config.encoderUnits.1: the checkpoint has nothing, this run has 4/);

    const e4 = await refusal(
      dir,
      config,
      { validationSplit: undefined, validationData: toySubset(30, 9) },
      toySubset(120),
    );
    expect(e4).toBeInstanceOf(ArgumentError);
    const e5 = await refusal(dir, config, { freeBits: 0.5 });
    expect((e5 as ArgumentError).argument).toBe('freeBits');
  });

  it('epochs below the checkpoint epoch is an error; equal to it returns the checkpoint with epochs entries of history', async () => {
    const dir = await checkpointAfter(3);
    const e = await refusal(dir, config, { epochs: 2 });
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('epochs');
    expect(e.message).toMatch(/already completed 3 epochs, more than "epochs" = 2/);
    const vae = new VAE(config);
    const h = await vae.fit(data, { ...base, epochs: 3, resumeFrom: dir });
    expect(h.epochs).toHaveLength(3);
    vae.dispose();
  });

  it('a checkpoint with non-finite weights or without a fingerprint of its data is refused', async () => {
    const { readFile, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const dir = await checkpointAfter(1);
    const file = join(dir, 'checkpoint.json');
    const json = JSON.parse(await readFile(file, 'utf8')) as { state: { fingerprint: Record<string, unknown> } };
    delete json.state.fingerprint.dataHash;
    await writeFile(file, JSON.stringify(json));
    expect(await refusal(dir, config, {})).toBeInstanceOf(SerializationError);
  });
});
