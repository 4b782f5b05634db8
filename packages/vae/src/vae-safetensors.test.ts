import { execFileSync, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SerializationError, VariaError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import {
  checkTensorLeaksPerTest,
  expectSameWeights,
  removeTempDirs,
  tempDir,
  weightValues,
} from './test-utils/helpers.js';
import { fromSafetensors, toSafetensors } from './vae-safetensors.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);
checkTensorLeaksPerTest();

const TORCH_DIR = new URL('../test/torch/', import.meta.url).pathname;
const FIXTURES = new URL('../test/fixtures/torch/', import.meta.url).pathname;
const DOCS = new URL('../../../docs/saving-loading.md', import.meta.url).pathname;

interface Expected {
  x: number[][];
  z: number[][];
  loc: number[][];
  scale: number[][];
  mean: number[][];
  names: string[];
}

/** encode (posterior loc and scale) and decode mean of a model, as nested arrays. */
function outputs(vae: VAE, x: number[][], z: number[][]): { loc: number[][]; scale: number[][]; mean: number[][] } {
  return tf.tidy(() => {
    const xt = tf.tensor2d(x);
    const posterior = vae.posterior(xt);
    const loc = vae.encode(xt);
    return {
      loc: loc.arraySync() as number[][],
      scale: posterior.stddev().arraySync() as number[][],
      mean: vae.decode(tf.tensor2d(z)).mean().arraySync() as number[][],
    };
  });
}

function expectClose(actual: number[][], expected: number[][], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((row, i) =>
    row.forEach((v, j) =>
      expect(Math.abs(v - expected[i]![j]!), `${what}[${i}][${j}]: ${v} vs ${expected[i]![j]}`).toBeLessThan(
        1e-5 * Math.max(1, Math.abs(expected[i]![j]!)),
      ),
    ),
  );
}

describe('safetensors with PyTorch names and layouts', () => {
  it('reads models written by PyTorch and reproduces their encode and decode to 1e-5', async () => {
    const expected = JSON.parse(await readFile(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expected>;
    for (const [name, e] of Object.entries(expected)) {
      const bytes = await readFile(join(FIXTURES, `${name}.safetensors`));
      const vae = await fromSafetensors(new Uint8Array(bytes));
      const out = outputs(vae, e.x, e.z);
      expectClose(out.loc, e.loc, `${name} loc`);
      expectClose(out.scale, e.scale, `${name} scale`);
      expectClose(out.mean, e.mean, `${name} mean`);
      // written back: PyTorch's names, shapes and values
      const back = decodeSafetensors(await toSafetensors(vae));
      const original = decodeSafetensors(new Uint8Array(bytes));
      expect([...back.tensors.keys()].sort()).toEqual(e.names);
      for (const [tensorName, t] of original.tensors) {
        expect(back.tensors.get(tensorName)!.shape, tensorName).toEqual(t.shape);
        expect(back.tensors.get(tensorName)!.data, tensorName).toEqual(t.data);
      }
      vae.dispose();
    }
  });

  it('round-trips a varia model bit for bit (config in the metadata), Linear weights stored [out, in]', async () => {
    const vae = new VAE({
      inputDim: 3,
      latentDim: 2,
      hiddenUnits: [4],
      likelihood: 'negative-binomial',
      prior: { mixture: 2 },
      seed: 4,
    });
    const bytes = await toSafetensors(vae);
    const contents = decodeSafetensors(bytes);
    expect(contents.metadata.format).toBe('varia-vae');
    expect(JSON.parse(contents.metadata.config!)).toEqual(vae.config);
    expect(contents.tensors.get('encoder.0.weight')!.shape).toEqual([4, 3]);
    const kernel = vae.namedVariables().get('encoder/0/kernel')!.arraySync() as number[][];
    expect(contents.tensors.get('encoder.0.weight')!.data[1 * 3 + 2]).toBe(Math.fround(kernel[2]![1]!)); // W[out=1][in=2] = K[2][1]
    const back = await fromSafetensors(bytes);
    expect(back.config).toEqual(vae.config);
    expectSameWeights(weightValues(back), weightValues(vae));
    back.dispose();
    vae.dispose();
  });

  it('takes the config from the options for files without varia metadata', async () => {
    const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4, seed: 1 });
    const contents = decodeSafetensors(await toSafetensors(vae));
    const bare = encodeSafetensors({ tensors: contents.tensors, metadata: {} });
    await expect(fromSafetensors(bare)).rejects.toThrow(/no "config"/);
    await expect(fromSafetensors(bare, { config: { inputDim: 3, latentDim: 3, hiddenUnits: 4 } })).rejects.toThrow(
      SerializationError,
    );
    const back = await fromSafetensors(bare, { config: { inputDim: 3, latentDim: 2, hiddenUnits: 4 } });
    expectSameWeights(weightValues(back), weightValues(vae));
    back.dispose();
    vae.dispose();
  });

  it('malformed files are a SerializationError before anything is allocated', async () => {
    const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4 });
    const good = await toSafetensors(vae);
    vae.dispose();
    const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));
    const withHeader = (
      edit: (h: Record<string, { data_offsets?: number[]; dtype?: string; shape?: number[] }>) => void,
    ): Uint8Array => {
      const contents = decodeSafetensors(good);
      const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + headerLength))) as Record<
        string,
        { data_offsets?: number[]; dtype?: string; shape?: number[] }
      >;
      edit(header);
      const text = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + text.length + (good.length - 8 - headerLength));
      new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
      out.set(text, 8);
      out.set(good.subarray(8 + headerLength), 8 + text.length);
      expect(contents.tensors.size).toBeGreaterThan(0);
      return out;
    };
    const huge = new Uint8Array(good);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 5), /too short/],
      [huge, /header length/],
      [good.subarray(0, good.length - 4), /data_offsets|data buffer/],
      [withHeader((h) => (h['encoder.0.bias']!.dtype = 'I32')), /dtype/],
      [withHeader((h) => (h['encoder.0.bias']!.shape = [1e9])), /data_offsets|invalid dimension/],
      [withHeader((h) => (h['encoder.0.weight']!.shape = [12])), /Linear weight/],
      [withHeader((h) => (h['encoder.0.bias']!.data_offsets = [0, 16])), /contiguously|data_offsets/],
    ];
    for (const [bytes, match] of cases) {
      const error = await fromSafetensors(bytes).catch((e: unknown) => e);
      expect(error, String(match)).toBeInstanceOf(SerializationError);
      expect((error as Error).message).toMatch(match);
    }
  });

  it('mutated files load or throw a VariaError, never a raw error or a leak (property)', async () => {
    const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4 });
    const good = await toSafetensors(vae);
    vae.dispose();
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(), async (position, mask, cut) => {
        const bytes = new Uint8Array(good);
        const at = position % bytes.length;
        bytes[at] = bytes[at]! ^ mask;
        for (const candidate of [bytes, bytes.subarray(0, cut % (bytes.length + 1))]) {
          const before = tf.memory().numTensors;
          const result = await fromSafetensors(candidate).catch((e: unknown) => e);
          if (result instanceof VAE) result.dispose();
          else expect(result, String(result)).toBeInstanceOf(VariaError);
          expect(tf.memory().numTensors).toBe(before);
        }
      }),
      { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 100), seed: 1604 },
    );
  });
});

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe('the PyTorch module of the docs', () => {
  it('is the one tested here (docs/saving-loading.md quotes test/torch/varia_vae.py verbatim)', async () => {
    const module = await readFile(join(TORCH_DIR, 'varia_vae.py'), 'utf8');
    expect(await readFile(DOCS, 'utf8')).toContain(module.trim());
  });

  it.skipIf(!hasTorch)(
    'reproduces encode and decode of a file written by varia to 1e-5 (needs python3-torch)',
    async () => {
      const dir = await tempDir();
      const z = [
        [0.1, -0.4],
        [1.2, 0.3],
      ];
      const configs = [
        { inputDim: 4, latentDim: 2, hiddenUnits: [5, 3], activation: 'tanh' as const, seed: 3 },
        {
          inputDim: 4,
          latentDim: 2,
          hiddenUnits: [6],
          likelihood: 'bernoulli' as const,
          activation: 'softplus' as const,
          encoderScaleTransform: 'softplus' as const,
          seed: 4,
        },
        { inputDim: 4, latentDim: 2, hiddenUnits: [6], likelihood: 'poisson' as const, seed: 5 },
      ];
      const cases: { file: string; x: number[][]; z: number[][] }[] = [];
      const ours: ReturnType<typeof outputs>[] = [];
      for (const [i, config] of configs.entries()) {
        const vae = new VAE(config);
        const file = join(dir, `model-${i}.safetensors`);
        await writeFile(file, await toSafetensors(vae));
        const x =
          config.likelihood === 'poisson'
            ? [
                [0, 3, 1, 7],
                [2, 0, 0, 1],
              ]
            : [
                [0.2, 0.5, 0.3, 0.9],
                [1, 0, 0.7, 0.5],
              ];
        cases.push({ file, x, z });
        ours.push(outputs(vae, x, z));
        vae.dispose();
      }
      const torchOut = JSON.parse(
        execFileSync('/usr/bin/python3', [join(TORCH_DIR, 'check_varia_file.py')], {
          input: JSON.stringify(cases),
          cwd: TORCH_DIR,
          env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
        }).toString(),
      ) as {
        loc: number[][];
        scale: number[][];
        mean: number[][];
      }[];
      torchOut.forEach((t, i) => {
        expectClose(t.loc, ours[i]!.loc, `model ${i} loc`);
        expectClose(t.scale, ours[i]!.scale, `model ${i} scale`);
        expectClose(t.mean, ours[i]!.mean, `model ${i} mean`);
      });
    },
  );
});
