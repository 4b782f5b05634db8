// The fused-step tests' models, data and instruments (not part of the build: tsconfig.build.json excludes src/test-utils).
import * as tf from '@tensorflow/tfjs-core';
import { MLP_VAE_STEP_KERNEL } from '@varia/core';
import { disableNativeKernels, enableNativeKernels } from '@varia/native-kernels';
import { afterAll, beforeAll, expect } from 'vitest';
import type { VAEConfig } from '../config.js';
import type { FitOptions } from '../fit.js';
import { VAE } from '../vae.js';
import { binary, counts, noisyLine, toySubset, weightValues } from './helpers.js';

/** Calls per kernel name while `f` runs (every kernel of the active backend wrapped, then restored). */
export async function kernelCalls(f: () => Promise<unknown>): Promise<Map<string, number>> {
  const backend = tf.getBackend();
  const originals = tf.getKernelsForBackend(backend);
  const calls = new Map<string, number>();
  for (const config of originals) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({
      ...config,
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
        calls.set(config.kernelName, (calls.get(config.kernelName) ?? 0) + 1);
        return inner(args);
      }) as tf.KernelFunc,
    });
  }
  try {
    await f();
  } finally {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, backend);
      tf.registerKernel(config);
    }
  }
  return calls;
}

/**
 * Runs `f` with the whole-step kernel ({@link MLP_VAE_STEP_KERNEL}) unregistered, then registers it again: the fused
 * step then runs kernel by kernel (what tests of that path's kernels count).
 */
export async function kernelByKernel<T>(f: () => Promise<T>): Promise<T> {
  const backend = tf.getBackend();
  const config = tf.getKernel(MLP_VAE_STEP_KERNEL, backend);
  if (config) tf.unregisterKernel(MLP_VAE_STEP_KERNEL, backend);
  try {
    return await f();
  } finally {
    if (config && !tf.getKernel(MLP_VAE_STEP_KERNEL, backend)) tf.registerKernel(config);
  }
}

export const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** Fits a fresh model and returns its weights, history (without timings) and the tensors left over. */
export async function train(
  config: VAEConfig,
  x: { data: Float32Array; rows: number; cols: number },
  options: FitOptions,
) {
  const before = tf.memory().numTensors;
  const buffers = tf.engine().backend.numDataIds();
  const vae = new VAE(config);
  try {
    const history = await vae.fit(x, options);
    const { seconds: _s, ...rest } = history;
    const epochs = rest.epochs.map(({ seconds: _e, examplesPerSecond: _r, ...log }) => log);
    return { weights: weightValues(vae), history: { ...rest, epochs } };
  } finally {
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
  }
}

const f32 = (m: { data: ArrayLike<number>; rows: number; cols: number }) => ({ ...m, data: Float32Array.from(m.data) });

export const cases: { name: string; config: VAEConfig; x: ReturnType<typeof f32> }[] = [
  {
    name: 'bernoulli',
    config: { inputDim: 12, latentDim: 3, hiddenUnits: [10], likelihood: 'bernoulli', activation: 'relu', seed: 3 },
    x: f32(binary(90, 12, 1)),
  },
  {
    name: 'poisson with log1p, two hidden layers',
    config: {
      inputDim: 12,
      latentDim: 2,
      hiddenUnits: [9, 7],
      likelihood: 'poisson',
      inputTransform: 'log1p',
      activation: 'relu',
      seed: 5,
    },
    x: f32(counts(90, 12, 2)),
  },
  {
    name: 'gaussian, learned scalar σ (toy2d)',
    config: { inputDim: 2, latentDim: 2, hiddenUnits: [2], likelihood: 'gaussian', seed: 0 },
    x: f32(toySubset(90, 3)),
  },
  {
    name: 'gaussian, learned per-feature σ',
    config: {
      inputDim: 3,
      latentDim: 1,
      hiddenUnits: [6, 4],
      likelihood: 'gaussian',
      observationScale: 'learned-per-feature',
      activation: 'sigmoid',
      seed: 2,
    },
    x: f32(noisyLine(90, 0.1, 4)),
  },
  {
    name: 'bernoulli, sigmoid',
    config: { inputDim: 12, latentDim: 3, hiddenUnits: [6], likelihood: 'bernoulli', activation: 'sigmoid', seed: 1 },
    x: f32(binary(40, 12, 4)),
  },
];

/** MNIST's shape (784-400-20, relu, Bernoulli), on 160 random binary rows: two batches of 64 and one of 32. */
export const mnistLike: VAEConfig = {
  inputDim: 784,
  hiddenUnits: [400],
  latentDim: 20,
  likelihood: 'bernoulli',
  activation: 'relu',
  seed: 4,
};
export const mnistRows = binary(160, 784, 9);

// 90 rows, 20 % held out: 72 training rows in batches of 16 (the last one of 8); KL warm-up keeps β < 1
export const options: FitOptions = { epochs: 3, batchSize: 16, seed: 7, klWarmupEpochs: 3, validationSplit: 0.2 };

/**
 * Runs a describe block's tests on tfjs-wasm with the native kernels (the fused step's backend) and puts the cpu
 * backend back afterwards; `after` runs last (e.g. removing temp dirs). Call it inside the describe.
 */
export function onNativeWasm(after?: () => Promise<void>): void {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    // one thread, as these tests' baselines assume (the library's default, 'auto', takes both cores)
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(async () => {
    disableNativeKernels();
    await tf.setBackend('cpu');
    await after?.();
  });
}
