// Loading corrupt, truncated, edited or mismatched model directories: each is a SerializationError that names the
// problem and allocates nothing (the checks behind the checksum are exercised with re-signed edits).
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SerializationError } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelChecksum } from './model-format.js';
import type { SavedModelJson } from './serialization.js';
import { checkTensorLeaksPerTest, removeTempDirs, tempDir, toySubset } from './test-utils/helpers.js';
import { FORMAT_VERSION } from './version.js';
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

describe('corrupt, truncated or mismatched files are rejected with SerializationError and allocate nothing', () => {
  const cases: { name: string; make: () => Promise<string>; match: RegExp }[] = [
    {
      name: 'truncated weight file',
      make: () => copyWith({ weights: (b) => b.subarray(0, b.length - 4) }),
      match: /bytes/,
    },
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
    {
      name: 'model.json is not JSON',
      make: () => copyWith({ json: (t) => t.slice(0, t.length / 2) }),
      match: /not valid JSON/,
    },
    { name: 'model.json is JSON null', make: () => copyWith({ json: () => 'null' }), match: /format/ },
    {
      name: 'wrong format',
      make: () => copyWith({ json: editJson((j) => ((j as { format: string }).format = 'keras')) }),
      match: /not a varia VAE/,
    },
    {
      name: 'newer formatVersion',
      make: () => copyWith({ json: editJson((j) => (j.formatVersion = FORMAT_VERSION + 1)) }),
      match: /formatVersion/,
    },
    {
      name: 'edited activation (checksum)',
      make: () => copyWith({ json: editJson((j) => (j.config.activation = 'tanh')) }),
      match: /checksum/,
    },
    {
      name: 'edited inputTransform (checksum)',
      make: () => copyWith({ json: editJson((j) => (j.config.inputTransform = 'log1p')) }),
      match: /checksum/,
    },
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
    {
      name: 're-signed: latentDim changed',
      make: () => copyWith({ json: editSigned((j) => (j.config.latentDim = 3)) }),
      match: /shape/,
    },
    {
      name: 're-signed: hidden units changed',
      make: () => copyWith({ json: editSigned((j) => (j.config.encoderUnits = [8, 7])) }),
      match: /shape/,
    },
    {
      name: 're-signed: invalid config',
      make: () => copyWith({ json: editSigned((j) => (j.config.inputDim = -2)) }),
      match: /inputDim/,
    },
    {
      name: 're-signed: bad observation scale',
      make: () => copyWith({ json: editSigned((j) => (j.config.observationScale = { fixed: -1 })) }),
      match: /observationScale/,
    },
    {
      name: 're-signed: unknown likelihood',
      make: () => copyWith({ json: editSigned((j) => (j.config.likelihood = 'zipf')) }),
      match: /likelihood/,
    },
    {
      name: 're-signed: config missing',
      make: () => copyWith({ json: editSigned((j) => delete (j as Partial<SavedModelJson>).config) }),
      match: /config/,
    },
    {
      name: 're-signed: manifest names a weight the model lacks',
      make: () => copyWith({ json: editSigned((j) => (j.weightsManifest[0]!.weights[0]!.name = 'encoder/9/kernel')) }),
      match: /encoder\/9\/kernel/,
    },
    {
      name: 're-signed: manifest missing',
      make: () =>
        copyWith({ json: editSigned((j) => ((j as { weightsManifest?: unknown }).weightsManifest = undefined)) }),
      match: /manifest/i,
    },
    {
      name: 're-signed: manifest entry with a wrong dtype',
      make: () =>
        copyWith({
          json: editSigned((j) => ((j.weightsManifest[0]!.weights[1] as { dtype: string }).dtype = 'int32')),
        }),
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
    for (const bad of [
      undefined,
      null,
      {},
      { modelJson: {} },
      { modelJson: (await trained.toArtifacts()).modelJson, weightData: 'x' },
    ]) {
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
