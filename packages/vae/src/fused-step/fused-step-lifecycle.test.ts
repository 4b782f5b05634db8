import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { nativeKernelsProblem } from '@varia/native-kernels';
import { describe, expect, it } from 'vitest';
import type { VAEConfig } from '../config.js';
import type { FitOptions } from '../fit.js';
import { counts, expectSameWeights, removeTempDirs, tempDir, weightValues } from '../test-utils/helpers.js';
import { VAE } from '../vae.js';
import { vaeTrainable } from '../vae-trainable.js';
import { onNativeWasm } from '../test-utils/fused-step-cases.js';

// The fused step across a run's life: a run resumed from a checkpoint continues bit-identically whichever path each
// part took, and a model disposed or a backend switched mid-run ends as the generic path does, without leaks.
const problem = nativeKernelsProblem();
if (problem) console.warn(`fused-step lifecycle tests skipped: ${problem}`);

const config: VAEConfig = { inputDim: 8, latentDim: 2, hiddenUnits: [6], likelihood: 'poisson', seed: 3 };
const data = counts(48, 8, 5);
const base: FitOptions = { batchSize: 16, seed: 7 };

/** The outcome of `fit` (weights, history without timings, or the error) with the tensors it left behind. */
async function outcome(options: FitOptions | ((model: VAE) => FitOptions)) {
  const before = tf.memory().numTensors;
  const model = new VAE(config);
  try {
    if (typeof options === 'function') options = options(model);
    const h = await model.fit(data, options);
    const losses = h.epochs.map((e) => [e.loss, e.reconstruction, e.kl]);
    return { weights: weightValues(model), losses };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  } finally {
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }
}

describe.skipIf(problem !== undefined)('the fused training step across a run', () => {
  onNativeWasm(removeTempDirs);

  it('a resumed run continues bit-identically whether each part ran fused or taped', async () => {
    const full = await outcome({ ...base, epochs: 4 });
    for (const [first, second] of [
      [true, false],
      [false, true],
    ]) {
      const dir = await tempDir();
      await outcome({ ...base, epochs: 2, checkpointEvery: 2, checkpointDir: dir, fusedStep: first });
      const resumed = await outcome({ ...base, epochs: 4, resumeFrom: dir, fusedStep: second });
      expect(resumed.losses).toEqual(full.losses);
      expectSameWeights(resumed.weights!, full.weights!);
    }
  });

  it('a loaded model is offered the fused step, and a fit of it gives the taped bits', async () => {
    for (const likelihood of ['bernoulli', 'poisson', 'gaussian']) {
      const trained = new VAE({ ...config, likelihood });
      const x = likelihood === 'bernoulli' ? { ...data, data: data.data.map((v) => (v > 1 ? 1 : 0)) } : data;
      await trained.fit(x, { ...base, epochs: 1 });
      const artifacts = await trained.toArtifacts();
      trained.dispose();
      const runs = [];
      for (const fusedStep of [true, false]) {
        const loaded = await VAE.fromArtifacts(artifacts);
        expect(vaeTrainable(loaded).fusedGradients, likelihood).toBeDefined();
        await loaded.fit(x, { ...base, epochs: 1, fusedStep });
        runs.push(weightValues(loaded));
        loaded.dispose();
      }
      expectSameWeights(runs[0]!, runs[1]!);
    }
  });

  it('a model disposed mid-run fails as on the generic path, freeing everything', async () => {
    const run = (fusedStep: boolean) =>
      outcome((vae) => ({ ...base, epochs: 2, fusedStep, onBatchEnd: (i) => i.batch === 1 && vae.dispose() }));
    const fused = await run(true);
    expect(fused.error).toMatch(/^DisposedError/);
    expect(fused.error).toEqual((await run(false)).error);
  });

  it("switching the backend mid-run (and back) gives the taped run's weights and losses", async () => {
    const run = async (fusedStep: boolean) => {
      try {
        return await outcome({
          ...base,
          epochs: 2,
          fusedStep,
          onBatchEnd: (i) => {
            // to cpu (the generic path) and back: the fused step then reads variables whose data the cpu backend wrote
            if (i.epoch === 0 && i.batch === 1) void tf.setBackend('cpu');
            if (i.epoch === 0 && i.batch === 2) void tf.setBackend('wasm');
          },
        });
      } finally {
        await tf.setBackend('wasm');
      }
    };
    const fused = await run(true);
    const generic = await run(false);
    expect(fused.error).toBeUndefined();
    expect(generic.error).toBeUndefined();
    expect(fused.losses).toEqual(generic.losses);
    expectSameWeights(fused.weights!, generic.weights!);
  });
});
