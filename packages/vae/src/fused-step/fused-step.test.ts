import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {
  ADAM_IN_PLACE_KERNEL,
  DENSE_BACKWARD_ADAM_KERNEL,
  DENSE_BACKWARD_KERNEL,
  LIKELIHOOD_STEP_KERNELS,
  MUL_SUB_KERNEL,
  NORMAL_BACKWARD_KERNEL,
  NORMAL_KL_KERNEL,
  NORMAL_LOG_PROB_BACKWARD_KERNEL,
  NORMAL_LOG_PROB_KERNEL,
  NORMAL_SAMPLE_KERNEL,
  SCALED_SUM_KERNEL,
  TABLE_LOOKUP_KERNEL,
} from '@varia/core';
import { hostLogFactorial, logFactorialTable32 } from '@varia/distributions';
import { nativeKernelsProblem } from '@varia/native-kernels';
import { describe, expect, it } from 'vitest';
import type { FitOptions } from '../fit.js';
import {
  cases,
  kernelByKernel,
  kernelCalls,
  onNativeWasm,
  options,
  total,
  train,
} from '../test-utils/fused-step-cases.js';
import { expectSameWeights, weightValues } from '../test-utils/helpers.js';
import { VAE } from '../vae.js';

// The fused step runs where the native dense kernels are registered (wasm-native); it must give the generic path's
// weights and history bit for bit.
const problem = nativeKernelsProblem();
if (problem) console.warn(`fused-step tests skipped: ${problem}`);

describe.skipIf(problem !== undefined)('the fused training step', () => {
  onNativeWasm();

  for (const c of cases) {
    it(`${c.name}: the same weights and history as the generic path, with fewer kernels`, async () => {
      let generic: Awaited<ReturnType<typeof train>> | undefined;
      let fused: Awaited<ReturnType<typeof train>> | undefined;
      const genericCalls = await kernelCalls(async () => {
        generic = await train(c.config, c.x, { ...options, fusedStep: false });
      });
      const fusedCalls = await kernelCalls(async () => {
        fused = await kernelByKernel(() => train(c.config, c.x, options));
      });
      expectSameWeights(fused!.weights, generic!.weights);
      expect(fused!.history).toEqual(generic!.history);
      expect(generic!.history.epochs[0]!.loss).toBeGreaterThan(0);
      // the fused step ran: no tape copies (Identity), far fewer kernels; the same dense backward kernels
      expect(fusedCalls.get('Identity') ?? 0).toBeLessThan((genericCalls.get('Identity') ?? 0) / 4);
      expect(total(fusedCalls)).toBeLessThan(0.8 * total(genericCalls));
      // every layer's backward pass in every step, each epoch's first one included, is the kernel that also applies
      // Adam to the layer in step (the divergence guard's snapshot is a copy with memory of its own: the weights stay
      // their data's only holder, which an in-place update needs)
      const layers = 2 * (c.config.hiddenUnits as number[]).length + 3;
      const inStep = fusedCalls.get(DENSE_BACKWARD_ADAM_KERNEL) ?? 0;
      const plain = fusedCalls.get(DENSE_BACKWARD_KERNEL) ?? 0;
      expect(inStep).toBe(genericCalls.get(DENSE_BACKWARD_KERNEL));
      expect(plain).toBe(0);

      // a count likelihood's fused kernel looks log x! up itself: no separate look-up
      expect(fusedCalls.get(TABLE_LOOKUP_KERNEL) ?? 0).toBe(0);
      const steps = inStep / layers;
      expect(genericCalls.get(ADAM_IN_PLACE_KERNEL)).toBe(steps);
      // in-place Adam after the step on the fused path: only for the variables outside the dense layers (a Gaussian
      // likelihood's σ), in every step
      const learnedScale = c.config.likelihood === 'gaussian';
      expect(fusedCalls.get(ADAM_IN_PLACE_KERNEL) ?? 0).toBe(learnedScale ? steps : 0);
      // each epoch's check after its last step runs the step's forward pass alone (fusedLoss): the forward kernels
      // run once more per epoch
      const forwards = steps + options.epochs!;
      // a likelihood with a fused kernel runs it once per step; another's elementwise runs are one pass each
      // (x·ℓ − softplus(ℓ); dy·x + (−dy)·σ(ℓ)), once per step
      const family = c.config.likelihood as keyof typeof LIKELIHOOD_STEP_KERNELS;
      const fusedKernel = LIKELIHOOD_STEP_KERNELS[family] as string | undefined;
      if (fusedKernel) expect(fusedCalls.get(fusedKernel), fusedKernel).toBe(forwards);
      const passes = fusedCalls.get(MUL_SUB_KERNEL) ?? 0;
      expect(passes > 0).toBe(c.config.likelihood !== 'gaussian' && !fusedKernel);
      expect(fusedCalls.get(SCALED_SUM_KERNEL) ?? 0).toBe(passes);
      // the Gaussian posterior's sample, KL and backward: one kernel each per step
      for (const name of [NORMAL_SAMPLE_KERNEL, NORMAL_KL_KERNEL]) expect(fusedCalls.get(name), name).toBe(forwards);
      expect(fusedCalls.get(NORMAL_BACKWARD_KERNEL), NORMAL_BACKWARD_KERNEL).toBe(steps);
      const gaussian = c.config.likelihood === 'gaussian';
      expect(fusedCalls.get(NORMAL_LOG_PROB_KERNEL) ?? 0).toBe(gaussian ? forwards : 0);
      expect(fusedCalls.get(NORMAL_LOG_PROB_BACKWARD_KERNEL) ?? 0).toBe(gaussian ? steps : 0);
      // the encoder's dh = dx of the scale head + dx of the loc head: the loc head's backward kernel adds the scale
      // head's dx (its input dxAdd), no Add kernel in a step: the Adds left are the epochs' own, 3 each, outside the
      // steps (the validation pass sums its terms); a Gaussian likelihood's terms run Adds of their own
      if (!gaussian) expect(fusedCalls.get('Add') ?? 0, 'Add').toBe(3 * options.epochs!);
    });
  }

  it('looks log x! up with the same bits as hostLogFactorial, and counts beyond its table take the host path', async () => {
    const counts = tf.tensor2d(
      Float32Array.from({ length: 2048 }, (_, i) => i % 1024),
      [16, 128],
    );
    const host = hostLogFactorial(counts)!;
    const table = tf.tensor1d(logFactorialTable32());
    const [looked, misses] = tf.engine().runKernel(TABLE_LOOKUP_KERNEL, { x: counts, table }) as tf.Tensor[];
    expect(new Uint8Array(looked!.dataSync().buffer)).toEqual(new Uint8Array(host.dataSync().buffer));
    expect(misses!.dataSync()[0]).toBe(0);
    tf.dispose([counts, host, table, looked!, misses!]);
    // one count of 5,000 in the data: that step's fused Poisson kernel misses and the step runs kernel by kernel with
    // log x! from the host, bit-identically
    const c = cases[1]!;
    const x = { ...c.x, data: Float32Array.from(c.x.data) };
    x.data[5] = 5000;
    const o: FitOptions = { epochs: 1, batchSize: 32, seed: 3 };
    let fused: Awaited<ReturnType<typeof train>> | undefined;
    const calls = await kernelCalls(async () => {
      fused = await kernelByKernel(() => train(c.config, x, o));
    });
    const generic = await train(c.config, x, { ...o, fusedStep: false });
    expectSameWeights(fused!.weights, generic.weights);
    expect(fused!.history).toEqual(generic.history);
    // the three steps and the epoch's check after its last step (fusedLoss), whose batch holds the count: that step
    // and the check miss and run kernel by kernel
    expect(calls.get(LIKELIHOOD_STEP_KERNELS.poisson)).toBe(4);
    expect(calls.get(MUL_SUB_KERNEL)).toBe(2);
    expect(calls.get(TABLE_LOOKUP_KERNEL) ?? 0).toBe(0);
  });

  it('constant β = 1 and a second fit of the same model stay identical', async () => {
    const c = cases[0]!;
    const run = async (fusedStep: boolean) => {
      const vae = new VAE(c.config);
      try {
        await vae.fit(c.x, { epochs: 1, batchSize: 32, seed: 1, fusedStep });
        await vae.fit(c.x, { epochs: 1, batchSize: 32, seed: 2, beta: 0.25, fusedStep });
        return weightValues(vae);
      } finally {
        vae.dispose();
      }
    };
    expectSameWeights(await run(true), await run(false));
  });
});
