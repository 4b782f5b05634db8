import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@varia/core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VAEConfig } from '../config.js';
import type { FitOptions } from '../fit.js';
import { expectSameWeights, weightValues } from '../test-utils/helpers.js';
import { VAE } from '../vae.js';

// Random small models, data and options: the fused step gives the taped path's weights and history, bit for bit.
// VARIA_PROPERTY_RUNS raises the number of runs (each trains two models).

function runs(fallback: number): number {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
}

const problem = nativeKernelsProblem();

/** Data of `rows` × `cols` in the likelihood's domain, from a seed. */
function dataFor(likelihood: string, rows: number, cols: number, seed: number) {
  const rng = mulberry32(seed);
  const data = new Float32Array(rows * cols).map(() => {
    const u = rng();
    if (likelihood === 'bernoulli') return u < 0.4 ? 1 : 0;
    if (likelihood === 'poisson') return Math.floor(8 * u * u);
    return 4 * u - 2;
  });
  return { data, rows, cols };
}

const scenario = fc.record({
  likelihood: fc.constantFrom('bernoulli', 'poisson', 'gaussian'),
  log1p: fc.boolean(),
  inputDim: fc.integer({ min: 1, max: 6 }),
  latentDim: fc.integer({ min: 1, max: 3 }),
  hiddenUnits: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 2 }),
  activation: fc.constantFrom('relu', 'sigmoid', 'linear'),
  perFeature: fc.boolean(),
  rows: fc.integer({ min: 1, max: 40 }),
  batchSize: fc.integer({ min: 1, max: 16 }),
  beta: fc.constantFrom(0, 0.5, 1, 3),
  warmupSteps: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  seed: fc.integer({ min: 0, max: 1000 }),
});

/** Weights and history (without timings) after a fit, or the error's class and message. */
async function outcome(config: VAEConfig, x: ReturnType<typeof dataFor>, options: FitOptions) {
  const before = tf.memory().numTensors;
  const buffers = tf.engine().backend.numDataIds();
  const vae = new VAE(config);
  try {
    const h = await vae.fit(x, options);
    const epochs = h.epochs.map(({ seconds: _s, examplesPerSecond: _r, ...log }) => log);
    return { weights: weightValues(vae), history: { ...h, seconds: 0, epochs } };
  } catch (e) {
    return { weights: weightValues(vae), error: `${(e as Error).name}: ${(e as Error).message}` };
  } finally {
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
  }
}

describe.skipIf(problem !== undefined)('the fused step on random models (property)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    enableNativeKernels();
  });
  afterAll(async () => {
    disableNativeKernels();
    await tf.setBackend('cpu');
  });

  it('trains to the same bits as the taped path', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const config: VAEConfig = {
          inputDim: s.inputDim,
          latentDim: s.latentDim,
          hiddenUnits: s.hiddenUnits,
          likelihood: s.likelihood,
          activation: s.activation as 'relu',
          inputTransform: s.log1p && s.likelihood === 'poisson' ? 'log1p' : 'none',
          ...(s.likelihood === 'gaussian' && s.perFeature ? { observationScale: 'learned-per-feature' } : {}),
          seed: s.seed,
        };
        const x = dataFor(s.likelihood, s.rows, s.inputDim, s.seed + 1);
        const options: FitOptions = { epochs: 2, batchSize: s.batchSize, beta: s.beta, seed: s.seed };
        if (s.warmupSteps !== undefined) options.klWarmupSteps = s.warmupSteps;
        const fused = await outcome(config, x, options);
        const generic = await outcome(config, x, { ...options, fusedStep: false });
        expectSameWeights(fused.weights, generic.weights);
        expect(fused.history).toEqual(generic.history);
        expect(fused.error).toEqual(generic.error);
      }),
      { numRuns: runs(25), seed: 17 },
    );
  });

  it('a diverging run fails the same way, with the same weights kept', async () => {
    const config: VAEConfig = { inputDim: 4, latentDim: 2, hiddenUnits: [5], likelihood: 'poisson', seed: 1 };
    const x = dataFor('poisson', 64, 4, 3);
    const options: FitOptions = { epochs: 2, batchSize: 64, learningRate: 1e6, seed: 0 };
    const fused = await outcome(config, x, options);
    const generic = await outcome(config, x, { ...options, fusedStep: false });
    expect(fused.error).toMatch(/^DivergenceError/);
    expect(fused.error).toEqual(generic.error);
    expectSameWeights(fused.weights, generic.weights);
  });
});
