// likelihoodHead: 'direct' — the decoder's output is the likelihood's parameter block (Pyro/TFP style), for every
// built-in likelihood, against closed forms computed in float64 from the decoder's own output; its shape errors,
// custom likelihoods, the fused step staying off, and a property over widths and likelihoods (more runs:
// VARIA_PROPERTY_RUNS=1000).
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError, VariaError } from '@varia/core';
import fc from 'fast-check';
import { BernoulliHead, MLP, type Network, type NetworkApplyOptions } from '@varia/layers';
import { describe, expect, it } from 'vitest';
import type { VAEConfig } from './config.js';
import { resolveConfig } from './config.js';
import { mlpVaeLayout } from './fused-step/mlp-vae-layout.js';
import { VAE } from './vae.js';

const D = 6;
const LATENT = 2;

/** A user-written linear decoder z [n, 2] (+ covariates) → [n, width]: h = [z, c] W + b. */
function linearDecoder(width: number, seed: number, covariateWidth = 0): Network {
  const w = tf.tidy(() => tf.variable(tf.randomNormal([LATENT + covariateWidth, width], 0, 0.8, 'float32', seed)));
  const b = tf.tidy(() => tf.variable(tf.randomNormal([width], 0, 0.3, 'float32', seed + 1)));
  return {
    outputDim: width,
    apply: (z: tf.Tensor, options?: NetworkApplyOptions) =>
      tf.tidy(() => {
        const input = options?.covariates ? tf.concat([z as tf.Tensor2D, options.covariates as tf.Tensor2D], 1) : z;
        return tf.add(tf.matMul(input as tf.Tensor2D, w), b);
      }) as tf.Tensor2D,
    namedVariables: (prefix?: string) =>
      new Map([
        [`${prefix}/w`, w],
        [`${prefix}/b`, b],
      ]),
    dispose: () => tf.dispose([w, b]),
  };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Each built-in likelihood (and scale/dispersion variant): P and E[x|z] from the parameter block θ (float64). */
const CASES: { name: string; config: Partial<VAEConfig>; blocks: number; mean(theta: number[]): number }[] = [
  { name: 'gaussian learned-scalar', config: { likelihood: 'gaussian' }, blocks: 1, mean: ([loc]) => loc! },
  {
    name: 'gaussian amortized',
    config: { likelihood: 'gaussian', observationScale: 'amortized' },
    blocks: 2,
    mean: ([loc]) => loc!,
  },
  { name: 'bernoulli', config: { likelihood: 'bernoulli' }, blocks: 1, mean: ([l]) => sigmoid(l!) },
  {
    name: 'continuous-bernoulli',
    config: { likelihood: 'continuous-bernoulli' },
    blocks: 1,
    // E[x] = p/(2p − 1) + 1/(2 artanh(1 − 2p)) for p = σ(ℓ) ≠ ½
    mean: ([l]) => {
      const p = sigmoid(l!);
      return p / (2 * p - 1) + 1 / (2 * Math.atanh(1 - 2 * p));
    },
  },
  { name: 'poisson', config: { likelihood: 'poisson' }, blocks: 1, mean: ([logRate]) => Math.exp(logRate!) },
  { name: 'negative-binomial', config: { likelihood: 'negative-binomial' }, blocks: 1, mean: ([m]) => Math.exp(m!) },
  {
    name: 'zinb',
    config: { likelihood: 'zinb' },
    blocks: 2,
    mean: ([m, gate]) => (1 - sigmoid(gate!)) * Math.exp(m!),
  },
];

const Z = [
  [0.4, -0.7],
  [-1.1, 0.2],
  [0.9, 1.3],
];

describe("likelihoodHead: 'direct'", () => {
  for (const c of CASES) {
    it(`${c.name}: E[x|z] is the link of the decoder's own output, column j·${c.blocks} + k = parameter k of feature j`, () => {
      const before = tf.memory().numTensors;
      const decoder = linearDecoder(D * c.blocks, 3);
      const out = tf.tidy(() => decoder.apply(tf.tensor2d(Z)).arraySync());
      const vae = new VAE({
        inputDim: D,
        latentDim: LATENT,
        encoder: [8],
        decoder,
        likelihoodHead: 'direct',
        ...c.config,
      });
      expect(vae.config.likelihoodHead).toBe('direct');
      expect([...vae.namedVariables().keys()].filter((k) => k.startsWith('likelihood/'))).toEqual(
        c.name === 'gaussian learned-scalar'
          ? ['likelihood/raw_scale']
          : c.name === 'negative-binomial' || c.name === 'zinb'
            ? ['likelihood/log_dispersion']
            : [],
      );
      const d = vae.decode(Z);
      const meanTensor = d.mean();
      const mean = meanTensor.arraySync() as number[][];
      meanTensor.dispose();
      d.dispose();
      for (let i = 0; i < Z.length; i++) {
        for (let j = 0; j < D; j++) {
          const theta = Array.from({ length: c.blocks }, (_, k) => out[i]![j * c.blocks + k]!);
          expect(mean[i]![j]).toBeCloseTo(c.mean(theta), 4);
        }
      }
      vae.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a decoder whose width is not inputDim·P is a ShapeError naming the decoder and the layout; nothing leaks', () => {
    const before = tf.memory().numTensors;
    const decoder = linearDecoder(D, 3);
    const config = { inputDim: D, latentDim: LATENT, encoder: [8], decoder, likelihoodHead: 'direct' } as const;
    let error: unknown;
    try {
      new VAE({ ...config, likelihood: 'gaussian', observationScale: 'amortized' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShapeError);
    expect((error as ShapeError).argument).toBe('decoder');
    expect(String(error)).toMatch(/decoder's output \(6 values per example\).*\(loc, scale\).*must be 12, got 6/);
    // a user Network that lies about its width: the decoder's output check at its first apply
    const liar = { ...decoder, outputDim: 2 * D };
    const vae = new VAE({ ...config, decoder: liar, likelihood: 'zinb' });
    expect(() => tf.tidy(() => vae.decode(Z).mean())).toThrowError(ShapeError);
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is refused with the built-in MLP decoder, and an unknown value is an ArgumentError; the default is not saved', () => {
    expect(() => resolveConfig({ inputDim: D, latentDim: LATENT, hiddenUnits: [8], likelihoodHead: 'direct' })).toThrow(
      /likelihoodHead.*built-in MLP decoder/,
    );
    expect(() =>
      resolveConfig({ inputDim: D, latentDim: LATENT, hiddenUnits: [8], likelihoodHead: 'conv' as never }),
    ).toThrowError(ArgumentError);
    const dense = resolveConfig({ inputDim: D, latentDim: LATENT, hiddenUnits: [8], likelihoodHead: 'dense' });
    expect('likelihoodHead' in dense).toBe(false);
  });

  it('a custom likelihood whose head ignores options.parameters is an ArgumentError (its head is freed)', () => {
    const before = tf.memory().numTensors;
    const decoder = linearDecoder(D, 3);
    expect(
      () =>
        new VAE({
          inputDim: D,
          latentDim: LATENT,
          encoder: [8],
          decoder,
          likelihoodHead: 'direct',
          likelihood: {
            name: 'my-bernoulli',
            domain: 'unit-interval',
            createHead: ({ inputDim, units }) => new BernoulliHead({ inputDim, units }),
          },
        }),
    ).toThrow(/built a 'dense' head/);
    decoder.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stays off the fused training step (no dense likelihood layer to replay)', () => {
    const decoder = new MLP({ inputDim: LATENT, hiddenUnits: [D], activation: 'linear' });
    const vae = new VAE({
      inputDim: D,
      latentDim: LATENT,
      encoder: [8],
      decoder,
      likelihood: 'bernoulli',
      likelihoodHead: 'direct',
    });
    expect(mlpVaeLayout(vae)).toBeUndefined();
    vae.dispose();
  });
});

it("likelihoodHead 'direct': any decoder width either decodes (finite log p, no leak) or is a VariaError", () => {
  const runs = Number(process.env.VARIA_PROPERTY_RUNS ?? 60);
  let decoded = 0;
  fc.assert(
    fc.property(
      fc.constantFrom('gaussian', 'bernoulli', 'continuous-bernoulli', 'poisson', 'negative-binomial', 'zinb'),
      fc.constantFrom('learned-scalar', 'amortized', 'learned-per-feature'),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 * 3 + 1 }),
      fc.boolean(),
      (likelihood, observationScale, inputDim, width, librarySize) => {
        const before = tf.memory().numTensors;
        let vae: VAE | undefined;
        const decoder = linearDecoder(width, 5);
        try {
          vae = new VAE({
            inputDim,
            latentDim: LATENT,
            encoder: [4],
            decoder,
            likelihood,
            likelihoodHead: 'direct',
            observationScale,
            librarySize,
          });
          const d = vae.decode(Z, librarySize ? [10, 20, 30] : {});
          const lp = tf.tidy(() => Array.from(d.logProb(tf.ones([Z.length, inputDim])).dataSync()));
          d.dispose();
          expect(lp.every(Number.isFinite)).toBe(true);
          decoded++;
        } catch (e) {
          expect(e).toBeInstanceOf(VariaError);
          if (!vae) decoder.dispose(); // a failed constructor leaves the network to its owner
        } finally {
          vae?.dispose();
        }
        expect(tf.memory().numTensors).toBe(before);
      },
    ),
    { numRuns: runs, seed: 17 },
  );
  expect(decoded).toBeGreaterThan(runs / 20); // the widths that fit are drawn too
});
