import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { BernoulliHead } from '@varia/layers';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig, type VAEConfig } from './config.js';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';
import { VAE } from './vae.js';

checkTensorLeaksPerTest();
import { type LikelihoodDefinition, registerLikelihood, unregisterLikelihood } from './likelihood-registry.js';

// One convention for every optional config field, as for the trainer's options: absent (undefined) takes the
// default; null is a value, refused as an ArgumentError naming the field — never read as "absent".

const base = { inputDim: 5, latentDim: 2, hiddenUnits: 4 } as const;

/** The error resolveConfig throws for `config`, or undefined. */
function refusal(config: Record<string, unknown>): unknown {
  try {
    resolveConfig(config as unknown as VAEConfig);
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('null in a VAE config is not an absent field', () => {
  // every field the resolved config fills with a default, but for librarySizeMedian, whose values include null
  const defaulted = Object.keys(resolveConfig(base)).filter(
    (k) => !['inputDim', 'latentDim', 'encoderUnits', 'decoderUnits', 'librarySizeMedian'].includes(k),
  );

  it('covers the boolean fields and the rest of the defaulted ones', () => {
    expect(defaulted).toEqual(expect.arrayContaining(['librarySize', 'encodeCovariates', 'deterministic', 'seed']));
    expect(defaulted.length).toBeGreaterThanOrEqual(13);
  });

  for (const field of [...defaulted, 'hiddenUnits', 'likelihoodHead']) {
    it(`"${field}": null is an ArgumentError naming it; absent is the default`, () => {
      const error = refusal({ ...base, [field]: null });
      expect(error, field).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toBe(field);
      expect((error as Error).message).toContain(`"${field}"`);
      // hiddenUnits is the one a config must give (or encoderUnits and decoderUnits)
      if (field !== 'hiddenUnits') expect(refusal({ ...base, [field]: undefined })).toBeUndefined();
    });
  }

  it('the booleans refuse any other non-boolean too, and take true and false', () => {
    for (const field of ['librarySize', 'encodeCovariates', 'deterministic']) {
      for (const value of [0, 1, 'true', Number.NaN, {}]) {
        expect(refusal({ ...base, [field]: value }), `${field}: ${String(value)}`).toBeInstanceOf(ArgumentError);
      }
    }
    const counts = { ...base, likelihood: 'poisson' as const };
    expect(resolveConfig({ ...counts, librarySize: true }).librarySize).toBe(true);
    expect(resolveConfig({ ...counts, librarySize: false }).librarySize).toBe(false);
    expect(resolveConfig({ ...base, deterministic: true }).deterministic).toBe(true);
    const covariates = [{ name: 'batch', kind: 'categorical' as const, levels: 2 }];
    expect(resolveConfig({ ...base, covariates, encodeCovariates: true }).encodeCovariates).toBe(true);
  });

  it('null options of a posterior or prior, and a null covariate encoding, are refused too', () => {
    const nulls: [Record<string, unknown>, string][] = [
      [{ posterior: { flow: { steps: null } } }, 'steps'],
      [{ posterior: { flow: { hiddenUnits: null } } }, 'hiddenUnits'],
      [{ posterior: { flow: { kind: null } } }, 'kind'],
      [{ covariates: [{ name: 'batch', kind: 'categorical', levels: 2, encoding: null }] }, 'encoding'],
    ];
    for (const [change, field] of nulls) {
      const error = refusal({ ...base, ...change });
      expect(error, JSON.stringify(change)).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toContain(field);
    }
    // absent options take their defaults
    expect(refusal({ ...base, posterior: { flow: {} } })).toBeUndefined();
  });
});

describe('a saved (resolved) config has no null but librarySizeMedian, so it loads under the convention', () => {
  const configs: Record<string, unknown>[] = [
    {},
    { likelihood: 'poisson', librarySize: true },
    { covariates: [{ name: 'batch', kind: 'categorical', levels: 2 }], encodeCovariates: true },
    { deterministic: true },
    { posterior: { flow: { steps: 3 } } },
    { prior: { mixture: 3 } },
  ];
  /** The paths of every null in a JSON value. */
  const nulls = (v: unknown, path: string): string[] =>
    v === null
      ? [path]
      : typeof v === 'object'
        ? Object.entries(v as object).flatMap(([k, x]) => nulls(x, `${path}.${k}`))
        : [];

  for (const change of configs) {
    it(`${JSON.stringify(change)}: resolving its saved form gives it back`, () => {
      const saved = JSON.parse(JSON.stringify(resolveConfig({ ...base, ...change } as unknown as VAEConfig)));
      expect(nulls(saved, 'config')).toEqual(['config.librarySizeMedian']);
      expect(resolveConfig(saved)).toEqual(saved);
    });
  }
});

describe('null library sizes are not absent ones', () => {
  it('decode and sample of a library-size model refuse librarySize: null (absent: the recorded median)', () => {
    const vae = new VAE({ ...base, likelihood: 'poisson', librarySize: true, librarySizeMedian: 100 });
    const z = [[0.1, -0.2]];
    expect(() => vae.decode(z, { librarySize: null as never })).toThrow(/"librarySize" must be one number .* got null/);
    expect(() => vae.sample(2, { librarySize: null as never })).toThrow(ArgumentError);
    const mean = tf.tidy(() => vae.decode(z).mean().dataSync());
    const explicit = tf.tidy(() => vae.decode(z, { librarySize: 100 }).mean().dataSync());
    expect(mean).toEqual(explicit);
    vae.dispose();
  });
});

describe('null in a likelihood definition is not an absent field', () => {
  afterEach(() => {
    unregisterLikelihood('null-test');
  });

  const definition: LikelihoodDefinition = {
    description: 'a test Bernoulli',
    domain: 'binary',
    createHead: ({ inputDim, units, init, seed }) => new BernoulliHead({ inputDim, units, init, seed }),
  };

  for (const field of ['librarySize', 'inputTransform'] as const) {
    it(`"${field}": null is an ArgumentError naming it`, () => {
      let error: unknown;
      try {
        registerLikelihood('null-test', { ...definition, [field]: null } as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as Error).message).toContain(field);
      registerLikelihood('null-test', definition); // absent: the default, accepted
    });
  }
});
