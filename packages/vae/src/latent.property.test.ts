// Any posterior/prior option either builds a VAE that computes a finite ELBO, or throws an ArgumentError naming
// "posterior", "prior", "latentDim" or "deterministic" — never a raw error, and no tensor leaks either way.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { negativeElbo } from '@varia/losses';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VAE } from './vae.js';

/** Runs per property: VARIA_PROPERTY_RUNS overrides (e.g. 5000 for a long run). */
const runs = (fallback: number): number => {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
};

const anyValue = fc.oneof(
  fc.constantFrom(undefined, null, 0, -1, 1, 2, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 1e9, 'iaf', 'x', [], {}),
  fc.integer({ min: -3, max: 5 }),
  fc.double({ noNaN: false }),
);
const temperature = fc.oneof(
  anyValue,
  fc.record({ initial: anyValue, minimum: anyValue, rate: anyValue }, { requiredKeys: [] }),
);
const validPosterior = fc.oneof(
  fc.constantFrom('gaussian', 'fullCovariance', 'dirichlet', 'logisticNormal', 'poisson', 'relaxedOneHot'),
  fc.record({ lowRank: fc.record({ rank: fc.integer({ min: 1, max: 3 }) }) }),
  fc.record({
    flow: fc.record(
      {
        kind: fc.constantFrom('iaf', 'realnvp'),
        steps: fc.integer({ min: 1, max: 3 }),
        hiddenUnits: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ relaxedOneHot: fc.record({ temperature: fc.double({ min: 0.1, max: 3, noNaN: true }) }) }),
  fc.record({ poisson: fc.record({ baseline: fc.constantFrom('none', 'moving-average', 'learned') }) }),
);
const posterior = fc.oneof(
  { arbitrary: validPosterior, weight: 3 },
  fc.constantFrom('gaussian', 'fullCovariance', 'dirichlet', 'logisticNormal', 'poisson', 'relaxedOneHot', 'nope', 7),
  fc.record({ lowRank: fc.oneof(anyValue, fc.record({ rank: anyValue }, { requiredKeys: [] })) }),
  fc.record({
    flow: fc.oneof(
      anyValue,
      fc.record(
        {
          kind: fc.oneof(fc.constantFrom('iaf', 'realnvp', 'maf'), anyValue),
          steps: anyValue,
          hiddenUnits: fc.oneof(anyValue, fc.array(anyValue, { maxLength: 3 })),
        },
        { requiredKeys: [] },
      ),
    ),
  }),
  fc.record({ relaxedOneHot: fc.oneof(anyValue, fc.record({ temperature }, { requiredKeys: [] })) }),
  fc.record({ poisson: fc.oneof(anyValue, fc.record({ baseline: anyValue }, { requiredKeys: [] })) }),
  fc.dictionary(fc.constantFrom('gaussian', 'flow', 'extra'), anyValue, { minKeys: 0, maxKeys: 2 }),
);
const prior = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 4 },
  fc.constantFrom(undefined, 'standard-normal', 'dirichlet', 'logisticNormal', 'relaxedOneHot', 'poisson', 'laplace'),
  fc.record({ mixture: anyValue }),
  fc.record({ dirichlet: fc.oneof(anyValue, fc.record({ concentration: anyValue }, { requiredKeys: [] })) }),
  fc.record({
    logisticNormal: fc.oneof(anyValue, fc.record({ loc: anyValue, scale: anyValue }, { requiredKeys: [] })),
  }),
  fc.record({ poisson: fc.oneof(anyValue, fc.record({ rate: anyValue }, { requiredKeys: [] })) }),
);

describe('latent options (property)', () => {
  it('build a working model or throw an ArgumentError naming the field; no leak', () => {
    const x = tf.tensor2d([
      [0, 1, 2, 0],
      [3, 0, 1, 1],
    ]);
    const before = tf.memory().numTensors;
    fc.assert(
      fc.property(
        posterior,
        prior,
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        (post, pri, latentDim, deterministic) => {
          let vae: VAE | undefined;
          try {
            vae = new VAE({
              inputDim: 4,
              latentDim,
              hiddenUnits: 4,
              likelihood: 'poisson',
              posterior: post as never,
              prior: pri as never,
              ...(deterministic ? { deterministic } : {}),
            });
          } catch (e) {
            expect(e).toBeInstanceOf(ArgumentError);
            expect(['posterior', 'prior', 'latentDim', 'deterministic']).toContain(
              (e as ArgumentError).argument.split('.')[0],
            );
            expect(tf.memory().numTensors).toBe(before);
            return;
          }
          try {
            const loss = tf.tidy(
              () =>
                negativeElbo(vae!.variationalInputs(x, { step: 3 }), {
                  seed: 1,
                  beta: deterministic ? 0 : 1,
                  ...vae!.latent.objectiveOptions(true),
                }).loss.dataSync()[0]!,
            );
            expect(Number.isNaN(loss)).toBe(false);
          } finally {
            vae.dispose();
          }
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: runs(150), seed: 42 },
    );
    x.dispose();
  });
});
