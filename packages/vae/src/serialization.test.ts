import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SerializationError } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NormalHead } from '@varia/layers';
import type { CustomLikelihood } from './config.js';
import type { ModelArtifacts, SavedModelJson } from './serialization.js';
import {
  checkTensorLeaksPerTest,
  expectSameWeights,
  leakedBy,
  removeTempDirs,
  tempDir,
  toySubset,
  values,
  weightValues,
} from './test-utils/helpers.js';
import { FORMAT_VERSION, VERSION } from './version.js';
import { VAE } from './vae.js';

const data = toySubset(150);
let trained: VAE;
let savedDir: string;
const trainedConfig = { inputDim: 2, latentDim: 2, hiddenUnits: [8, 6], seed: 9 };

beforeAll(async () => {
  trained = new VAE(trainedConfig);
  await trained.fit(data, { epochs: 2, batchSize: 50, learningRate: 1e-2, seed: 0 });
  savedDir = await tempDir();
  await trained.save(savedDir);
});
afterAll(async () => {
  trained.dispose();
  await removeTempDirs();
});

checkTensorLeaksPerTest();

/** Encode, reconstruct and a seeded evaluate of a model, as plain numbers. */
async function outputs(vae: VAE): Promise<{ z: number[]; recon: number[]; zs: number[]; ev: object }> {
  const z = vae.encode(data);
  const zs = vae.encode(data, { sample: true, seed: 4 });
  const recon = vae.reconstruct(data);
  const out = {
    z: values(z),
    zs: values(zs),
    recon: values(recon),
    ev: await vae.evaluate(data, { seed: 2, iwaeK: 3 }),
  };
  tf.dispose([z, zs, recon]);
  return out;
}

/** The weight file a saved directory's model.json names. */
async function weightFileOf(dir: string): Promise<string> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as SavedModelJson;
  return json.weightsManifest[0]!.paths[0]!;
}

describe('save / load', () => {
  it('round-trips: bit-identical weights and identical outputs', async () => {
    // the trained weights differ from a fresh model with the same config: loading really restores them
    const fresh = new VAE(trainedConfig);
    expect(values(fresh.namedVariables().get('encoder/0/kernel')!)).not.toEqual(
      values(trained.namedVariables().get('encoder/0/kernel')!),
    );
    fresh.dispose();

    const loaded = await VAE.load(savedDir);
    expect(loaded.config).toEqual(trained.config);
    expectSameWeights(weightValues(loaded), weightValues(trained));
    expect(await outputs(loaded)).toEqual(await outputs(trained));
    loaded.dispose();
  });

  it('writes human-readable model.json (format, versions, config, manifest) and one weight file, no temp files', async () => {
    const file = await weightFileOf(savedDir);
    expect(file).toMatch(/^weights-[0-9a-f]{16}\.bin$/);
    expect((await readdir(savedDir)).sort()).toEqual(['model.json', file]);
    const text = await readFile(join(savedDir, 'model.json'), 'utf8');
    expect(text).toContain('\n  "config": {'); // indented
    const json = JSON.parse(text) as SavedModelJson;
    expect(json.format).toBe('varia-vae');
    expect(json.formatVersion).toBe(FORMAT_VERSION);
    expect(json.versions).toEqual({ vae: VERSION, tfjsCore: tf.version_core });
    expect(json.config).toEqual(trained.config);
    expect(json.config.encoderUnits).toEqual([8, 6]);
    expect(json.config.decoderUnits).toEqual([6, 8]);
    const names = json.weightsManifest[0]!.weights.map((w) => w.name);
    expect(names).toEqual([...trained.namedVariables().keys()]);
    expect(json.checksum).toMatch(/^[0-9a-f]{64}$/);
    const spec = json.weightsManifest[0]!.weights.find((w) => w.name === 'encoder/0/kernel')!;
    expect(spec).toEqual({ name: 'encoder/0/kernel', shape: [2, 8], dtype: 'float32' });
    const bytes = await readFile(join(savedDir, file));
    const total = [...trained.namedVariables().values()].reduce((a, v) => a + v.size, 0);
    expect(bytes.byteLength).toBe(total * 4);
    expect(json.weightsByteLength).toBe(total * 4);
  });

  it('saving over an existing save replaces it', async () => {
    const dir = await tempDir();
    const other = new VAE({ inputDim: 2, latentDim: 1, hiddenUnits: 3 });
    await other.save(dir);
    await trained.save(dir);
    other.dispose();
    const loaded = await VAE.load(dir);
    expectSameWeights(weightValues(loaded), weightValues(trained));
    loaded.dispose();
    // the first save's weight file is gone
    expect((await readdir(dir)).sort()).toEqual(['model.json', await weightFileOf(dir)]);
  });

  it('toArtifacts → fromArtifacts round-trips too', async () => {
    const artifacts = await trained.toArtifacts();
    const copy = await VAE.fromArtifacts(artifacts);
    expectSameWeights(weightValues(copy), weightValues(trained));
    expect(await outputs(copy)).toEqual(await outputs(trained));
    copy.dispose();
    // the artifacts are plain data: JSON-serializable document + bytes
    const viaJson: ModelArtifacts = {
      modelJson: JSON.parse(JSON.stringify(artifacts.modelJson)),
      weightData: artifacts.weightData.slice(0),
    };
    const copy2 = await VAE.fromArtifacts(viaJson);
    expectSameWeights(weightValues(copy2), weightValues(trained));
    copy2.dispose();
  });

  it('round-trips each likelihood and option set', async () => {
    const configs = [
      { inputDim: 4, latentDim: 2, hiddenUnits: 5, likelihood: 'poisson' as const, librarySize: true },
      { inputDim: 4, latentDim: 2, hiddenUnits: 5, likelihood: 'bernoulli' as const, activation: 'tanh' as const },
      {
        inputDim: 4,
        latentDim: 2,
        hiddenUnits: 5,
        observationScale: 'learned-per-feature' as const,
        encoderScaleTransform: 'softplus' as const,
      },
      { inputDim: 4, latentDim: 2, hiddenUnits: 5, observationScale: { fixed: 0.5 } },
      { inputDim: 4, latentDim: 2, hiddenUnits: 5, likelihood: 'negative-binomial' as const },
      { inputDim: 4, latentDim: 2, hiddenUnits: 5, likelihood: 'zinb' as const, librarySize: true },
      { inputDim: 4, latentDim: 2, hiddenUnits: 5, likelihood: 'continuous-bernoulli' as const },
    ];
    for (const c of configs) {
      const vae = new VAE({ ...c, seed: 1 });
      // perturb so the weights differ from a fresh model of the same config
      for (const v of vae.namedVariables().values()) {
        const next = tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 3)));
        v.assign(next);
        next.dispose();
      }
      const dir = await tempDir();
      await vae.save(dir);
      const loaded = await VAE.load(dir);
      expect(loaded.config).toEqual(vae.config);
      expectSameWeights(weightValues(loaded), weightValues(vae));
      vae.dispose();
      loaded.dispose();
    }
  });

  it('a custom likelihood round-trips when passed again, and must match by name', async () => {
    const custom: CustomLikelihood = {
      name: 'wide-normal',
      createHead: (o) => new NormalHead({ ...o, scale: { fixed: 3 } }),
    };
    const vae = new VAE({ inputDim: 2, latentDim: 1, hiddenUnits: 4, likelihood: custom });
    const dir = await tempDir();
    await vae.save(dir);
    const loaded = await VAE.load(dir, { likelihood: custom });
    expect(loaded.config.likelihood).toBe('wide-normal');
    expectSameWeights(weightValues(loaded), weightValues(vae));
    const sd = tf.tidy(() => values(loaded.decode([[0]]).stddev()));
    expect(sd).toEqual([3, 3]);
    loaded.dispose();
    vae.dispose();
    const before = tf.memory().numTensors;
    await expect(VAE.load(dir)).rejects.toThrow(/likelihood/);
    await expect(VAE.load(dir, { likelihood: { ...custom, name: 'other' } })).rejects.toThrow(SerializationError);
    await expect(VAE.load(savedDir, { likelihood: custom })).rejects.toThrow(SerializationError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('save, load, toArtifacts and fromArtifacts leave no tensors behind', async () => {
    const dir = await tempDir();
    expect(await leakedBy(() => trained.save(dir))).toBe(0);
    expect(await leakedBy(async () => (await VAE.load(dir)).dispose())).toBe(0);
    expect(await leakedBy(() => trained.toArtifacts())).toBe(0);
    const artifacts = await trained.toArtifacts();
    expect(await leakedBy(async () => (await VAE.fromArtifacts(artifacts)).dispose())).toBe(0);
  });
});
