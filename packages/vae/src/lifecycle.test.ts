// Lifecycle and leaks of fit (issue 13, items 8 and 9): one fit at a time, dispose() during fit, and no tensor left
// behind on any error path.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DisposedError, SerializationError } from '@varia/core';
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
import { VAE } from './vae.js';

afterAll(removeTempDirs);

checkTensorLeaksPerTest();

const make = () => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 2 });
const data = toySubset(90);
const base: FitOptions = { epochs: 3, batchSize: 15, learningRate: 1e-2, seed: 1 };

describe('one fit at a time', () => {
  it('a second fit while one runs rejects with an ArgumentError; the first trains as if alone', async () => {
    const alone = make();
    await alone.fit(data, base);
    const expected = weightValues(alone);
    alone.dispose();

    const vae = make();
    const first = vae.fit(data, base);
    const second = vae.fit(data, base);
    await expect(second).rejects.toThrow(ArgumentError);
    await expect(second).rejects.toThrow(/already training/);
    await first;
    expectSameWeights(weightValues(vae), expected);
    // afterwards the model trains again
    await vae.fit(data, { ...base, epochs: 1 });
    vae.dispose();
  });
});

describe('dispose() during fit', () => {
  for (const when of ['onBatchEnd', 'onEpochEnd', 'a timer'] as const) {
    it(`from ${when}: fit rejects cleanly and every tensor is freed`, async () => {
      const vae = make();
      const options: FitOptions = { ...base, epochs: 50 };
      if (when === 'onBatchEnd') options.onBatchEnd = ({ batch }) => void (batch === 2 && vae.dispose());
      if (when === 'onEpochEnd') options.onEpochEnd = () => vae.dispose();
      if (when === 'a timer') setTimeout(() => vae.dispose(), 30);
      const run = vae.fit(data, options);
      await expect(run).rejects.toThrow(DisposedError);
      await expect(run).rejects.toThrow(/the model was disposed during training/);
      expect(vae.isDisposed).toBe(true);
      expect(() => vae.encode([[0, 0]])).toThrow(/disposed/);
      // the afterEach check: the model's variables are gone too
    });
  }
});

describe('no tensor leaks on error paths', () => {
  async function leaksAfter(options: FitOptions, patch?: (vae: VAE) => void): Promise<unknown> {
    const vae = make();
    patch?.(vae);
    const error = await vae.fit(data, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    vae.dispose();
    return error;
  }

  it('a loss that throws in the middle of a step (inside the gradient tape)', async () => {
    let calls = 0;
    const error = await leaksAfter(base, (vae) => {
      const inner = vae.variationalInputs.bind(vae);
      vae.variationalInputs = (x) => {
        const inputs = inner(x);
        if (++calls === 4) {
          // some ops are already on the tape: their saved tensors must be freed
          tf.sum(inputs.posterior.mean());
          throw new Error('custom head failed');
        }
        return inputs;
      };
    });
    expect((error as Error).message).toBe('custom head failed');
  });

  it('a klSchedule that returns NaN', async () => {
    expect(await leaksAfter({ ...base, klSchedule: () => Number.NaN })).toBeInstanceOf(ArgumentError);
  });

  it('callbacks that throw', async () => {
    expect(
      await leaksAfter({
        ...base,
        onBatchEnd: () => {
          throw new Error('batch');
        },
      }),
    ).toHaveProperty('message', 'batch');
    expect(
      await leaksAfter({
        ...base,
        onEpochEnd: () => {
          throw new Error('epoch');
        },
      }),
    ).toHaveProperty('message', 'epoch');
    expect(await leaksAfter({ ...base, onEpochEnd: async () => Promise.reject(new Error('async')) })).toHaveProperty(
      'message',
      'async',
    );
  });

  it('a checkpoint that cannot be written, and a checkpoint that cannot be read', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    // refused before training: no epoch runs
    let epochs = 0;
    const e = await leaksAfter({
      ...base,
      checkpointEvery: 1,
      checkpointDir: join(file, 'sub'),
      onEpochEnd: () => void epochs++,
    });
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('checkpointDir');
    expect(epochs).toBe(0);
    expect(await leaksAfter({ ...base, resumeFrom: join(dir, 'missing') })).toBeInstanceOf(SerializationError);
  });

  it('early stopping with best weights, then an error', async () => {
    let epochs = 0;
    const error = await leaksAfter({
      ...base,
      epochs: 6,
      patience: 1,
      validationSplit: 0.3,
      onEpochEnd: () => {
        if (++epochs === 3) throw new Error('late');
      },
    });
    expect((error as Error).message).toBe('late');
  });
});
