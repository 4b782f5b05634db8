import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, SerializationError } from '@varia/core';
import type { Network, NetworkApplyOptions } from '@varia/layers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelChecksum } from './model-format.js';
import type { SavedModelJson } from './serialization.js';
import { VAE } from './vae.js';

// a conditional VAE whose encoder and decoder are two-input tfl.LayersModels: [x, c] → h
const LEVELS = 3;
const D = 16; // 4 × 4 × 1 images
const LATENT = 2;

function convEncoder(): tfl.LayersModel {
  const x = tfl.input({ shape: [4, 4, 1] });
  const c = tfl.input({ shape: [LEVELS] });
  const conv = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', seed: 1 } as never)
    .apply(x) as tfl.SymbolicTensor;
  const flat = tfl.layers.flatten().apply(conv) as tfl.SymbolicTensor;
  const joined = tfl.layers.concatenate().apply([flat, c]) as tfl.SymbolicTensor;
  const h = tfl.layers.dense({ units: 12, activation: 'tanh' }).apply(joined) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [x, c], outputs: h });
}

function denseDecoder(): tfl.LayersModel {
  const z = tfl.input({ shape: [LATENT] });
  const c = tfl.input({ shape: [LEVELS] });
  const joined = tfl.layers.concatenate().apply([z, c]) as tfl.SymbolicTensor;
  const h = tfl.layers.dense({ units: 12, activation: 'tanh' }).apply(joined) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [z, c], outputs: h });
}

/** Data whose pixels depend on the level: level k lights row k of the 4 × 4 image. */
function data(n: number) {
  const x: number[][] = [];
  const level: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % LEVELS;
    level.push(k);
    x.push(Array.from({ length: D }, (_, j) => (Math.floor(j / 4) === k ? 1 : 0)));
  }
  return { x, covariates: { label: level } };
}

const base = {
  inputDim: D,
  latentDim: LATENT,
  likelihood: 'bernoulli' as const,
  covariates: [{ name: 'label', kind: 'categorical' as const, levels: LEVELS }],
  encodeCovariates: true,
  seed: 3,
};
const config = () => ({ ...base, encoder: convEncoder(), decoder: denseDecoder() });

describe('covariates with your own tfl.LayersModel networks', () => {
  let before = 0;
  beforeEach(() => {
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains a two-input conv/dense CVAE: the loss falls and both inputs reach trained weights', async () => {
    const vae = new VAE(config());
    const initial = new Map([...vae.namedVariables()].map(([k, v]) => [k, v.arraySync()]));
    const { x, covariates } = data(48);
    const history = await vae.fit(x, { covariates, epochs: 25, batchSize: 16, learningRate: 0.02, seed: 1 });
    const losses = history.epochs.map((e) => e.loss);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! - 1);
    // the dense layers after the concatenation read [x-features, c] and [z, c]: their kernels hold rows for c; the
    // rows of c changed (gradients reached the covariate input) as did the conv filter (the x input)
    const changed = (name: string, rows?: [number, number]) => {
      const a = initial.get(name) as number[][];
      const b = vae.namedVariables().get(name)!.arraySync() as number[][];
      const pick = (m: number[][]) => (rows ? m.slice(rows[0], rows[1]) : m).flat(4 as 1) as number[];
      const pa = pick(a);
      const pb = pick(b);
      return Math.max(...pa.map((v, i) => Math.abs(v - pb[i]!)));
    };
    const names = [...vae.namedVariables().keys()];
    expect(names).toContain('encoder/1/kernel'); // conv filter
    expect(changed('encoder/1/kernel')).toBeGreaterThan(1e-3);
    expect(changed('encoder/5/kernel', [64, 64 + LEVELS])).toBeGreaterThan(1e-3);
    expect(changed('decoder/3/kernel', [LATENT, LATENT + LEVELS])).toBeGreaterThan(1e-3);
    vae.dispose();
  });

  it('decodes differently per covariate level, and save/load round-trips bit-identically', async () => {
    const vae = new VAE(config());
    const { x, covariates } = data(48);
    await vae.fit(x, { covariates, epochs: 10, batchSize: 16, learningRate: 0.02, seed: 1 });
    const z = [
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    const decoded = (model: VAE) => tf.tidy(() => model.decode(z, { covariates: { label: [0, 1, 2] } }).mean());
    const means = decoded(vae);
    const m = (await means.array()) as number[][];
    means.dispose();
    // the rows differ, and each level's decoded mean is largest on its own image row
    for (let k = 0; k < LEVELS; k++) {
      const rowMean = (r: number) => m[k]!.slice(4 * r, 4 * r + 4).reduce((a, b) => a + b, 0) / 4;
      for (let r = 0; r < LEVELS; r++) if (r !== k) expect(rowMean(k)).toBeGreaterThan(rowMean(r));
    }
    const dir = await mkdtemp(join(tmpdir(), 'varia-cvae-byo-'));
    await vae.save(dir);
    const loaded = await VAE.load(dir);
    // a re-signed file whose covariates no longer fit the saved two-input topology: a typed error, nothing allocated
    const text = await readFile(join(dir, 'model.json'), 'utf8');
    const edited = JSON.parse(text) as SavedModelJson;
    (edited.config.covariates[0] as { levels: number }).levels = LEVELS + 1;
    const file = edited.weightsManifest[0]!.paths[0]!;
    const bytes = await readFile(join(dir, file));
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    edited.checksum = modelChecksum(edited, buffer);
    const bad = await mkdtemp(join(tmpdir(), 'varia-cvae-byo-bad-'));
    await writeFile(join(bad, 'model.json'), JSON.stringify(edited));
    await writeFile(join(bad, file), bytes);
    const tensors = tf.memory().numTensors;
    const error = await VAE.load(bad).then(
      (m) => m.dispose(),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SerializationError);
    expect(String(error)).toMatch(/second input reads 3 covariate features, but the covariates make 4/);
    expect(tf.memory().numTensors).toBe(tensors);
    await rm(bad, { recursive: true, force: true });
    for (const [k, v] of vae.namedVariables()) {
      expect(Buffer.from((await loaded.namedVariables().get(k)!.data()).buffer)).toEqual(
        Buffer.from((await v.data()).buffer),
      );
    }
    const again = decoded(loaded);
    expect(Array.from(await again.data())).toEqual(m.flat());
    again.dispose();
    loaded.dispose();
    vae.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a one-input tfl.LayersModel that must read covariates, saying how to add the input', () => {
    const one = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [LATENT], units: 8 })] });
    const enc = convEncoder();
    let error: unknown;
    try {
      new VAE({ ...base, encoder: enc, decoder: one });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as Error).message).toMatch(/second input.*tf\.input\(\{ shape: \[3\] \}\)/);
    // a two-input encoder when the encoder reads no covariates
    const dec = denseDecoder();
    expect(() => new VAE({ ...base, encoder: enc, decoder: dec, encodeCovariates: false })).toThrow(/second input/);
    one.dispose();
    enc.dispose();
    dec.dispose();
  });

  it('hands a user Network the covariate block as apply(x, { covariates }) (encoder only with encodeCovariates)', async () => {
    // h = tanh([z, c] W): a user-written conditional decoder; the encoder reads x only
    const w = tf.tidy(() => tf.variable(tf.randomNormal([LATENT + LEVELS, 8], 0, 0.5, 'float32', 7)));
    const seen: (number[] | undefined)[] = [];
    const decoder: Network = {
      outputDim: 8,
      apply: (z: tf.Tensor, options?: NetworkApplyOptions) => {
        seen.push(options?.covariates?.shape);
        return tf.tidy(() =>
          tf.tanh(tf.matMul(tf.concat([z as tf.Tensor2D, options!.covariates as tf.Tensor2D], 1), w)),
        ) as tf.Tensor2D;
      },
      namedVariables: (prefix?: string) => new Map([[`${prefix}/w`, w]]),
      dispose: () => w.dispose(),
    };
    const encoderSeen: (number[] | undefined)[] = [];
    const v = tf.tidy(() => tf.variable(tf.randomNormal([D, 8], 0, 0.5, 'float32', 8)));
    const encoder: Network = {
      outputDim: 8,
      apply: (x: tf.Tensor, options?: NetworkApplyOptions) => {
        encoderSeen.push(options?.covariates?.shape);
        return tf.tidy(() => tf.tanh(tf.matMul(x as tf.Tensor2D, v))) as tf.Tensor2D;
      },
      namedVariables: (prefix?: string) => new Map([[`${prefix}/v`, v]]),
      dispose: () => v.dispose(),
    };
    const vae = new VAE({ ...base, encodeCovariates: false, encoder, decoder });
    const { x, covariates } = data(12);
    const before = w.arraySync() as number[][];
    await vae.fit(x, { covariates, epochs: 2, batchSize: 6, learningRate: 0.05, seed: 1 });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((shape) => shape?.[1] === LEVELS)).toBe(true);
    expect(encoderSeen.every((shape) => shape === undefined)).toBe(true);
    // the covariate rows of w (rows LATENT …) trained
    const after = w.arraySync() as number[][];
    const moved = Math.max(
      ...after.slice(LATENT).flatMap((r, i) => r.map((a, j) => Math.abs(a - before[LATENT + i]![j]!))),
    );
    expect(moved).toBeGreaterThan(1e-4);
    const z = [[0.3, -0.2]];
    const a = tf.tidy(() => vae.decode(z, { covariates: { label: [0] } }).mean());
    const b = tf.tidy(() => vae.decode(z, { covariates: { label: [2] } }).mean());
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBeGreaterThan(1e-4);
    tf.dispose([a, b]);
    vae.dispose();
  });
});
