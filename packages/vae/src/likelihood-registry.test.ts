import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgumentError, DataError, SerializationError } from '@varia/core';
import { type Distribution, Independent, Laplace } from '@varia/distributions';
import {
  BernoulliHead,
  checkInput,
  Dense,
  type DistributionHead,
  HEAD_DISTRIBUTION_OPTIONS,
  scopedName,
} from '@varia/layers';
import { afterEach, describe, expect, it } from 'vitest';
import { LIKELIHOODS, resolveConfig } from './config.js';
import {
  getLikelihood,
  type LikelihoodDefinition,
  type LikelihoodHeadOptions,
  listLikelihoods,
  registerLikelihood,
  unregisterLikelihood,
} from './likelihood-registry.js';
import { VAE } from './vae.js';

/** A Laplace head p(x|h) = Πⱼ Laplace(xⱼ; (hW + b)ⱼ, exp(s)), built from @varia/layers pieces outside the package. */
class LaplaceHead implements DistributionHead {
  readonly family = 'laplace';
  readonly inputDim: number;
  readonly units: number;
  private readonly loc: Dense;
  private readonly logScale = tf.variable(tf.scalar(0), true);
  constructor(o: LikelihoodHeadOptions) {
    this.inputDim = o.inputDim;
    this.units = o.units;
    this.loc = new Dense({ inputDim: o.inputDim, units: o.units, init: o.init, seed: o.seed });
  }
  apply(h: tf.Tensor): Distribution {
    checkInput('LaplaceHead', h, this.inputDim);
    return new Independent(
      new Laplace({ loc: this.loc.apply(h), scale: tf.exp(this.logScale) }, HEAD_DISTRIBUTION_OPTIONS),
      1,
    );
  }
  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.loc.namedVariables(scopedName(prefix, 'loc')).set(scopedName(prefix, 'log_scale'), this.logScale);
  }
  dispose(): void {
    this.loc.dispose();
    this.logScale.dispose();
  }
}

const laplace: LikelihoodDefinition = {
  description: 'real values with heavy tails: Laplace(x; μ, b)',
  domain: 'real',
  createHead: (o) => new LaplaceHead(o),
};

const added: string[] = [];
function register(name: string, def: LikelihoodDefinition, options?: { override?: boolean }): void {
  registerLikelihood(name, def, options);
  added.push(name);
}
afterEach(() => {
  for (const name of added.splice(0)) unregisterLikelihood(name);
});

/** 200 rows of a 3-feature Laplace-ish data set, deterministic. */
const data = Array.from({ length: 200 }, (_, i) => [Math.sin(i), Math.cos(0.7 * i), ((i * 37) % 11) / 5 - 1]);

describe('likelihood registry', () => {
  it('lists the built-ins, in order, then what is registered', () => {
    expect(listLikelihoods()).toEqual([...LIKELIHOODS]);
    register('laplace', laplace);
    expect(listLikelihoods()).toEqual([...LIKELIHOODS, 'laplace']);
    expect(getLikelihood('laplace')).toMatchObject({
      name: 'laplace',
      domain: 'real',
      inputTransform: 'none',
      librarySize: false,
    });
    expect(getLikelihood('zinb')).toMatchObject({ domain: 'counts', inputTransform: 'log1p', librarySize: true });
  });

  it('refuses a second registration of a name unless override is given', () => {
    register('laplace', laplace);
    expect(() => registerLikelihood('laplace', laplace)).toThrow(ArgumentError);
    expect(() => registerLikelihood('poisson', laplace)).toThrow(/already registered.*override/);
    registerLikelihood('laplace', { ...laplace, description: 'replaced' }, { override: true });
    expect(getLikelihood('laplace').description).toBe('replaced');
    expect(() => unregisterLikelihood('gaussian')).toThrow(ArgumentError);
  });

  it.each([
    ['an empty name', '', laplace],
    ['a name with spaces', 'my head', laplace],
    ['no createHead', 'x', { ...laplace, createHead: undefined }],
    ['an unknown domain', 'x', { ...laplace, domain: 'positive' }],
    ['an unknown inputTransform', 'x', { ...laplace, inputTransform: 'log' }],
    ['a non-boolean librarySize', 'x', { ...laplace, librarySize: 'yes' }],
    ['no description', 'x', { ...laplace, description: '' }],
    ['a non-function validateData', 'x', { ...laplace, validateData: 3 }],
  ])('refuses %s (ArgumentError, registry unchanged)', (_what, name, def) => {
    const before = listLikelihoods();
    expect(() => registerLikelihood(name, def as unknown as LikelihoodDefinition)).toThrow(ArgumentError);
    expect(listLikelihoods()).toEqual(before);
  });

  it('config defaults and checks come from the spec, not the name', () => {
    const base = { inputDim: 3, latentDim: 1, hiddenUnits: 4 };
    register('laplace-counts', { ...laplace, domain: 'counts', inputTransform: 'log1p', librarySize: true });
    expect(resolveConfig({ ...base, likelihood: 'laplace-counts' }).inputTransform).toBe('log1p');
    expect(resolveConfig({ ...base, likelihood: 'laplace-counts', librarySize: true }).librarySize).toBe(true);
    register('laplace', laplace);
    expect(() => resolveConfig({ ...base, likelihood: 'laplace', librarySize: true })).toThrow(
      /applies to the count likelihoods.*poisson, negative-binomial, zinb, laplace-counts\), not laplace/,
    );
    expect(() => resolveConfig({ ...base, likelihood: 'laplac' })).toThrow(
      /unknown likelihood "laplac"; registered: gaussian, .*, laplace/,
    );
  });

  it('fit checks the data against the registered domain and validateData', async () => {
    register('binary-bernoulli', {
      description: 'strictly binary data',
      domain: 'binary',
      createHead: ({ inputDim, units, init, seed }) => new BernoulliHead({ inputDim, units, init, seed }),
    });
    const vae = new VAE({ inputDim: 2, latentDim: 1, hiddenUnits: 4, likelihood: 'binary-bernoulli' });
    const before = tf.memory().numTensors;
    await expect(
      vae.fit(
        [
          [0, 1],
          [1, 0.5],
        ],
        { epochs: 1 },
      ),
    ).rejects.toThrow(/row 1, column 1 is not 0 or 1; the binary-bernoulli likelihood needs values 0 or 1/);
    await expect(
      vae.fit(
        [
          [0, 1],
          [1, 0.5],
        ],
        { epochs: 1 },
      ),
    ).rejects.toBeInstanceOf(DataError);
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
    register('picky', {
      ...laplace,
      validateData: () => {
        throw new DataError('picky: no');
      },
    });
    const picky = new VAE({ inputDim: 3, latentDim: 1, hiddenUnits: 4, likelihood: 'picky' });
    await expect(picky.fit(data, { epochs: 1 })).rejects.toThrow('picky: no');
    picky.dispose();
  });

  it('a likelihood registered from outside fits, saves and loads by its name alone', async () => {
    register('laplace', laplace);
    const before = tf.memory().numTensors;
    const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 8, likelihood: 'laplace', seed: 1 });
    expect(vae.likelihoodHead).toBeInstanceOf(LaplaceHead);
    const history = await vae.fit(data, { epochs: 4, batchSize: 50, learningRate: 0.02, seed: 0 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss);
    const dir = await mkdtemp(join(tmpdir(), 'varia-registry-'));
    try {
      await vae.save(dir);
      const loaded = await VAE.load(dir);
      expect(loaded.config.likelihood).toBe('laplace');
      expect(loaded.likelihoodHead).toBeInstanceOf(LaplaceHead);
      const a = vae.reconstruct(data);
      const b = loaded.reconstruct(data);
      expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
      tf.dispose([a, b]);
      loaded.dispose();
      // unregistered → a SerializationError naming it and listing what is registered; nothing allocated
      unregisterLikelihood('laplace');
      added.splice(added.indexOf('laplace'), 1);
      const beforeLoad = tf.memory().numTensors;
      const error = await VAE.load(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as Error).message).toMatch(
        /likelihood "laplace", which is not registered \(registered: gaussian, bernoulli, continuous-bernoulli, poisson, negative-binomial, zinb\)/,
      );
      expect(tf.memory().numTensors).toBe(beforeLoad);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an inline custom likelihood goes through the same checks and defaults', () => {
    const base = { inputDim: 3, latentDim: 1, hiddenUnits: 4 };
    const counts = { name: 'inline-counts', ...laplace, domain: 'counts' as const, inputTransform: 'log1p' as const };
    expect(resolveConfig({ ...base, likelihood: counts })).toMatchObject({
      likelihood: 'inline-counts',
      inputTransform: 'log1p',
    });
    expect(() => resolveConfig({ ...base, likelihood: { ...counts, domain: 'positive' as never } })).toThrow(
      ArgumentError,
    );
    const vae = new VAE({ ...base, likelihood: counts });
    expect(vae.likelihood.domain).toBe('counts');
    vae.dispose();
  });
});

describe("a likelihood head's output is checked", () => {
  /** LaplaceHead whose apply gives `out(h, head)` instead of its distribution. */
  class BrokenHead extends LaplaceHead {
    constructor(
      o: LikelihoodHeadOptions,
      private readonly out: (h: tf.Tensor, self: LaplaceHead) => unknown,
    ) {
      super(o);
    }
    override apply(h: tf.Tensor): Distribution {
      return this.out(h, this) as Distribution;
    }
  }
  const rows = [
    [0.1, 0.2, 0.3, 0.4],
    [0.5, 0.6, 0.7, 0.8],
  ];
  const cases: [string, (h: tf.Tensor, self: LaplaceHead) => unknown, RegExp][] = [
    [
      'a tensor',
      (h) => tf.tile(tf.slice(h, [0, 0], [-1, 1]), [1, 4]),
      /must give a Distribution p\(x\|z\), got a tensor of shape \[\d, 4\]/,
    ],
    [
      'independent features without Independent',
      (h, self) => (LaplaceHead.prototype.apply.call(self, h) as Independent).base,
      /batch shape \[(\d), 4\] and event shape \[\]; p\(x\|z\) needs batch \[\1\] and 4 values per event \(independent features: wrap it in Independent/,
    ],
  ];
  for (const [what, out, message] of cases) {
    it(`a head that gives ${what}: a typed error naming "likelihood" from sample, decode, reconstruct and fit`, async () => {
      register('broken-head', { ...laplace, createHead: (o) => new BrokenHead(o, out) });
      const vae = new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: 4, likelihood: 'broken-head', seed: 1 });
      try {
        const before = tf.memory().numTensors;
        expect(() => vae.sample(2)).toThrow(message);
        expect(() => vae.decode([[0, 0]])).toThrow(message);
        expect(() => vae.reconstruct(rows)).toThrow(message);
        await expect(vae.fit(rows, { epochs: 1, batchSize: 2 })).rejects.toThrow(message);
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        vae.dispose();
      }
    });
  }

  it('createHead that returns no head, or a head of the wrong width: refused when the VAE is built', () => {
    register('null-head', { ...laplace, createHead: () => null as never });
    expect(() => new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: 4, likelihood: 'null-head' })).toThrow(
      /createHead must return a head \(with apply and dispose\), got null/,
    );
    register('wide-head', { ...laplace, createHead: (o) => new LaplaceHead({ ...o, units: o.units + 1 }) });
    const before = tf.memory().numTensors;
    expect(() => new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: 4, likelihood: 'wide-head' })).toThrow(
      /head has 5 units; the model's inputDim is 4/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
