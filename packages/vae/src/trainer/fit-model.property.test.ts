// Property: every generated option and callback list given to fitModel — with a user's model — either trains or
// throws a VariaError; never a raw error or a leaked tensor, and a rejected run changes no weight.
// VARIA_PROPERTY_RUNS=2000 pnpm --filter @varia/vae test -- fit-model.property   runs a longer hunt.
import * as tf from '@tensorflow/tfjs-core';
import { VariaError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../test-utils/helpers.js';
import { gaussianRows, MeanModel } from '../test-utils/trainer-models.js';
import { MatrixBatchSource } from './batch-source.js';
import { EarlyStopping } from './early-stopping.js';
import { KLAnnealing } from './kl-annealing.js';
import { fitModel } from './trainer.js';
import type { TrainerOptions } from './trainer-options.js';

afterAll(removeTempDirs);

const runs = (fallback: number): number => {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
};

const anyValue = fc.constantFrom<unknown>(0, -1, 1.5, Number.NaN, Infinity, '1', null, true, {}, [], () => 1);
const small = fc.constantFrom<unknown>(1, 2, 3);
const callback = fc.constantFrom<unknown>(
  {},
  { onEpochEnd: () => undefined },
  { onBatchEnd: 3 },
  { adjustBeta: () => Number.NaN },
  { adjustBeta: (b: number) => b / 2 },
  { validate: () => undefined },
  null,
  'x',
);
const option: Record<string, fc.Arbitrary<unknown>> = {
  epochs: fc.oneof(small, anyValue),
  batchSize: fc.oneof(small, fc.constant(100), anyValue),
  learningRate: fc.oneof(fc.constantFrom(1e-2, 1e3), anyValue),
  seed: fc.oneof(fc.integer({ min: -3, max: 3 }), anyValue),
  shuffle: fc.oneof(fc.boolean(), anyValue),
  beta: fc.oneof(fc.constantFrom(0, 1), anyValue),
  klWarmupEpochs: fc.oneof(small, anyValue),
  samples: fc.oneof(small, anyValue),
  validationSplit: fc.oneof(fc.constantFrom(0.25, 0.9, 0.01), anyValue),
  validationData: fc.constantFrom<unknown>(new MatrixBatchSource({ x: gaussianRows(4, 2, 9) }), [[1, 2]], 3),
  patience: fc.oneof(fc.constantFrom(0, 1), anyValue),
  callbacks: fc.oneof(
    fc.array(callback, { maxLength: 3 }),
    fc.constantFrom<unknown>(
      [new EarlyStopping({ patience: 0, minDelta: 1 })],
      [new KLAnnealing({ epochs: 2 })],
      3,
      {},
    ),
  ),
  checkpointEvery: fc.oneof(small, anyValue),
  checkpointDir: fc.constantFrom<unknown>('', 3, '<tmp>'),
  resumeFrom: fc.constantFrom<unknown>('', '<tmp>/missing'),
};
/** Options in range (so that a good share of the runs train), then one of them replaced by any value. */
const valid = fc.record(
  {
    epochs: fc.constantFrom(1, 2),
    batchSize: fc.constantFrom(1, 3, 100),
    seed: fc.integer({ min: -3, max: 3 }),
    shuffle: fc.boolean(),
    patience: fc.constantFrom(0, 1),
    validationSplit: fc.constant(0.25),
    callbacks: fc.constantFrom([], [{ onEpochEnd: () => undefined }], [new KLAnnealing({ epochs: 2 })]),
  },
  { requiredKeys: [] },
);
const mutated = fc
  .tuple(valid, fc.constantFrom(...Object.keys(option)))
  .chain(([v, key]) => option[key]!.map((value) => ({ ...v, [key]: value })));
const options = fc.oneof(
  { weight: 3, arbitrary: valid },
  { weight: 4, arbitrary: mutated },
  { weight: 2, arbitrary: fc.record(option, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.record({ epoch: small, unknownOption: anyValue }, { requiredKeys: [] }) },
);

describe('fitModel on generated options', () => {
  it('trains or throws a VariaError; a rejection changes nothing; no tensor leaks', async () => {
    const tmp = await tempDir();
    let trained = 0;
    await fc.assert(
      fc.asyncProperty(options, async (generated) => {
        const opts = Object.fromEntries(
          Object.entries(generated).map(([k, v]) => [k, typeof v === 'string' ? v.replace('<tmp>', tmp) : v]),
        ) as TrainerOptions;
        const before = tf.memory().numTensors;
        const model = new MeanModel(2);
        let outcome: unknown;
        try {
          outcome = await fitModel(model, new MatrixBatchSource({ x: gaussianRows(8, 2, 1) }), opts);
          trained++;
        } catch (e) {
          outcome = e;
        }
        if (outcome instanceof Error) {
          if (!(outcome instanceof VariaError)) throw outcome;
          if (outcome.name !== 'DivergenceError') expect(Array.from(model.w.dataSync())).toEqual([0, 0]);
        }
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: runs(100), seed: 1515 },
    );
    expect(trained).toBeGreaterThan(0);
  }, 120_000);
});
