import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError } from '@varia/core';
import { NormalHead } from '@varia/layers';
import { afterAll, describe, expect, it } from 'vitest';
import { expectSameWeights, removeTempDirs, tempDir, toySubset, values, weightValues } from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);

describe('mixture prior', () => {
  it('trains with a learnable mixture-of-Gaussians prior (Monte-Carlo KL), learns its parameters and round-trips', async () => {
    const x = toySubset(300, 1);
    const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 16, prior: { mixture: 3 }, seed: 1 });
    expect([...vae.namedVariables().keys()]).toEqual(
      expect.arrayContaining(['prior/logits', 'prior/locs', 'prior/raw_scales']),
    );
    const before = weightValues(vae).get('prior/locs')!;
    const h = await vae.fit(x, { epochs: 6, batchSize: 32, learningRate: 1e-2, seed: 1 });
    expect(h.epochs[5]!.loss).toBeLessThan(h.epochs[0]!.loss);
    const after = weightValues(vae).get('prior/locs')!;
    expect(Array.from(after)).not.toEqual(Array.from(before));
    // the prior is a mixture: its log-density at 0 is finite and its KL is estimated (positive on average)
    const ev = await vae.evaluate(x, { seed: 2 });
    expect(Number.isFinite(ev.kl)).toBe(true);
    const dir = await tempDir();
    await vae.save(dir);
    const loaded = await VAE.load(dir);
    expect(loaded.config.prior).toEqual({ mixture: 3 });
    expectSameWeights(weightValues(loaded), weightValues(vae));
    loaded.dispose();
    vae.dispose();
  });

  it('rejects a bad prior', () => {
    expect(() => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 4, prior: { mixture: 0 } })).toThrowError(
      ArgumentError,
    );
    expect(() => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 4, prior: 'laplace' as never })).toThrowError(
      /"prior"/,
    );
  });
});

describe('deterministic autoencoder', () => {
  it('has a point-mass encoder, trains on −log p(x|z) only (β = 0) and has no encoder scale', async () => {
    const x = toySubset(300, 2);
    const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 16, deterministic: true, seed: 2 });
    expect([...vae.namedVariables().keys()].some((k) => k.startsWith('encoder_head/scale'))).toBe(false);
    const sampled = vae.encode(x, { sample: true, seed: 3 });
    const mean = vae.encode(x);
    expect(values(sampled)).toEqual(values(mean)); // a point mass: every sample is the mean
    tf.dispose([sampled, mean]);
    const h = await vae.fit(x, { epochs: 40, batchSize: 16, learningRate: 1e-2, seed: 2 });
    const last = h.epochs[39]!;
    expect(last.loss).toBeLessThan(h.epochs[0]!.loss);
    expect(last.beta).toBe(0);
    expect(last.loss).toBeCloseTo(-last.reconstruction, 4); // no KL term in the objective
    // with a 2-D bottleneck on 2-D data the reconstruction error becomes small
    const rec = vae.reconstruct(x);
    const mse = tf.tidy(() => tf.mean(tf.square(tf.sub(rec, tf.tensor2d(x.data, [x.rows, x.cols])))).dataSync()[0]!);
    rec.dispose();
    expect(mse).toBeLessThan(0.5);
    vae.dispose();
  });
});

describe('checkpoint fingerprint', () => {
  it('refuses to resume with a different beta', async () => {
    const x = toySubset(100, 3);
    const dir = await tempDir();
    const a = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 4, seed: 3 });
    await a.fit(x, { epochs: 1, batchSize: 20, seed: 3, checkpointEvery: 1, checkpointDir: dir });
    a.dispose();
    const b = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 4, seed: 3 });
    await expect(b.fit(x, { epochs: 2, batchSize: 20, seed: 3, beta: 2, resumeFrom: dir })).rejects.toThrowError(
      /beta/,
    );
    b.dispose();
  });
});

describe('custom likelihood', () => {
  it('uses the custom head and calls its validateData at the fit boundary', async () => {
    const seen: number[] = [];
    const likelihood = {
      name: 'my-normal',
      createHead: (o: { inputDim: number; units: number; seed: number }) =>
        new NormalHead({ ...o, scale: { fixed: 0.5 } }),
      validateData: (values: Float32Array, cols: number) => {
        seen.push(cols);
        if (values.some((v) => v > 100)) throw new DataError('my-normal: values above 100 are not allowed');
      },
    };
    const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 4, likelihood, seed: 4 });
    expect(vae.config.likelihood).toBe('my-normal');
    await vae.fit(toySubset(50, 4), { epochs: 1, batchSize: 25, seed: 4 });
    expect(seen).toEqual([2]);
    await expect(
      vae.fit(
        [
          [1, 2],
          [300, 0],
        ],
        { epochs: 1 },
      ),
    ).rejects.toThrowError(DataError);
    vae.dispose();
  });
});

describe('encode', () => {
  it('returns the posterior mean μ(x) (also with the log1p input of count models)', () => {
    for (const likelihood of ['gaussian', 'poisson'] as const) {
      const vae = new VAE({ inputDim: 2, latentDim: 3, hiddenUnits: 5, likelihood, seed: 5 });
      const x =
        likelihood === 'poisson'
          ? [
              [0, 3],
              [7, 1],
            ]
          : [
              [0.5, -1],
              [2, 0.1],
            ];
      const z = vae.encode(x);
      const ref = tf.tidy(() => vae.posterior(tf.tensor2d(x)).mean());
      expect(values(z)).toEqual(values(ref));
      tf.dispose([z, ref]);
      vae.dispose();
    }
  });
});
