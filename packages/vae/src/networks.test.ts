import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, SerializationError, ShapeError } from '@varia/core';
import type { Network, NetworkApplyOptions } from '@varia/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bars } from './test-utils/helpers.js';
import { VAE } from './vae.js';
import { fromSafetensors, toSafetensors } from './vae-safetensors.js';

const seeded = (seed: number) => ({ kernelInitializer: tfl.initializers.glorotUniform({ seed }) });

/** A small convolutional encoder [8, 8, 1] → 32 features and decoder z → 64 logits features (tfjs-layers). */
function convNetworks(latentDim: number, options: { dropout?: number } = {}) {
  const encoder = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        ...seeded(1),
      }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 32, activation: 'relu', ...seeded(2) }),
    ],
  });
  const decoder = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [latentDim], units: 4 * 4 * 4, activation: 'relu', ...seeded(3) }),
      ...(options.dropout ? [tfl.layers.dropout({ rate: options.dropout })] : []),
      tfl.layers.reshape({ targetShape: [4, 4, 4] }),
      tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', ...seeded(4) }),
      tfl.layers.flatten(),
    ],
  });
  return { encoder, decoder };
}

const data = bars(96, 7);

/** A user-written network: h = tanh(x W + b) on flat rows, with its own variables. */
class TanhLayer implements Network {
  readonly outputDim: number;
  readonly w: tf.Variable;
  readonly b: tf.Variable;
  constructor(inputDim: number, units: number, seed: number) {
    this.outputDim = units;
    this.w = tf.tidy(() => tf.variable(tf.randomNormal([inputDim, units], 0, 0.2, 'float32', seed)));
    this.b = tf.tidy(() => tf.variable(tf.zeros([units])));
  }
  apply(x: tf.Tensor, _options?: NetworkApplyOptions): tf.Tensor2D {
    return tf.tidy(
      () => tf.tanh(tf.add(tf.matMul(tf.reshape(x, [x.shape[0]!, -1]) as tf.Tensor2D, this.w), this.b)) as tf.Tensor2D,
    );
  }
  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return new Map([
      [`${prefix}/w`, this.w],
      [`${prefix}/b`, this.b],
    ]);
  }
  dispose(): void {
    tf.dispose([this.w, this.b]);
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'varia-networks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const values = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describe('VAE with tf.LayersModel encoder and decoder', () => {
  it('trains the convolutional weights (the loss falls, conv kernels and batch-norm statistics change)', async () => {
    const before = tf.memory().numTensors;
    const { encoder, decoder } = convNetworks(3);
    const vae = new VAE({ inputDim: 64, latentDim: 3, encoder, decoder, likelihood: 'bernoulli', seed: 0 });
    expect(vae.config.inputShape).toEqual([8, 8, 1]);
    expect(vae.config.encoderNetwork?.type).toBe('layers-model');
    const names = [...vae.namedVariables().keys()];
    expect(names).toContain('encoder/0/kernel');
    expect(names).toContain('decoder/2/kernel'); // the Conv2DTranspose
    expect([...vae.stateVariables().keys()]).toEqual(['encoder/1/moving_mean', 'encoder/1/moving_variance']);
    const kernel = values(tf.clone(vae.namedVariables().get('encoder/0/kernel')!));
    const transposed = values(tf.clone(vae.namedVariables().get('decoder/2/kernel')!));
    const movingMean = values(tf.clone(vae.stateVariables().get('encoder/1/moving_mean')!));
    const history = await vae.fit(data, { epochs: 6, batchSize: 32, learningRate: 1e-2, seed: 0 });
    const losses = history.epochs.map((e) => e.loss);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! - 3);
    const changed = (a: number[], b: number[]) => a.some((v, i) => v !== b[i]);
    expect(changed(kernel, values(tf.clone(vae.namedVariables().get('encoder/0/kernel')!)))).toBe(true);
    expect(changed(transposed, values(tf.clone(vae.namedVariables().get('decoder/2/kernel')!)))).toBe(true);
    expect(changed(movingMean, values(tf.clone(vae.stateVariables().get('encoder/1/moving_mean')!)))).toBe(true);
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('respects the mode: dropout only while training; inference results are deterministic', () => {
    const { encoder, decoder } = convNetworks(3, { dropout: 0.5 });
    const vae = new VAE({ inputDim: 64, latentDim: 3, encoder, decoder, likelihood: 'bernoulli', seed: 0 });
    const x = data.data.subarray(0, 8 * 64);
    const rows = { data: x, rows: 8, cols: 64 };
    const a = values(vae.reconstruct(rows));
    expect(values(vae.reconstruct(rows))).toEqual(a);
    vae.setTraining(true);
    const b = values(vae.reconstruct(rows));
    const c = values(vae.reconstruct(rows));
    vae.setTraining(false);
    expect(b).not.toEqual(c);
    // (the training passes moved batch normalization's moving statistics: inference is deterministic again, not equal to a)
    const d = values(vae.reconstruct(rows));
    expect(values(vae.reconstruct(rows))).toEqual(d);
    vae.dispose();
  });

  it('saves and loads bit-identically (topology by tfjs-layers, weights and moving statistics by format 2)', async () => {
    const { encoder, decoder } = convNetworks(3);
    const vae = new VAE({ inputDim: 64, latentDim: 3, encoder, decoder, likelihood: 'bernoulli', seed: 0 });
    await vae.fit(data, { epochs: 2, batchSize: 32, learningRate: 1e-2, seed: 1 });
    const target = join(dir, 'conv');
    await vae.save(target);
    const before = tf.memory().numTensors;
    const loaded = await VAE.load(target);
    expect(loaded.config).toEqual(vae.config);
    for (const [name, v] of vae.stateVariables())
      expect(values(tf.clone(loaded.stateVariables().get(name)!)), name).toEqual(values(tf.clone(v)));
    expect(values(loaded.encode(data))).toEqual(values(vae.encode(data)));
    expect(values(loaded.reconstruct(data))).toEqual(values(vae.reconstruct(data)));
    // safetensors carries the same weights and config
    const viaSafetensors = await fromSafetensors(await toSafetensors(vae));
    expect(values(viaSafetensors.reconstruct(data))).toEqual(values(vae.reconstruct(data)));
    viaSafetensors.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
  });

  it('refuses a model whose input does not fit, with typed errors and nothing allocated', () => {
    const before = tf.memory().numTensors;
    const { encoder, decoder } = convNetworks(3);
    expect(() => new VAE({ inputDim: 63, latentDim: 3, encoder, decoder })).toThrow(ArgumentError);
    expect(() => new VAE({ inputDim: 64, latentDim: 4, encoder, decoder })).toThrow(/decoder model reads \[3\]/);
    expect(() => new VAE({ inputDim: 64, latentDim: 3, encoder, decoder, inputShape: [8, 9] })).toThrow(/inputShape/);
    expect(() => new VAE({ inputDim: 64, latentDim: 3, encoder, encoderUnits: [4], decoder })).toThrow(/not both/);
    // the models stay the caller's when the VAE was not built
    encoder.dispose();
    decoder.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a model its owner disposed after building the VAE: DisposedError from encode and save; dispose() frees the rest', async () => {
    const before = tf.memory().numTensors;
    const { encoder, decoder } = convNetworks(3);
    const vae = new VAE({ inputDim: 64, latentDim: 3, encoder, decoder });
    encoder.dispose();
    expect(() => vae.encode(data)).toThrow(/the tf.LayersModel was disposed: it cannot be used/);
    const dir = await mkdtemp(join(tmpdir(), 'varia-disposed-'));
    await expect(vae.save(dir)).rejects.toThrow(/the tf.LayersModel was disposed/);
    await rm(dir, { recursive: true, force: true });
    expect(() => vae.dispose()).not.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses at construction a model that save would refuse (a layer class varia cannot size: Conv1D)', () => {
    const before = tf.memory().numTensors;
    const rnn = tfl.sequential({
      layers: [tfl.layers.conv1d({ inputShape: [4, 2], filters: 2, kernelSize: 2 }), tfl.layers.flatten()],
    });
    expect(() => new VAE({ inputDim: 8, latentDim: 2, encoder: rnn, decoder: [4] })).toThrow(
      /the encoder model cannot be saved and loaded: .*layer class "Conv1D" is not supported/,
    );
    rnn.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses one model as both encoder and decoder (its weights would be stepped twice a step)', () => {
    const before = tf.memory().numTensors;
    const shared = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 4 })] });
    expect(() => new VAE({ inputDim: 2, latentDim: 2, encoder: shared, decoder: shared })).toThrow(
      /"encoder" and "decoder" are the same network/,
    );
    shared.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('VAE with a user-written Network', () => {
  it('trains it, saves it, and needs it passed again to load (a typed error names what is missing)', async () => {
    const before = tf.memory().numTensors;
    const vae = new VAE({
      inputDim: 64,
      latentDim: 2,
      encoder: new TanhLayer(64, 16, 1),
      decoder: [16],
      likelihood: 'bernoulli',
      seed: 0,
    });
    expect(vae.config.encoderNetwork).toEqual({ type: 'custom', outputDim: 16 });
    const w0 = values(tf.clone(vae.namedVariables().get('encoder/w')!));
    const history = await vae.fit(data, { epochs: 4, batchSize: 32, learningRate: 1e-2, seed: 0 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(values(tf.clone(vae.namedVariables().get('encoder/w')!))).not.toEqual(w0);
    const target = join(dir, 'custom');
    await vae.save(target);
    const mid = tf.memory().numTensors;
    await expect(VAE.load(target)).rejects.toThrow(SerializationError);
    await expect(VAE.load(target)).rejects.toThrow(/user-written encoder.*VAE\.load\(dir, \{ encoder/);
    expect(tf.memory().numTensors).toBe(mid);
    // a network with other shapes is refused by the weight check, and disposed with the half-built model
    await expect(VAE.load(target, { encoder: new TanhLayer(64, 8, 2) })).rejects.toThrow(SerializationError);
    expect(tf.memory().numTensors).toBe(mid);
    const loaded = await VAE.load(target, { encoder: new TanhLayer(64, 16, 9) });
    expect(values(loaded.encode(data))).toEqual(values(vae.encode(data)));
    loaded.dispose();
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checks what the network returns: a ShapeError names the encoder', () => {
    const wrong: Network = {
      outputDim: 5,
      apply: (x) => tf.tidy(() => tf.zeros([x.shape[0]!, 4]) as tf.Tensor2D),
      namedVariables: () => new Map(),
      dispose: () => {},
    };
    const vae = new VAE({ inputDim: 64, latentDim: 2, encoder: wrong, decoder: [8] });
    const before = tf.memory().numTensors;
    expect(() => vae.encode(data)).toThrow(ShapeError);
    expect(() => vae.encode(data)).toThrow(/encoder must return \[96, 5\]/);
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
  });

  it('a network that returns no tensor, or variables not as a Map: typed errors naming the encoder (raw TypeErrors before)', async () => {
    const numberOut: Network = {
      outputDim: 5,
      apply: () => 3 as never,
      namedVariables: () => new Map(),
      dispose: () => {},
    };
    const vae = new VAE({ inputDim: 64, latentDim: 2, encoder: numberOut, decoder: [8] });
    expect(() => vae.encode(data)).toThrow(/the encoder must return a tensor \[96, 5\] \(its outputDim\), got number/);
    vae.dispose();
    const arrayVars: Network = {
      outputDim: 4,
      apply: (x) => tf.tidy(() => tf.zeros([x.shape[0]!, 4]) as tf.Tensor2D),
      namedVariables: () => [] as never,
      dispose: () => {},
    };
    const other = new VAE({ inputDim: 64, latentDim: 2, encoder: arrayVars, decoder: [8] });
    await expect(other.fit(data, { epochs: 1 })).rejects.toThrow(
      /the encoder's namedVariables\(\) must return a Map.*got an array/,
    );
    other.dispose();
  });
});
