// likelihoodHead: 'direct' end to end: a small conv VAE whose Conv2DTranspose output is the Bernoulli logits trains;
// save/load round-trips bit-identically for tf.LayersModel, MLP and user-network decoders; covariates reach the decoder.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { SerializationError } from '@varia/core';
import { MLP, type Network, type NetworkApplyOptions } from '@varia/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelChecksum } from './model-format.js';
import type { SavedModelJson } from './serialization.js';
import { bars } from './test-utils/helpers.js';
import { VAE } from './vae.js';
import { fromSafetensors, toSafetensors } from './vae-safetensors.js';

const seeded = (seed: number) => ({ kernelInitializer: tfl.initializers.glorotUniform({ seed }) });
const conv = { kernelSize: 3, strides: 2, padding: 'same' } as const;

/** An [8, 8, 1] conv encoder and a decoder z → 4×4×4 → Conv2DTranspose to 8×8×P, flattened: P parameters per pixel. */
function convNetworks(latentDim: number, perPixel: number) {
  const encoder = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, ...conv, activation: 'relu', ...seeded(1) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 16, activation: 'relu', ...seeded(2) }),
    ],
  });
  const decoder = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [latentDim], units: 4 * 4 * 4, activation: 'relu', ...seeded(3) }),
      tfl.layers.reshape({ targetShape: [4, 4, 4] }),
      tfl.layers.conv2dTranspose({ filters: perPixel, ...conv, ...seeded(4) }),
      tfl.layers.flatten(),
    ],
  });
  return { encoder, decoder };
}

const data = bars(64, 7);

/** A user-written decoder h = [z, c] W + b (reads the covariate block when it is given). */
function linearDecoder(latentDim: number, width: number, covariateWidth: number, seed: number): Network {
  const w = tf.tidy(() => tf.variable(tf.randomNormal([latentDim + covariateWidth, width], 0, 0.5, 'float32', seed)));
  const b = tf.tidy(() => tf.variable(tf.zeros([width])));
  return {
    outputDim: width,
    apply: (z: tf.Tensor, options?: NetworkApplyOptions) =>
      tf.tidy(() =>
        tf.add(tf.matMul((options?.covariates ? tf.concat([z, options.covariates], 1) : z) as tf.Tensor2D, w), b),
      ) as tf.Tensor2D,
    namedVariables: (prefix?: string) =>
      new Map([
        [`${prefix}/w`, w],
        [`${prefix}/b`, b],
      ]),
    dispose: () => tf.dispose([w, b]),
  };
}

const values = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'varia-direct-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Saves, loads (with `decoder` for a user network) and checks the loaded model computes exactly the same. */
async function roundTrip(vae: VAE, name: string, decoder?: Network) {
  const target = join(dir, name);
  await vae.save(target);
  const json = JSON.parse(await readFile(join(target, 'model.json'), 'utf8')) as { config: object };
  expect(json.config).toMatchObject({ likelihoodHead: 'direct' });
  const loaded = await VAE.load(target, decoder ? { decoder } : {});
  expect(loaded.config).toEqual(vae.config);
  expect([...loaded.namedVariables().keys()]).toEqual([...vae.namedVariables().keys()]);
  expect(values(loaded.reconstruct(data))).toEqual(values(vae.reconstruct(data)));
  const logProb = (m: VAE) => tf.tidy(() => m.decode([[0.3, -0.5, 0.2]]).logProb(tf.ones([1, 64])));
  expect(values(logProb(loaded))).toEqual(values(logProb(vae)));
  loaded.dispose();
  if (decoder) return;
  // safetensors carries the same weights and config
  const viaSafetensors = await fromSafetensors(await toSafetensors(vae));
  expect(viaSafetensors.config).toEqual(vae.config);
  expect(values(viaSafetensors.reconstruct(data))).toEqual(values(vae.reconstruct(data)));
  viaSafetensors.dispose();
}

describe("likelihoodHead: 'direct' end to end", () => {
  it('a conv VAE whose Conv2DTranspose output is the Bernoulli logits trains, without a 64×64 dense head', async () => {
    const before = tf.memory().numTensors;
    const direct = convNetworks(3, 1);
    const vae = new VAE({
      inputDim: 64,
      latentDim: 3,
      ...direct,
      likelihood: 'bernoulli',
      likelihoodHead: 'direct',
      seed: 0,
    });
    expect([...vae.namedVariables().keys()].some((k) => k.startsWith('likelihood'))).toBe(false);
    const dense = new VAE({ inputDim: 64, latentDim: 3, ...convNetworks(3, 1), likelihood: 'bernoulli', seed: 0 });
    const count = (m: VAE) => [...m.namedVariables().values()].reduce((s, v) => s + v.size, 0);
    expect(count(dense) - count(vae)).toBe(64 * 64 + 64);
    dense.dispose();
    const history = await vae.fit(data, { epochs: 6, batchSize: 16, learningRate: 1e-2, seed: 0 });
    const losses = history.epochs.map((e) => e.loss);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! - 3);
    await roundTrip(vae, 'conv');
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('round-trips a Gaussian with (loc, raw σ) per pixel from a conv decoder, and an MLP decoder', async () => {
    const gaussian = new VAE({
      inputDim: 64,
      latentDim: 3,
      ...convNetworks(3, 2),
      likelihood: 'gaussian',
      observationScale: 'amortized',
      likelihoodHead: 'direct',
    });
    await gaussian.fit(data, { epochs: 1, batchSize: 32, seed: 1 });
    await roundTrip(gaussian, 'gaussian');
    gaussian.dispose();
    const mlp = () => new MLP({ inputDim: 3, hiddenUnits: [64], activation: 'linear', seed: 5 });
    const vae = new VAE({
      inputDim: 64,
      latentDim: 3,
      encoder: [16],
      decoder: mlp(),
      likelihood: 'poisson',
      likelihoodHead: 'direct',
    });
    await vae.fit(data, { epochs: 1, batchSize: 32, seed: 1 });
    await roundTrip(vae, 'mlp', mlp());
    vae.dispose();
  });

  it('a re-signed file whose likelihoodHead was removed or changed is a SerializationError; nothing is allocated', async () => {
    const vae = new VAE({
      inputDim: 64,
      latentDim: 3,
      ...convNetworks(3, 1),
      likelihood: 'bernoulli',
      likelihoodHead: 'direct',
    });
    const target = join(dir, 'tampered');
    await vae.save(target);
    vae.dispose();
    const text = await readFile(join(target, 'model.json'), 'utf8');
    const original = JSON.parse(text) as SavedModelJson;
    const weights = await readFile(join(target, original.weightsManifest[0]!.paths[0]!));
    const data = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
    for (const [edit, match] of [
      [(c: Record<string, unknown>) => delete c.likelihoodHead, /describes layers with \d+ weights/],
      [(c: Record<string, unknown>) => (c.likelihoodHead = 'sideways'), /likelihoodHead/],
    ] as const) {
      const j = JSON.parse(text) as SavedModelJson;
      edit(j.config as unknown as Record<string, unknown>);
      j.checksum = modelChecksum(j, data);
      await writeFile(join(target, 'model.json'), JSON.stringify(j));
      const before = tf.memory().numTensors;
      const error = await VAE.load(target).then(
        (m) => m.dispose(),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SerializationError);
      expect(String(error)).toMatch(match);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('covariates reach a user decoder whose output is the logits; save/load with them round-trips', async () => {
    const covariates = [{ name: 'kind', kind: 'categorical' as const, levels: 2 }];
    const kinds = { kind: Array.from({ length: 64 }, (_, i) => i % 2) };
    const vae = new VAE({
      inputDim: 64,
      latentDim: 2,
      encoder: [16],
      decoder: linearDecoder(2, 64, 2, 4),
      likelihood: 'bernoulli',
      likelihoodHead: 'direct',
      covariates,
    });
    await vae.fit(data, { covariates: kinds, epochs: 2, batchSize: 16, seed: 1 });
    const decoded = (m: VAE, level: number) =>
      values(tf.tidy(() => m.decode([[0.1, 0.2]], { covariates: { kind: [level] } }).mean()));
    expect(decoded(vae, 0)).not.toEqual(decoded(vae, 1));
    const target = join(dir, 'covariates');
    await vae.save(target);
    const loaded = await VAE.load(target, { decoder: linearDecoder(2, 64, 2, 9) });
    for (const level of [0, 1]) expect(decoded(loaded, level)).toEqual(decoded(vae, level));
    loaded.dispose();
    vae.dispose();
  });
});
