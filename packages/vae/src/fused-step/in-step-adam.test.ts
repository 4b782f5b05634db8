import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, DENSE_BACKWARD_ADAM_KERNEL, DENSE_BACKWARD_KERNEL, DivergenceError } from '@varia/core';
import { FusedAdamOptimizer } from '@varia/layers';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { describe, expect, it } from 'vitest';
import type { VAEConfig } from '../config.js';
import type { FitOptions } from '../fit.js';
import { kernelByKernel, kernelCalls, mnistLike, mnistRows, onNativeWasm } from '../test-utils/fused-step-cases.js';
import { binary, expectSameWeights, removeTempDirs, tempDir, weightValues } from '../test-utils/helpers.js';
import { VAE } from '../vae.js';

// The fused step applies Adam to each dense layer during its backward pass (ctx.inStepAdam) with the kernel that does
// both (VariaDenseBackwardAdam); without that kernel, or without the in-step update, the gradients go to the trainer —
// the same weights and history, bit for bit, as the taped path, every way.
const problem = nativeKernelsProblem();
if (problem) console.warn(`in-step Adam tests skipped: ${problem}`);

/** Two hidden layers and a learned Gaussian σ (a variable outside the dense layers: it takes its gradient at the end). */
const small: VAEConfig = { inputDim: 6, hiddenUnits: [5, 4], latentDim: 2, likelihood: 'gaussian', seed: 2 };
const smallRows = binary(40, 6, 3);
const base: FitOptions = { batchSize: 64, seed: 5, learningRate: 1e-3 };

type Variant = 'taped' | 'no in-step' | 'no kernel' | 'kernel';

/** Runs `f` with the fused step's in-step Adam off, without its kernel, or as it is (restored afterwards). */
async function withVariant<T>(variant: Variant, f: () => Promise<T>): Promise<T> {
  const begin = Object.getOwnPropertyDescriptor(FusedAdamOptimizer.prototype, 'beginStep')!;
  const kernel = tf.getKernel(DENSE_BACKWARD_ADAM_KERNEL, 'wasm');
  if (variant === 'no in-step')
    Object.defineProperty(FusedAdamOptimizer.prototype, 'beginStep', { value: () => undefined });
  if (variant === 'no kernel' && kernel) tf.unregisterKernel(DENSE_BACKWARD_ADAM_KERNEL, 'wasm');
  try {
    // the fused step kernel by kernel (the whole-step kernel, which applies Adam in it too, has tests of its own)
    return await kernelByKernel(f);
  } finally {
    Object.defineProperty(FusedAdamOptimizer.prototype, 'beginStep', begin);
    if (kernel && !tf.getKernel(DENSE_BACKWARD_ADAM_KERNEL, 'wasm')) tf.registerKernel(kernel);
  }
}

/** Weights, losses and kernel calls of a fit in `variant`; no tensor left behind. */
async function fitIn(variant: Variant, config: VAEConfig, x: typeof mnistRows, options: FitOptions) {
  const before = tf.memory().numTensors;
  const model = new VAE(config);
  try {
    let losses: number[][] = [];
    const calls = await kernelCalls(() =>
      withVariant(variant, async () => {
        const h = await model.fit(x, { ...options, ...(variant === 'taped' ? { fusedStep: false } : {}) });
        losses = h.epochs.map((e) => [e.loss, e.reconstruction!, e.kl!]);
      }),
    );
    return { weights: weightValues(model), losses, calls };
  } finally {
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }
}

describe.skipIf(problem !== undefined)('Adam applied layer by layer inside the fused step', () => {
  onNativeWasm(removeTempDirs);

  for (const [name, config, x, parallel] of [
    ['MNIST-shaped', mnistLike, mnistRows, 1],
    ['MNIST-shaped, parallel: 2', mnistLike, mnistRows, 2],
    ['two hidden layers, learned σ', small, smallRows, 1],
  ] as const) {
    it(`${name}: the kernel, no kernel and no in-step update give the taped bits`, async () => {
      if (parallel !== 1) {
        disableNativeKernels();
        enableNativeKernels({ parallel });
      }
      try {
        const options = { ...base, epochs: 2 };
        const taped = await fitIn('taped', config, x, options);
        const layers = 2 * (config.hiddenUnits as number[]).length + 3;
        const steps = 2 * Math.ceil(x.rows / 64);
        for (const variant of ['no in-step', 'no kernel', 'kernel'] as const) {
          const run = await fitIn(variant, config, x, options);
          expectSameWeights(run.weights, taped.weights);
          expect(run.losses, variant).toEqual(taped.losses);
          const inStep = run.calls.get(DENSE_BACKWARD_ADAM_KERNEL) ?? 0;
          const plain = run.calls.get(DENSE_BACKWARD_KERNEL) ?? 0;
          expect(inStep + plain, variant).toBe(layers * steps);
          // the kernel runs in every step, each epoch's first one included (the guard's snapshot has memory of its own)
          expect(inStep, variant).toBe(variant === 'kernel' ? layers * steps : 0);
          // Adam after the step: for every variable, or (with the kernel) for what the kernel did not update — σ
          const adamCalls = run.calls.get(ADAM_IN_PLACE_KERNEL) ?? 0;
          const learnedScale = config.likelihood === 'gaussian';
          expect(adamCalls, variant).toBe(variant === 'kernel' && !learnedScale ? 0 : steps);
        }
      } finally {
        if (parallel !== 1) {
          disableNativeKernels();
          enableNativeKernels({ parallel: 1 });
        }
      }
    });
  }

  it('a run resumed from a checkpoint continues bit-identically on the in-step path', async () => {
    const full = await fitIn('kernel', mnistLike, mnistRows, { ...base, epochs: 3 });
    const dir = await tempDir();
    await fitIn('kernel', mnistLike, mnistRows, { ...base, epochs: 1, checkpointEvery: 1, checkpointDir: dir });
    for (const variant of ['kernel', 'no in-step'] as const) {
      const resumed = await fitIn(variant, mnistLike, mnistRows, { ...base, epochs: 3, resumeFrom: dir });
      expect(resumed.losses.slice(1), variant).toEqual(full.losses.slice(1));
      expectSameWeights(resumed.weights, full.weights);
    }
  });

  it('a diverging run is rolled back to the epoch start as on the taped path', async () => {
    const options = { ...base, epochs: 1, learningRate: 1e30 };
    const outcome = async (variant: Variant) => {
      const model = new VAE(mnistLike);
      const start = weightValues(model);
      try {
        const error = await withVariant(variant, () => model.fit(mnistRows, options)).catch((e: unknown) => e);
        return { error, start, end: weightValues(model) };
      } finally {
        model.dispose();
      }
    };
    for (const variant of ['taped', 'kernel'] as const) {
      const { error, start, end } = await outcome(variant);
      expect(error, variant).toBeInstanceOf(DivergenceError);
      expectSameWeights(end, start);
    }
  });
});
