import { cp, mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError, SerializationError } from '@varia/core';
import { afterAll, describe, expect, it } from 'vitest';
import { assertWritableDestination } from './destination.js';
import { canonicalJson, MODEL_LIMITS, modelChecksum, type SavedModelJson } from './model-format.js';
import {
  checkTensorLeaksPerTest,
  expectSameWeights,
  removeTempDirs,
  tempDir,
  values,
  weightValues,
} from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);
checkTensorLeaksPerTest();

const FORMAT_1 = new URL('../test/fixtures/format-1', import.meta.url).pathname;

/** A saved small model's directory, document and weight bytes. */
async function savedSmall(): Promise<{ dir: string; json: SavedModelJson; weights: Buffer }> {
  const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4, seed: 2 });
  const dir = await tempDir();
  await vae.save(dir);
  vae.dispose();
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as SavedModelJson;
  return { dir, json, weights: await readFile(join(dir, json.weightsManifest[0]!.paths[0]!)) };
}

async function writeSigned(dir: string, json: SavedModelJson, weights: Buffer): Promise<void> {
  json.checksum = modelChecksum(
    json,
    weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  );
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
}

describe('untrusted model files: checked before anything is allocated', () => {
  it('a huge hidden width in a small file is a fast SerializationError that allocates nothing (signed or not)', async () => {
    for (const units of [1e8, 1e9, 2 ** 31, 1e300]) {
      for (const sign of [true, false]) {
        const { dir, json, weights } = await savedSmall();
        json.config.encoderUnits = [units];
        if (sign) await writeSigned(dir, json, weights);
        else await writeFile(join(dir, 'model.json'), JSON.stringify(json));
        const rss = process.memoryUsage().rss;
        const start = performance.now();
        const error = await VAE.load(dir).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SerializationError);
        // the config is checked against the manifest before the weights are even read (the checksum comes later)
        expect((error as Error).message).toMatch(/encoderUnits\[0\]/);
        expect(performance.now() - start).toBeLessThan(500);
        expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 2 ** 20);
      }
    }
  });

  it('a config whose layers need more weights than the file holds is rejected before building', async () => {
    const { dir, json, weights } = await savedSmall();
    json.config.encoderUnits = [40, 40]; // each width is small, their kernels are not
    await writeSigned(dir, json, weights);
    await expect(VAE.load(dir)).rejects.toThrow(/describes layers with \d+ weights/);
  });

  it('a manifest declaring more than MODEL_LIMITS.maxParameters is rejected without reading the weights', async () => {
    const { dir, json, weights } = await savedSmall();
    json.weightsManifest[0]!.weights[0]!.shape = [2 ** 20, 2 ** 20];
    await writeSigned(dir, json, weights);
    await expect(VAE.load(dir)).rejects.toThrow(/maxParameters/);
    expect(MODEL_LIMITS.maxParameters).toBe(2 ** 28);
  });

  it('a weight file of the wrong size is rejected from its size alone, and an oversized model.json too', async () => {
    const { dir, json } = await savedSmall();
    await writeFile(join(dir, json.weightsManifest[0]!.paths[0]!), Buffer.alloc(4 * 2 ** 20));
    await expect(VAE.load(dir)).rejects.toThrow(/bytes, \d+ expected/);
    await writeFile(join(dir, 'model.json'), Buffer.alloc(MODEL_LIMITS.maxJsonBytes + 1, 0x20));
    await expect(VAE.load(dir)).rejects.toThrow(/more than the limit/);
  });

  it('the checksum ignores key order and whitespace but nothing else', () => {
    expect(canonicalJson({ b: [1, { d: 2, c: 'x' }], a: null })).toBe('{"a":null,"b":[1,{"c":"x","d":2}]}');
    const json = {
      format: 'varia-vae',
      config: { a: 1 },
      weightsManifest: [{ paths: ['x.bin'], weights: [] }],
    } as unknown as SavedModelJson;
    const reordered = {
      weightsManifest: [{ weights: [], paths: ['other.bin'] }],
      config: { a: 1 },
      format: 'varia-vae',
    } as unknown as SavedModelJson;
    const data = new Float32Array([1, 2]).buffer;
    expect(modelChecksum(reordered, data)).toBe(modelChecksum(json, data));
    expect(modelChecksum({ ...json, config: { a: 2 } } as unknown as SavedModelJson, data)).not.toBe(
      modelChecksum(json, data),
    );
    expect(modelChecksum(json, new Float32Array([1, 3]).buffer)).not.toBe(modelChecksum(json, data));
  });
});

describe('checkpoints: sizes checked before reading', () => {
  it('an oversized checkpoint binary or checkpoint.json is refused from its size alone', async () => {
    const dir = await tempDir();
    const config = { inputDim: 2, latentDim: 1, hiddenUnits: 3, seed: 1 };
    const data = [
      [0, 1],
      [1, 0],
      [0.5, 0.5],
      [1, 1],
    ];
    const first = new VAE(config);
    await first.fit(data, { epochs: 1, batchSize: 2, seed: 0, checkpointEvery: 1, checkpointDir: dir });
    first.dispose();
    const json = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as { weights: { file: string } };
    await truncate(join(dir, json.weights.file), 2 ** 30); // sparse: 1 GiB that takes no disk
    const vae = new VAE(config);
    await expect(vae.fit(data, { epochs: 2, batchSize: 2, seed: 0, resumeFrom: dir })).rejects.toThrow(
      /more than the limit/,
    );
    await truncate(join(dir, 'checkpoint.json'), MODEL_LIMITS.maxJsonBytes + 1);
    await expect(vae.fit(data, { epochs: 2, batchSize: 2, seed: 0, resumeFrom: dir })).rejects.toThrow(
      /more than the limit/,
    );
    vae.dispose();
  });
});

describe('format 1 (the first layout: model.json + weights.bin, FNV-1a over the weights)', () => {
  it('still loads, with the outputs it had when it was written', async () => {
    const vae = await VAE.load(FORMAT_1);
    expect(vae.config.activation).toBe('tanh');
    const z = vae.encode([[0.5, -1, 2]]);
    // written by @varia/vae 0.1.0 (format 1), with its encode output recorded at the time
    expect(values(z)).toEqual([0.4344204068183899, 0.2557119131088257]);
    z.dispose();
    vae.dispose();
  });

  it('saving over it writes format 2 and removes weights.bin once the new model.json is in place', async () => {
    const dir = await tempDir();
    await cp(FORMAT_1, dir, { recursive: true });
    const old = await VAE.load(dir);
    await old.save(dir);
    const names = (await readdir(dir)).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toBe('model.json');
    expect(names[1]).toMatch(/^weights-[0-9a-f]{16}\.bin$/);
    const again = await VAE.load(dir);
    expectSameWeights(weightValues(again), weightValues(old));
    old.dispose();
    again.dispose();
  });
});

describe('saving: orphans and destinations', () => {
  it('removes temp files of dead writers and the replaced weight file, and nothing else (not a stray weights file it did not write)', async () => {
    const { dir } = await savedSmall();
    const deadPid = 2 ** 22 + 12345; // above Linux's pid_max: never a running process
    const orphans = [`.model.json.tmp-${deadPid}-abc123`, `.weights-0123456789abcdef.bin.tmp-${deadPid}-x1`];
    for (const name of orphans) await writeFile(join(dir, name), 'x');
    const replaced = (await readdir(dir)).find((n) => n.startsWith('weights-'))!;
    await writeFile(join(dir, 'weights-0123456789abcdef.bin'), 'a file no save wrote');
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await writeFile(join(dir, `.other.tmp-${process.ppid}-zz`), 'a live process owns this one');
    const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4, seed: 5 });
    await vae.save(dir);
    vae.dispose();
    const names = await readdir(dir);
    for (const name of [...orphans, replaced]) expect(names).not.toContain(name);
    expect(names).toContain('notes.txt');
    expect(names).toContain('weights-0123456789abcdef.bin');
    expect(names).toContain(`.other.tmp-${process.ppid}-zz`);
    expect(names.filter((n) => n.startsWith('weights-'))).toHaveLength(2);
  });

  it('save to a file, to "" or to an unwritable place is an ArgumentError naming the path; nothing is written', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4 });
    const places = [file, join(file, 'below'), '', '/proc/varia-cannot-write-here'];
    for (const place of places) {
      const error = await vae.save(place).catch((e: unknown) => e);
      expect(error, place).toBeInstanceOf(ArgumentError);
      expect((error as Error).message).toContain(JSON.stringify(place));
      const checked = await assertWritableDestination(place, { argument: 'out' }).catch((e: unknown) => e);
      expect(checked, place).toBeInstanceOf(ArgumentError);
      expect((checked as ArgumentError).argument).toBe('out');
      expect((checked as Error).message).toContain(JSON.stringify(place));
    }
    expect(await readFile(file, 'utf8')).toBe('x');
    expect(await readdir(dir)).toEqual(['a-file']);
    vae.dispose();
  });

  it('assertWritableDestination accepts an existing directory and a new path under one, creating nothing', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'existing'));
    await assertWritableDestination(join(dir, 'existing'));
    await assertWritableDestination(join(dir, 'new', 'deeper'));
    expect((await readdir(dir)).sort()).toEqual(['existing']);
    expect(await readdir(join(dir, 'existing'))).toEqual([]);
  });
});
