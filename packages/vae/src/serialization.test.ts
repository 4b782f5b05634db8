import { access, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SerializationError } from '@varia/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NormalHead } from '@varia/layers';
import type { CustomLikelihood } from './config.js';
import { modelChecksum } from './model-format.js';
import type { ModelArtifacts, SavedModelJson } from './serialization.js';
import { expectSameWeights, leakedBy, removeTempDirs, tempDir, toySubset, values, weightValues } from './test-utils/helpers.js';
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

let baseline = 0;
beforeEach(() => {
  baseline = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(baseline);
});

/** Encode, reconstruct and a seeded evaluate of a model, as plain numbers. */
async function outputs(vae: VAE): Promise<{ z: number[]; recon: number[]; zs: number[]; ev: object }> {
  const z = vae.encode(data);
  const zs = vae.encode(data, { sample: true, seed: 4 });
  const recon = vae.reconstruct(data);
  const out = { z: values(z), zs: values(zs), recon: values(recon), ev: await vae.evaluate(data, { seed: 2, iwaeK: 3 }) };
  tf.dispose([z, zs, recon]);
  return out;
}

/** The weight file a saved directory's model.json names. */
async function weightFileOf(dir: string): Promise<string> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as SavedModelJson;
  return json.weightsManifest[0]!.paths[0]!;
}

/** Copies a saved model directory's two files into a fresh directory, optionally altering them. */
async function copyWith(
  alter: { json?: (text: string, weights: Buffer) => string; weights?: (bytes: Buffer) => Buffer } = {},
): Promise<string> {
  const dir = await tempDir();
  const text = await readFile(join(savedDir, 'model.json'), 'utf8');
  const file = await weightFileOf(savedDir);
  const bytes = await readFile(join(savedDir, file));
  await writeFile(join(dir, 'model.json'), alter.json ? alter.json(text, bytes) : text);
  await writeFile(join(dir, file), alter.weights ? alter.weights(Buffer.from(bytes)) : bytes);
  return dir;
}

/** An edit of model.json that leaves the checksum as it was (detected by the checksum). */
const editJson = (f: (j: SavedModelJson) => void) => (text: string) => {
  const j = JSON.parse(text) as SavedModelJson;
  f(j);
  return JSON.stringify(j);
};

/**
 * An edit of model.json with the checksum recomputed, as a hostile or buggy writer could: the checks behind the
 * checksum (config against weights, names, shapes, limits) must still reject it.
 */
const editSigned = (f: (j: SavedModelJson) => void) => (text: string, weights: Buffer) => {
  const j = JSON.parse(text) as SavedModelJson;
  f(j);
  const data = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  j.checksum = modelChecksum(j, data);
  return JSON.stringify(j);
};

describe('save / load', () => {
  it('round-trips: bit-identical weights and identical outputs', async () => {
    // the trained weights differ from a fresh model with the same config: loading really restores them
    const fresh = new VAE(trainedConfig);
    expect(values(fresh.namedVariables().get('encoder/0/kernel')!)).not.toEqual(values(trained.namedVariables().get('encoder/0/kernel')!));
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
    const viaJson: ModelArtifacts = { modelJson: JSON.parse(JSON.stringify(artifacts.modelJson)), weightData: artifacts.weightData.slice(0) };
    const copy2 = await VAE.fromArtifacts(viaJson);
    expectSameWeights(weightValues(copy2), weightValues(trained));
    copy2.dispose();
  });

  it('round-trips each likelihood and option set', async () => {
    const configs = [
      { inputDim: 4, latentDim: 2, hiddenUnits: 5, likelihood: 'poisson' as const, librarySize: true },
      { inputDim: 4, latentDim: 2, hiddenUnits: 5, likelihood: 'bernoulli' as const, activation: 'tanh' as const },
      { inputDim: 4, latentDim: 2, hiddenUnits: 5, observationScale: 'learned-per-feature' as const, encoderScaleTransform: 'softplus' as const },
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
    const custom: CustomLikelihood = { name: 'wide-normal', createHead: (o) => new NormalHead({ ...o, scale: { fixed: 3 } }) };
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

describe('corrupt, truncated or mismatched files are rejected with SerializationError and allocate nothing', () => {
  const cases: { name: string; make: () => Promise<string>; match: RegExp }[] = [
    { name: 'truncated weight file', make: () => copyWith({ weights: (b) => b.subarray(0, b.length - 4) }), match: /bytes/ },
    { name: 'empty weight file', make: () => copyWith({ weights: () => Buffer.alloc(0) }), match: /bytes/ },
    {
      name: 'a flipped byte in the weight file (checksum)',
      make: () =>
        copyWith({
          weights: (b) => {
            b[17] = b[17]! ^ 0x01;
            return b;
          },
        }),
      match: /checksum/,
    },
    { name: 'model.json is not JSON', make: () => copyWith({ json: (t) => t.slice(0, t.length / 2) }), match: /not valid JSON/ },
    { name: 'model.json is JSON null', make: () => copyWith({ json: () => 'null' }), match: /format/ },
    { name: 'wrong format', make: () => copyWith({ json: editJson((j) => ((j as { format: string }).format = 'keras')) }), match: /not a varia VAE/ },
    { name: 'newer formatVersion', make: () => copyWith({ json: editJson((j) => (j.formatVersion = FORMAT_VERSION + 1)) }), match: /formatVersion/ },
    { name: 'edited activation (checksum)', make: () => copyWith({ json: editJson((j) => (j.config.activation = 'tanh')) }), match: /checksum/ },
    { name: 'edited inputTransform (checksum)', make: () => copyWith({ json: editJson((j) => (j.config.inputTransform = 'log1p')) }), match: /checksum/ },
    {
      name: 'edited encoderScaleTransform (checksum)',
      make: () => copyWith({ json: editJson((j) => (j.config.encoderScaleTransform = 'softplus')) }),
      match: /checksum/,
    },
    {
      name: 'two same-shape weights swapped by name (checksum)',
      make: () =>
        copyWith({
          json: editJson((j) => {
            const w = j.weightsManifest[0]!.weights;
            const a = w.findIndex((s) => s.name === 'encoder_head/loc/bias');
            const b = w.findIndex((s) => s.name === 'encoder_head/scale/bias');
            [w[a]!.name, w[b]!.name] = [w[b]!.name, w[a]!.name];
          }),
        }),
      match: /checksum/,
    },
    { name: 'checksum removed', make: () => copyWith({ json: editJson((j) => delete j.checksum) }), match: /checksum/ },
    { name: 're-signed: latentDim changed', make: () => copyWith({ json: editSigned((j) => (j.config.latentDim = 3)) }), match: /shape/ },
    { name: 're-signed: hidden units changed', make: () => copyWith({ json: editSigned((j) => (j.config.encoderUnits = [8, 7])) }), match: /shape/ },
    { name: 're-signed: invalid config', make: () => copyWith({ json: editSigned((j) => (j.config.inputDim = -2)) }), match: /inputDim/ },
    {
      name: 're-signed: bad observation scale',
      make: () => copyWith({ json: editSigned((j) => (j.config.observationScale = { fixed: -1 })) }),
      match: /observationScale/,
    },
    { name: 're-signed: unknown likelihood', make: () => copyWith({ json: editSigned((j) => (j.config.likelihood = 'zipf')) }), match: /likelihood/ },
    { name: 're-signed: config missing', make: () => copyWith({ json: editSigned((j) => delete (j as Partial<SavedModelJson>).config) }), match: /config/ },
    {
      name: 're-signed: manifest names a weight the model lacks',
      make: () => copyWith({ json: editSigned((j) => (j.weightsManifest[0]!.weights[0]!.name = 'encoder/9/kernel')) }),
      match: /encoder\/9\/kernel/,
    },
    {
      name: 're-signed: manifest missing',
      make: () => copyWith({ json: editSigned((j) => ((j as { weightsManifest?: unknown }).weightsManifest = undefined)) }),
      match: /manifest/i,
    },
    {
      name: 're-signed: manifest entry with a wrong dtype',
      make: () => copyWith({ json: editSigned((j) => ((j.weightsManifest[0]!.weights[1] as { dtype: string }).dtype = 'int32')) }),
      match: /dtype/,
    },
    {
      name: 're-signed: weight file outside the directory',
      make: () => copyWith({ json: editSigned((j) => (j.weightsManifest[0]!.paths = ['../model.json'])) }),
      match: /paths/,
    },
    {
      name: 'missing model.json',
      make: async () => {
        const dir = await copyWith();
        await rm(join(dir, 'model.json'));
        return dir;
      },
      match: /could not read/,
    },
    {
      name: 'missing weight file',
      make: async () => {
        const dir = await copyWith();
        await rm(join(dir, await weightFileOf(dir)));
        return dir;
      },
      match: /could not read/,
    },
    { name: 'missing directory', make: async () => join(await tempDir(), 'nothing-here'), match: /could not read/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = await c.make();
      const before = tf.memory().numTensors;
      const error = await VAE.load(dir).then(
        (m) => {
          m.dispose();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as Error).message).toMatch(c.match);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('fromArtifacts rejects artifacts that are not artifacts', async () => {
    for (const bad of [undefined, null, {}, { modelJson: {} }, { modelJson: (await trained.toArtifacts()).modelJson, weightData: 'x' }]) {
      await expect(VAE.fromArtifacts(bad as never)).rejects.toThrow(SerializationError);
    }
  });

  it('a failed save leaves the previous save intact (atomic writes)', async () => {
    const dir = await tempDir();
    await trained.save(dir);
    const before = await readFile(join(dir, 'model.json'), 'utf8');
    // a directory where the new model.json should go makes its rename fail after the weights were written
    const blocked = await tempDir();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(blocked, 'model.json'));
    await expect(trained.save(blocked)).rejects.toThrow(/model\.json|directory/);
    // no temp files left behind
    expect((await readdir(blocked)).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(await readFile(join(dir, 'model.json'), 'utf8')).toBe(before);
  });
});
