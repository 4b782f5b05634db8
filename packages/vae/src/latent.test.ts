import * as tf from '@tensorflow/tfjs-core';
import { negativeElbo } from '@varia/losses';
import { afterAll, describe, expect, it } from 'vitest';
import type { VAEConfig } from './config.js';
import { expectSameWeights, removeTempDirs, tempDir, weightValues } from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);

/** Every posterior family with a prior that fits it, on a 6-feature model with a 3-wide latent. */
const CASES: { name: string; config: Partial<VAEConfig>; likelihood?: VAEConfig['likelihood'] }[] = [
  { name: 'gaussian', config: {} },
  { name: 'gaussian + mixture prior', config: { prior: { mixture: 2 } } },
  { name: 'fullCovariance', config: { posterior: 'fullCovariance' } },
  { name: 'lowRank', config: { posterior: { lowRank: { rank: 2 } } } },
  { name: 'flow iaf', config: { posterior: { flow: { kind: 'iaf', steps: 2, hiddenUnits: [8] } } } },
  { name: 'flow realnvp', config: { posterior: { flow: { kind: 'realnvp', steps: 2 } } } },
  { name: 'dirichlet', config: { posterior: 'dirichlet', prior: { dirichlet: { concentration: 0.8 } } } },
  { name: 'logisticNormal', config: { posterior: 'logisticNormal' } },
  { name: 'logisticNormal + dirichlet prior', config: { posterior: 'logisticNormal', prior: 'dirichlet' } },
  { name: 'relaxedOneHot', config: { posterior: { relaxedOneHot: { temperature: { initial: 2, rate: 0.1 } } } } },
  { name: 'poisson (moving average)', config: { posterior: 'poisson', prior: { poisson: { rate: 2 } } } },
  { name: 'poisson (learned)', config: { posterior: { poisson: { baseline: 'learned' } } } },
  { name: 'poisson (none)', config: { posterior: { poisson: { baseline: 'none' } } } },
];

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

function model(config: Partial<VAEConfig>, seed = 3): VAE {
  return new VAE({ inputDim: 6, latentDim: 3, hiddenUnits: 8, likelihood: 'poisson', seed, ...config });
}

function counts(rows: number, seed: number): tf.Tensor2D {
  let s = seed;
  const v = new Float32Array(rows * 6);
  for (let i = 0; i < v.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    v[i] = s % 5;
  }
  return tf.tensor2d(v, [rows, 6]);
}

describe('posterior families in the VAE', () => {
  for (const c of CASES) {
    it(`${c.name}: a finite ELBO whose gradient reaches the encoder, no leak, save/load bit-identical`, async () => {
      const vae = model(c.config);
      const x = counts(16, 1);
      const before = tf.memory().numTensors;
      const names = [...vae.namedVariables().keys()];
      const encoderVars = [...vae.namedVariables()].filter(([k]) => k.startsWith('encoder/')).map(([, v]) => v);
      const { value, grads } = tf.variableGrads(
        () =>
          negativeElbo(vae.variationalInputs(x, { step: 5 }), {
            seed: 1,
            ...vae.latent.objectiveOptions(true),
          }).loss,
        encoderVars,
      );
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      const norm = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.abs(g)))).dataSync()[0]!);
      expect(norm).toBeGreaterThan(0);
      expect(Number.isFinite(norm)).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);

      const z = vae.encode(x);
      expect(z.shape).toEqual([16, 3]);
      const reconstruction = vae.reconstruct(x);
      expect(reconstruction.shape).toEqual([16, 6]);
      const between = vae.interpolate(tf.slice(x, 0, 1), tf.slice(x, 1, 1), 3);
      expect(values(between).every(Number.isFinite)).toBe(true);
      tf.dispose([reconstruction, between]);
      const ev = await vae.evaluate(x, { seed: 2, iwaeK: c.config.posterior === 'poisson' ? undefined : 3 });
      expect(Number.isFinite(ev.elbo)).toBe(true);
      const loaded = await VAE.fromArtifacts(await vae.toArtifacts());
      expect([...loaded.namedVariables().keys()]).toEqual(names);
      expect(loaded.config.posterior).toEqual(vae.config.posterior);
      expect(loaded.config.prior).toEqual(vae.config.prior);
      const z2 = loaded.encode(x);
      expect(Array.from(z2.dataSync())).toEqual(Array.from(z.dataSync()));
      expect(await loaded.evaluate(x, { seed: 2 })).toEqual(await vae.evaluate(x, { seed: 2 }));
      const s1 = vae.sample(4, { seed: 9, mean: true });
      const s2 = loaded.sample(4, { seed: 9, mean: true });
      expect(Array.from(s2.dataSync())).toEqual(Array.from(s1.dataSync()));
      tf.dispose([x, z, z2, s1, s2]);
      loaded.dispose();
      vae.dispose();
    });
  }

  it('trains each family with fit (a few steps, the loss stays finite)', async () => {
    for (const c of CASES.filter((k) => !k.name.includes('none'))) {
      const vae = model(c.config);
      const x = counts(64, 4);
      const data = { data: x.dataSync() as Float32Array, rows: 64, cols: 6 };
      const history = await vae.fit(
        Array.from({ length: 64 }, (_, i) => Array.from(data.data.subarray(i * 6, i * 6 + 6))),
        {
          epochs: 2,
          batchSize: 16,
          learningRate: 1e-2,
          seed: 1,
        },
      );
      expect(
        history.epochs.every((e) => Number.isFinite(e.loss)),
        c.name,
      ).toBe(true);
      x.dispose();
      vae.dispose();
    }
  });
});

describe('a Poisson latent with a stateful baseline', () => {
  it('resumes bit-identically from a checkpoint (the baseline average is checkpointed state)', async () => {
    const dir = await tempDir();
    const rows = Array.from({ length: 48 }, (_, i) => Array.from({ length: 6 }, (_, j) => (i * 7 + j * 3) % 5));
    const config = { posterior: { poisson: { baseline: 'learned' } } } as const;
    const options = { batchSize: 8, learningRate: 1e-2, seed: 2 };
    const full = model(config);
    await full.fit(rows, { ...options, epochs: 3 });
    const first = model(config);
    await first.fit(rows, { ...options, epochs: 1, checkpointEvery: 1, checkpointDir: dir });
    first.dispose();
    const resumed = model(config);
    await resumed.fit(rows, { ...options, epochs: 3, resumeFrom: dir });
    expectSameWeights(weightValues(resumed), weightValues(full));
    expect([...resumed.latent.stateVariables().keys()]).toEqual([
      'latent_baseline/centering/average',
      'latent_baseline/centering/weight',
    ]);
    full.dispose();
    resumed.dispose();
  });
});
