import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@varia/core';
import { linearWarmup } from '@varia/losses';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VAEConfig } from '../config.js';
import type { FitOptions } from '../fit.js';
import { expectSameWeights, weightValues } from '../test-utils/helpers.js';
import { VAE } from '../vae.js';
import { onNativeWasm } from '../test-utils/fused-step-cases.js';

// Random small models (encoder 1–3 layers, decoder 0–3, log1p input for every likelihood), data (counts past log x!'s
// table) and options (KL warm-up or schedule, samples, free bits, validation with restoreBestWeights, native kernels
// switched off mid-run, products on two threads, fit's sparseInput in both runs): the fused step gives the taped path's weights and history, bit for
// bit, or declines.
// VARIA_PROPERTY_RUNS raises the number of runs (each trains two models).

function runs(fallback: number): number {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
}

const problem = nativeKernelsProblem();

/** Data of `rows` × `cols` in the likelihood's domain, from a seed. */
function dataFor(likelihood: string, rows: number, cols: number, seed: number, bigCounts = false, positive = false) {
  const rng = mulberry32(seed);
  const data = new Float32Array(rows * cols).map(() => {
    const u = rng();
    if (likelihood === 'bernoulli') return u < 0.4 ? 1 : 0;
    // counts past log x!'s table (1024) take the host look-up
    if (likelihood === 'poisson') return bigCounts && u > 0.9 ? 1000 + Math.floor(100 * u) : Math.floor(8 * u * u);
    return positive ? 4 * u : 4 * u - 2;
  });
  return { data, rows, cols };
}

const scenario = fc.record({
  likelihood: fc.constantFrom('bernoulli', 'poisson', 'gaussian'),
  log1p: fc.boolean(),
  inputDim: fc.integer({ min: 1, max: 6 }),
  latentDim: fc.integer({ min: 1, max: 3 }),
  encoderUnits: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
  decoderUnits: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 3 }),
  bigCounts: fc.boolean(),
  activation: fc.constantFrom('relu', 'sigmoid', 'linear'),
  perFeature: fc.boolean(),
  rows: fc.integer({ min: 1, max: 40 }),
  batchSize: fc.integer({ min: 1, max: 16 }),
  beta: fc.constantFrom(0, 0.5, 1, 3),
  warmupSteps: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  schedule: fc.boolean(),
  samples: fc.constantFrom(1, 1, 1, 2),
  freeBits: fc.constantFrom(0, 0, 0, 0.1),
  validation: fc.constantFrom('none', 'split', 'best'),
  // the batch after which the native kernels are switched off for the rest of the run (in both runs)
  nativeOffAfter: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  // products shared by two threads
  parallel: fc.constantFrom(1, 1, 2),
  // the encoder's first layer from the non-zeros (both runs with the same option: the same kernels, the same bits)
  sparseInput: fc.constantFrom<boolean | 'auto'>(false, false, true, 'auto'),
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
  onNativeWasm();

  it('trains to the same bits as the taped path', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const config: VAEConfig = {
          inputDim: s.inputDim,
          latentDim: s.latentDim,
          encoderUnits: s.encoderUnits,
          decoderUnits: s.decoderUnits,
          likelihood: s.likelihood,
          activation: s.activation as 'relu',
          inputTransform: s.log1p ? 'log1p' : 'none',
          ...(s.likelihood === 'gaussian' && s.perFeature ? { observationScale: 'learned-per-feature' } : {}),
          seed: s.seed,
        };
        // log1p reads x > −1: Gaussian data then in [0, 4)
        const x = dataFor(s.likelihood, s.rows, s.inputDim, s.seed + 1, s.bigCounts, s.log1p);
        const options: FitOptions = {
          epochs: 2,
          batchSize: s.batchSize,
          beta: s.beta,
          seed: s.seed,
          samples: s.samples,
          freeBits: s.freeBits,
          ...(s.sparseInput !== false && { sparseInput: s.sparseInput }),
        };
        if (s.warmupSteps !== undefined) options.klWarmupSteps = s.warmupSteps;
        else if (s.schedule) options.klSchedule = linearWarmup(3);
        if (s.validation !== 'none' && s.rows >= 4) options.validationSplit = 0.25;
        if (s.validation === 'best' && s.rows >= 4) Object.assign(options, { patience: 1, restoreBestWeights: true });
        const off = s.nativeOffAfter;
        const withToggle = (o: FitOptions): FitOptions =>
          off === undefined
            ? o
            : { ...o, onBatchEnd: (i) => (i.epoch === 0 && i.batch === off ? disableNativeKernels() : undefined) };
        const native = () => enableNativeKernels({ parallel: s.parallel });
        native();
        const fused = await outcome(config, x, withToggle(options)).finally(native);
        const generic = await outcome(config, x, withToggle({ ...options, fusedStep: false })).finally(() =>
          enableNativeKernels({ parallel: 1 }),
        );
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
