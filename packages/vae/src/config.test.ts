import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { NormalHead } from '@varia/layers';
import { describe, expect, it } from 'vitest';
import { type CustomLikelihood, resolveConfig, type VAEConfig } from './config.js';
import { VAE } from './vae.js';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';

checkTensorLeaksPerTest();

describe('resolveConfig', () => {
  it('fills in the documented defaults', () => {
    expect(resolveConfig({ inputDim: 5, latentDim: 2, hiddenUnits: 16 })).toEqual({
      inputDim: 5,
      latentDim: 2,
      encoderUnits: [16],
      decoderUnits: [16],
      likelihood: 'gaussian',
      activation: 'relu',
      observationScale: 'learned-scalar',
      librarySize: false,
      librarySizeMedian: null,
      inputTransform: 'none',
      posterior: 'gaussian',
      prior: 'standard-normal',
      deterministic: false,
      encoderScaleTransform: 'exp',
      init: 'torch',
      seed: 0,
      covariates: [],
      encodeCovariates: false,
      injectCovariates: 'all',
    });
  });

  it('reverses hiddenUnits for the decoder; encoderUnits/decoderUnits override', () => {
    const c = resolveConfig({ inputDim: 5, latentDim: 2, hiddenUnits: [32, 16] });
    expect(c.encoderUnits).toEqual([32, 16]);
    expect(c.decoderUnits).toEqual([16, 32]);
    const d = resolveConfig({ inputDim: 5, latentDim: 2, hiddenUnits: [32, 16], decoderUnits: [8] });
    expect(d.encoderUnits).toEqual([32, 16]);
    expect(d.decoderUnits).toEqual([8]);
    const e = resolveConfig({ inputDim: 5, latentDim: 2, encoderUnits: [4], decoderUnits: [6] } as VAEConfig);
    expect([e.encoderUnits, e.decoderUnits]).toEqual([[4], [6]]);
  });

  it('counts default to log1p input; the input transform can be set', () => {
    expect(resolveConfig({ inputDim: 5, latentDim: 2, hiddenUnits: 4, likelihood: 'poisson' }).inputTransform).toBe(
      'log1p',
    );
    expect(resolveConfig({ inputDim: 5, latentDim: 2, hiddenUnits: 4, likelihood: 'bernoulli' }).inputTransform).toBe(
      'none',
    );
    expect(
      resolveConfig({ inputDim: 5, latentDim: 2, hiddenUnits: 4, likelihood: 'poisson', inputTransform: 'none' })
        .inputTransform,
    ).toBe('none');
  });

  it('stores a custom likelihood by name', () => {
    const custom: CustomLikelihood = {
      name: 'my-normal',
      createHead: (o) => new NormalHead({ ...o, scale: { fixed: 1 } }),
    };
    expect(resolveConfig({ inputDim: 3, latentDim: 1, hiddenUnits: 4, likelihood: custom }).likelihood).toBe(
      'my-normal',
    );
  });

  it('the resolved config is plain JSON', () => {
    const c = resolveConfig({ inputDim: 3, latentDim: 1, hiddenUnits: 4, observationScale: { fixed: 0.5 } });
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  const bad: [string, Partial<VAEConfig> | unknown, string][] = [
    ['no config', undefined, 'config'],
    ['inputDim 0', { inputDim: 0 }, 'inputDim'],
    ['inputDim 2.5', { inputDim: 2.5 }, 'inputDim'],
    ['latentDim missing', { latentDim: undefined }, 'latentDim'],
    ['hiddenUnits [0]', { hiddenUnits: [0] }, 'hiddenUnits[0]'],
    ['hiddenUnits [4, -1]', { hiddenUnits: [4, -1] }, 'hiddenUnits[1]'],
    ['hiddenUnits 0', { hiddenUnits: 0 }, 'hiddenUnits'],
    ['hiddenUnits "8"', { hiddenUnits: '8' }, 'hiddenUnits'],
    ['no hidden units at all', { hiddenUnits: undefined }, 'hiddenUnits'],
    ['encoderUnits [1.5]', { encoderUnits: [1.5] }, 'encoderUnits[0]'],
    ['bad likelihood name', { likelihood: 'gaussain' }, 'likelihood'],
    ['custom likelihood without createHead', { likelihood: { name: 'x' } }, 'likelihood'],
    ['bad activation', { activation: 'relu6x' }, 'activation'],
    ['bad observationScale', { observationScale: 'learned' }, 'observationScale'],
    ['observationScale { fixed: 0 }', { observationScale: { fixed: 0 } }, 'observationScale'],
    ['observationScale { fixed: NaN }', { observationScale: { fixed: Number.NaN } }, 'observationScale'],
    ['librarySize "yes"', { librarySize: 'yes' }, 'librarySize'],
    ['bad init', { init: 'xavier' }, 'init'],
    ['bad inputTransform', { inputTransform: 'log' }, 'inputTransform'],
    ['bad encoderScaleTransform', { encoderScaleTransform: 'relu' }, 'encoderScaleTransform'],
    ['seed 0.5', { seed: 0.5 }, 'seed'],
  ];
  for (const [name, patch, argument] of bad) {
    it(`rejects ${name} with an ArgumentError naming "${argument}"`, () => {
      const config =
        patch === undefined ? undefined : { inputDim: 3, latentDim: 2, hiddenUnits: 4, ...(patch as object) };
      const error = (() => {
        try {
          resolveConfig(config as VAEConfig);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toBe(argument);
      expect((error as Error).message).toContain(argument.replace(/\[\d+\]$/, ''));
      // the constructor rejects the same configs and allocates nothing
      expect(() => new VAE(config as VAEConfig)).toThrow(ArgumentError);
    });
  }

  it('a custom head that throws leaves nothing allocated', () => {
    const failing: CustomLikelihood = {
      name: 'failing',
      createHead: () => {
        throw new ArgumentError('units', 'nope');
      },
    };
    expect(() => new VAE({ inputDim: 3, latentDim: 1, hiddenUnits: 4, likelihood: failing })).toThrow('nope');
  });
});

describe('VAE structure', () => {
  it('has the variables the config describes, with stable names and shapes', () => {
    const vae = new VAE({ inputDim: 5, latentDim: 2, hiddenUnits: [7, 3], likelihood: 'poisson' });
    const shapes = Object.fromEntries([...vae.namedVariables()].map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({
      'encoder/0/kernel': [5, 7],
      'encoder/0/bias': [7],
      'encoder/1/kernel': [7, 3],
      'encoder/1/bias': [3],
      'encoder_head/loc/kernel': [3, 2],
      'encoder_head/loc/bias': [2],
      'encoder_head/scale/kernel': [3, 2],
      'encoder_head/scale/bias': [2],
      'decoder/0/kernel': [2, 3],
      'decoder/0/bias': [3],
      'decoder/1/kernel': [3, 7],
      'decoder/1/bias': [7],
      'likelihood/kernel': [7, 5],
      'likelihood/bias': [5],
    });
    vae.dispose();
  });

  it('a custom likelihood head is used and owned by the model', () => {
    const custom: CustomLikelihood = {
      name: 'fixed-normal',
      createHead: (o) => new NormalHead({ ...o, scale: { fixed: 2 } }),
    };
    const vae = new VAE({ inputDim: 3, latentDim: 1, hiddenUnits: 4, likelihood: custom });
    const sd = tf.tidy(() =>
      Array.from(
        vae
          .decode([[0]])
          .stddev()
          .dataSync(),
      ),
    );
    expect(sd).toEqual([2, 2, 2]);
    vae.dispose();
  });
});
