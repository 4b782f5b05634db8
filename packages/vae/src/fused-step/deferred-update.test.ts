import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { DENSE_BACKWARD_ADAM_KERNEL, JOIN_DEFERRED_KERNEL, NORMAL_BACKWARD_KERNEL } from '@varia/core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VAEConfig } from '../config.js';
import type { FitOptions } from '../fit.js';
import { kernelByKernel, train } from '../test-utils/fused-step-cases.js';
import { binary, expectSameWeights } from '../test-utils/helpers.js';

// On two threads the fused step lets the output layer's W update run on in a helper (`deferUpdate`) while the
// calling thread runs the small layers' backward passes, and joins it before the step ends — on error paths too.
const problem = nativeKernelsProblem();
if (problem) console.warn(`deferred-update tests skipped: ${problem}`);

/** 16 → 256 → 4 → 256 → 256 (the output layer has 65,536 weights: enough for row blocks on two threads). */
const config: VAEConfig = {
  inputDim: 256,
  hiddenUnits: [256],
  latentDim: 4,
  likelihood: 'bernoulli',
  activation: 'relu',
  seed: 6,
};
const rows = binary(96, 256, 2);
const options: FitOptions = { epochs: 2, batchSize: 32, seed: 1 };
const steps = 2 * 3;

/** Runs `f` with the deferring and joining kernels wrapped: their calls in order, each deferring call as 'defer'. */
async function logged<T>(
  f: () => Promise<T>,
  failNormalBackwardAt = -1,
  failJoinAt = -1,
): Promise<{ value?: T; error?: unknown; log: string[] }> {
  const log: string[] = [];
  const names = [DENSE_BACKWARD_ADAM_KERNEL, JOIN_DEFERRED_KERNEL, NORMAL_BACKWARD_KERNEL];
  const originals = names.map((name) => tf.getKernel(name, 'wasm')!);
  let normal = 0;
  let joins = 0;
  for (const config of originals) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
        const name = config.kernelName;
        if (name === NORMAL_BACKWARD_KERNEL && normal++ === failNormalBackwardAt) throw new Error('injected failure');
        if (name === JOIN_DEFERRED_KERNEL) {
          log.push('join');
          if (joins++ === failJoinAt) {
            config.kernelFunc(args); // it still waits for the helpers, then reports a failure of the deferred job
            throw new Error('injected join failure');
          }
        } else if (name === DENSE_BACKWARD_ADAM_KERNEL && args.attrs?.deferUpdate === true) log.push('defer');
        return config.kernelFunc(args);
      }) as tf.KernelFunc,
    });
  }
  try {
    return { value: await f(), log };
  } catch (error) {
    return { error, log };
  } finally {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  }
}

describe.skipIf(problem !== undefined)('the fused step with the output layer deferred', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    disableNativeKernels();
    await tf.setBackend('cpu');
  });

  it('defers the output layer once per step and joins it, with the bits of one thread', async () => {
    enableNativeKernels({ parallel: 1 });
    const one = await train(config, rows, options);
    disableNativeKernels();
    enableNativeKernels({ parallel: 2 });
    const two = await logged(() => kernelByKernel(() => train(config, rows, options)));
    // every training step defers once and joins once (loss-only passes neither)
    expect(two.log).toEqual(Array.from({ length: steps }, () => ['defer', 'join']).flat());
    expectSameWeights(two.value!.weights, one.weights);
    expect(two.value!.history).toEqual(one.history);
  });

  it('joins when the step fails after the deferred call, leaving no tensor behind', async () => {
    enableNativeKernels({ parallel: 2 });
    const before = tf.memory().numTensors;
    const failed = await logged(() => kernelByKernel(() => train(config, rows, options)), 2);
    expect((failed.error as Error).message).toMatch(/injected failure/);
    // steps 1 and 2 as usual; step 3 fails in the latent's backward pass (after the deferred output layer) and joins
    expect(failed.log).toEqual(['defer', 'join', 'defer', 'join', 'defer', 'join']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("reports the step's own error when the join fails too, and the join's when it alone fails", async () => {
    enableNativeKernels({ parallel: 2 });
    const before = tf.memory().numTensors;
    const both = await logged(() => kernelByKernel(() => train(config, rows, options)), 2, 2);
    expect((both.error as Error).message).toMatch(/^injected failure/);
    expect(both.log).toEqual(['defer', 'join', 'defer', 'join', 'defer', 'join']);
    const joinOnly = await logged(() => kernelByKernel(() => train(config, rows, options)), -1, 1);
    expect((joinOnly.error as Error).message).toMatch(/injected join failure/);
    expect(joinOnly.log).toEqual(['defer', 'join', 'defer', 'join']);
    expect(tf.memory().numTensors).toBe(before);
  });
});
