// The ownership rule (docs/memory.md) for the VAE: what `decode` returns belongs to the caller and owns the tensors it
// was built from (no monkey-patched dispose), and every use of a disposed model is a DisposedError.
import * as tf from '@tensorflow/tfjs-core';
import { DisposedError, VariaError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir, toySubset, checkTensorLeaksPerTest } from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);

checkTensorLeaksPerTest();

const likelihoods = ['gaussian', 'bernoulli', 'continuous-bernoulli', 'poisson', 'negative-binomial', 'zinb'] as const;

describe('decode: the caller owns the distribution, and the distribution owns what it was built from', () => {
  for (const likelihood of likelihoods) {
    it(`${likelihood}: dispose() frees every tensor decode made; the caller's z survives; no own dispose property`, () => {
      const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 8, likelihood, seed: 1 });
      const options = vae.config.librarySize ? { librarySize: [10, 20] } : {};
      const z = tf.tensor2d([
        [0.1, -0.2],
        [1, 0.5],
      ]);
      const before = tf.memory().numTensors;
      const p = vae.decode(z, options);
      expect(Object.hasOwn(p, 'dispose')).toBe(false); // the class's dispose, not a patched one
      expect(tf.memory().numTensors).toBeGreaterThan(before);
      const mean = p.mean();
      // the same numbers as the decoder evaluated inside a tidy (ownership changes no value)
      const direct = tf.tidy(() => {
        const logLib = options.librarySize ? tf.log(tf.tensor2d(options.librarySize, [2, 1])) : undefined;
        return vae.likelihoodFor(z, logLib).mean();
      });
      expect(Array.from(mean.dataSync())).toEqual(Array.from(direct.dataSync()));
      tf.dispose([mean, direct]);
      p.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(z.isDisposed).toBe(false);
      expect(() => p.mean()).toThrowError(DisposedError);
      p.dispose(); // a no-op
      z.dispose();
      vae.dispose();
    });
  }

  it('decoded from rows: dispose() returns to the baseline, 20 times over', () => {
    const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 8, likelihood: 'bernoulli', seed: 1 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) vae.decode([[i / 10, -i / 10]]).dispose();
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
  });

  it('inside tf.tidy the tidy frees it; a dispose() after the tidy is harmless', () => {
    const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 8, seed: 1 });
    const before = tf.memory().numTensors;
    let kept: ReturnType<VAE['decode']> | undefined;
    const lp = tf.tidy(() => {
      kept = vae.decode([[0, 0]]);
      return kept.logProb([[0.5, 0.5, 0.5]]);
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    lp.dispose();
    kept?.dispose();
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
  });

  it('a disposed model does not invalidate a distribution decoded before (it holds no variable)', () => {
    const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 8, likelihood: 'poisson', seed: 1 });
    const p = vae.decode([[0.3, 0.2]]);
    const first = p.mean();
    const before = first.arraySync();
    first.dispose();
    vae.dispose();
    const after = p.mean();
    expect(after.arraySync()).toEqual(before);
    after.dispose();
    p.dispose();
  });
});

describe('decode ownership under generated inputs', () => {
  it('any z (rows or a tensor, finite or not, any width) and library size: the result owns exactly what decode made, or a VariaError leaves nothing', () => {
    const models = likelihoods.map(
      (likelihood) => new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4, likelihood, seed: 2 }),
    );
    const value = fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(Number.NaN, Infinity));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: models.length - 1 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(value, { minLength: 12, maxLength: 12 }),
        fc.boolean(),
        fc.option(fc.double({ min: -10, max: 1e6, noNaN: true }), { nil: undefined }),
        (which, rows, width, values, asTensor, size) => {
          const vae = models[which]!;
          const data = Array.from({ length: rows }, (_, i) => values.slice(i * width, (i + 1) * width));
          const z = asTensor ? tf.tensor2d(data, [rows, width]) : data;
          const before = tf.memory().numTensors;
          try {
            const p = vae.decode(z, size === undefined ? {} : { librarySize: size });
            p.dispose();
          } catch (e) {
            expect(e).toBeInstanceOf(VariaError);
          }
          expect(tf.memory().numTensors).toBe(before);
          if (z instanceof tf.Tensor) {
            expect(z.isDisposed).toBe(false);
            z.dispose();
          }
        },
      ),
      { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 100), seed: 715 },
    );
    for (const m of models) m.dispose();
  });
});

describe('a disposed VAE throws a DisposedError naming it, for every use', () => {
  it('inference, training, saving and variables', async () => {
    const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 0 });
    vae.dispose();
    const dir = await tempDir();
    const x = tf.zeros([1, 2]);
    const sync: [string, () => unknown][] = [
      ['encode', () => vae.encode([[0, 0]])],
      ['decode', () => vae.decode([[0, 0]])],
      ['reconstruct', () => vae.reconstruct([[0, 0]])],
      ['sample', () => vae.sample(2)],
      ['interpolate', () => vae.interpolate([[0, 0]], [[1, 1]], 3)],
      ['namedVariables', () => vae.namedVariables()],
      ['posterior', () => vae.posterior(x)],
    ];
    for (const [name, use] of sync) {
      let caught: unknown;
      try {
        tf.dispose(use() as tf.TensorContainer);
      } catch (e) {
        caught = e;
      }
      expect(caught, name).toBeInstanceOf(DisposedError);
      expect((caught as DisposedError).subject).toBe('VAE');
    }
    await expect(vae.fit(toySubset(10), { epochs: 1 })).rejects.toThrowError(DisposedError);
    await expect(vae.evaluate(toySubset(10))).rejects.toThrowError(DisposedError);
    await expect(vae.toArtifacts()).rejects.toThrowError(DisposedError);
    await expect(vae.save(dir)).rejects.toThrowError(DisposedError);
    vae.dispose(); // a no-op
    x.dispose();
  });
});
