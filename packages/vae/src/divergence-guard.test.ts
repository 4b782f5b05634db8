import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DivergenceError } from '@varia/core';
import { toyGaussian2d } from '@varia/datasets';
import { afterAll, describe, expect, it } from 'vitest';
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

/** Sets every entry of a variable to `value` (NaN, or a huge value that overflows the loss). */
function fill(v: tf.Variable, value: number): void {
  const next = tf.fill(v.shape, value);
  v.assign(next);
  next.dispose();
}

function allFinite(w: Map<string, Float32Array>): boolean {
  return [...w.values()].every((a) => a.every(Number.isFinite));
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('the divergence guard checks every step, the last one of each epoch included', () => {
  it('the CLI case `--lr 1e6 --batch-size 5000 --epochs 1` (one step, finite loss before it) rejects and keeps the initial weights', async () => {
    // the playground's defaults: toy2d, hidden 2, latent 2, Gaussian, seed 0
    const x = toyGaussian2d({ seed: 0 }).x;
    const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: [2], likelihood: 'gaussian', seed: 0 });
    const initial = weightValues(vae);
    const error = await rejection(vae.fit(x, { epochs: 1, batchSize: 5000, learningRate: 1e6, seed: 0 }));
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).epoch).toBe(1);
    expect((error as Error).message).toMatch(
      /training diverged: .* after the last step .* at epoch 1, step 0; the weights were restored to their initial values/,
    );
    expectSameWeights(weightValues(vae), initial);
    const ev = await vae.evaluate(x);
    expect(Number.isFinite(ev.elbo)).toBe(true);
    vae.dispose();
  });

  it('a state broken by the last step of epoch 2 is caught: the weights and the checkpoint are those of epoch 1', async () => {
    const dir = await tempDir();
    const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 4 });
    let afterEpoch1: Map<string, Float32Array> | undefined;
    const error = await rejection(
      vae.fit(toySubset(120), {
        epochs: 3,
        batchSize: 30,
        learningRate: 1e-2,
        seed: 0,
        checkpointEvery: 1,
        checkpointDir: dir,
        onEpochEnd: (log) => {
          if (log.epoch === 1) afterEpoch1 = weightValues(vae);
        },
        onBatchEnd: ({ epoch, batch, batches }) => {
          // after the last step of epoch 2 (no later step of that epoch computes a loss on these weights)
          if (epoch === 2 && batch === batches - 1) fill(vae.namedVariables().get('decoder/0/kernel')!, 1e30);
        },
      }),
    );
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).epoch).toBe(2);
    expect((error as DivergenceError).step).toBe(3);
    expect((error as Error).message).toMatch(/restored to the end of epoch 1/);
    expectSameWeights(weightValues(vae), afterEpoch1!);
    const json = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as { state: { epoch: number } };
    expect(json.state.epoch).toBe(1);
    vae.dispose();
  });

  it('a non-finite weight after the last step is caught even when the loss stays finite', async () => {
    const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 4, prior: { mixture: 2 } });
    const initial = weightValues(vae);
    const error = await rejection(
      vae.fit(toySubset(60), {
        epochs: 1,
        batchSize: 30,
        seed: 0,
        onBatchEnd: ({ batch, batches }) => {
          // a prior weight the loss of a point-mass-free model still reads; NaN in a weight the loss might not reach
          // is caught by the weight check
          if (batch === batches - 1) {
            const v = vae.namedVariables().get('encoder/0/bias')!;
            const values = Float32Array.from(v.dataSync());
            values[0] = Number.POSITIVE_INFINITY;
            const t = tf.tensor(values, v.shape);
            v.assign(t);
            t.dispose();
          }
        },
      }),
    );
    expect(error).toBeInstanceOf(DivergenceError);
    expectSameWeights(weightValues(vae), initial);
    expect(allFinite(weightValues(vae))).toBe(true);
    vae.dispose();
  });

  it('an abort after a diverged step rejects instead of returning the broken weights', async () => {
    const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 4 });
    const initial = weightValues(vae);
    const controller = new AbortController();
    const error = await rejection(
      vae.fit(toySubset(120), {
        epochs: 2,
        batchSize: 30,
        seed: 0,
        signal: controller.signal,
        onBatchEnd: ({ batch }) => {
          if (batch === 1) {
            fill(vae.namedVariables().get('decoder/0/kernel')!, Number.NaN);
            controller.abort();
          }
        },
      }),
    );
    expect(error).toBeInstanceOf(DivergenceError);
    expectSameWeights(weightValues(vae), initial);
    vae.dispose();
  });
});
