// Property (issue 13): every generated input to fit — data, options, likelihood — either trains or throws a
// VariaError; never a raw error, a hang or a leaked tensor, and a rejected fit changes no weight.
// VARIA_PROPERTY_RUNS=2000 pnpm --filter @varia/vae test -- fit.property   runs a longer hunt.
import * as tf from '@tensorflow/tfjs-core';
import { VariaError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LIKELIHOODS } from './config.js';
import type { FitOptions, History } from './fit.js';
import { expectSameWeights, removeTempDirs, tempDir, weightValues } from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);

function runs(fallback: number): number {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
}

/** Cell values: valid for some likelihood, invalid for others, or not numbers at all. */
const cell = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0, 1, 2, 0.5, 3, 17) },
  { weight: 2, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      Number.NaN,
      Infinity,
      -1,
      2 ** 24,
      2 ** 24 + 1,
      1e39,
      '1',
      'a',
      true,
      null,
      undefined,
      [],
      {},
      1n,
    ),
  },
);

/** Values every likelihood accepts. */
const binaryCell = fc.constantFrom(0, 1);

/** Data: mostly small well-formed rows (2 columns), or something malformed. */
const data = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.tuple(binaryCell, binaryCell), { minLength: 1, maxLength: 6 }) },
  { weight: 3, arbitrary: fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.array(fc.array(cell, { maxLength: 3 }), { maxLength: 4 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      null,
      undefined,
      3,
      'rows',
      ['12', '34'],
      new Array(3),
      new Float32Array(4),
      { data: new Float32Array(4), rows: 2, cols: 2 },
      { data: new Float32Array(3), rows: 2, cols: 2 },
      { data: [1, 2], rows: 1, cols: 2 },
      { length: 2, 0: [1, 2] },
      { length: 1e12 },
    ),
  },
);

/** A value for an option: often in range, often not. */
const smallInt = fc.constantFrom<unknown>(1, 2, 3);
const anyValue = fc.constantFrom<unknown>(0, -1, 1.5, Number.NaN, Infinity, '1', null, true, {}, [], () => 1);
const optionValue: Record<keyof FitOptions, fc.Arbitrary<unknown>> = {
  epochs: fc.oneof(smallInt, anyValue),
  batchSize: fc.oneof(smallInt, fc.constant(100), anyValue),
  learningRate: fc.oneof(fc.constantFrom(1e-3, 1e-2, 1e6), anyValue),
  seed: fc.oneof(fc.integer({ min: -5, max: 5 }), anyValue),
  shuffle: fc.oneof(fc.boolean(), anyValue),
  fusedStep: fc.oneof(fc.boolean(), anyValue),
  sparseInput: fc.oneof(fc.constantFrom<unknown>(true, false, 'auto', 'on'), anyValue),
  beta: fc.oneof(fc.constantFrom(0, 0.5, 1), anyValue),
  klWarmupEpochs: fc.oneof(smallInt, anyValue),
  klWarmupSteps: fc.oneof(smallInt, anyValue),
  klSchedule: fc.oneof(
    fc.constantFrom<unknown>(
      () => 0.5,
      () => Number.NaN,
      () => -1,
      () => 'x',
      () => {
        throw new Error('schedule');
      },
    ),
    anyValue,
  ),
  samples: fc.oneof(smallInt, anyValue),
  freeBits: fc.oneof(fc.constantFrom(0, 0.1), anyValue),
  validationData: fc.oneof(data, anyValue),
  validationSplit: fc.oneof(fc.constantFrom(0.25, 0.5), anyValue),
  patience: fc.oneof(fc.constantFrom(0, 1), anyValue),
  restoreBestWeights: fc.oneof(fc.boolean(), anyValue),
  onEpochEnd: fc.constantFrom<unknown>(() => undefined, 3),
  onBatchEnd: fc.constantFrom<unknown>(() => undefined, 'x'),
  signal: fc.constantFrom<unknown>(AbortSignal.abort(), new AbortController().signal, {}, 1),
  checkpointEvery: fc.oneof(smallInt, anyValue),
  // paths: only invalid values or a fresh temporary directory (filled in below), never an arbitrary place
  checkpointDir: fc.constantFrom<unknown>('', 3, null, '<tmp>'),
  resumeFrom: fc.constantFrom<unknown>('', 3, '<tmp>/missing'),
  callbacks: fc.constantFrom<unknown>([], [{}], [{ onEpochEnd: () => undefined }], [{ onEpochEnd: 3 }], [null], 3, {}),
  // the models here declare no covariates: any value is an ArgumentError (covariates-vae.test.ts covers conditional fits)
  covariates: fc.oneof(fc.constantFrom<unknown>([[0]], { batch: [0] }), anyValue),
  validationCovariates: fc.oneof(fc.constantFrom<unknown>([[0]]), anyValue),
};

/** Options that are all in range (paths aside), so that a good share of the runs train. */
const validOptions = fc.record(
  {
    epochs: smallInt,
    batchSize: fc.constantFrom(1, 2, 4, 100),
    learningRate: fc.constantFrom(1e-3, 1e-2, 1e6),
    seed: fc.integer({ min: -5, max: 5 }),
    shuffle: fc.boolean(),
    beta: fc.constantFrom(0, 0.5, 1),
    klWarmupEpochs: smallInt,
    samples: smallInt,
    freeBits: fc.constantFrom(0, 0.1),
    patience: fc.constantFrom(0, 1),
    restoreBestWeights: fc.boolean(),
    signal: fc.constantFrom(AbortSignal.abort(), new AbortController().signal),
  },
  { requiredKeys: [] },
);
const optionNames = Object.keys(optionValue) as (keyof FitOptions)[];
const mutated = fc
  .tuple(validOptions, fc.constantFrom(...optionNames))
  .chain(([valid, key]) => optionValue[key].map((value) => ({ ...valid, [key]: value })));

const options = fc.oneof(
  { weight: 4, arbitrary: validOptions },
  { weight: 4, arbitrary: mutated },
  { weight: 2, arbitrary: fc.record(optionValue, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.record({ epoch: smallInt, lr: fc.double() }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 3, 'x', []) },
);

describe('fit on generated data and options', () => {
  it('trains or throws a VariaError; a rejection changes nothing; no tensor leaks', async () => {
    const tmp = await tempDir();
    let trained = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...LIKELIHOODS), data, options, async (likelihood, x, generated) => {
        const opts =
          typeof generated === 'object' && generated !== null && !Array.isArray(generated)
            ? Object.fromEntries(
                Object.entries(generated).map(([k, v]) => [
                  k,
                  typeof v === 'string' && v.startsWith('<tmp>') ? v.replace('<tmp>', tmp) : v,
                ]),
              )
            : generated;
        // bounded work: at most 3 epochs of at most 6 rows
        const before = tf.memory().numTensors;
        const vae = new VAE({ inputDim: 2, latentDim: 1, hiddenUnits: 3, likelihood, seed: 1 });
        const initial = weightValues(vae);
        let outcome: History | unknown;
        try {
          outcome = await vae.fit(x as never, opts as FitOptions);
        } catch (e) {
          outcome = e;
        }
        total++;
        if (outcome instanceof Error) {
          // a raw error is a failure, except the user's own callback throwing
          if (!(outcome instanceof VariaError) && outcome.message !== 'schedule') throw outcome;
          if (outcome.name !== 'DivergenceError' && outcome.message !== 'schedule')
            expectSameWeights(weightValues(vae), initial);
        } else {
          trained++;
          const h = outcome as History;
          expect(Array.isArray(h.epochs)).toBe(true);
          for (const w of weightValues(vae).values()) expect(w.every(Number.isFinite)).toBe(true);
        }
        vae.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: runs(120), seed: 2026 },
    );
    // the generators reach training, not only the validation
    expect(trained / total).toBeGreaterThan(0.2);
  }, 120_000);
});
