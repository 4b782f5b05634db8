import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { DENSE_BACKWARD_ADAM_KERNEL, DivergenceError, LIKELIHOOD_STEP_KERNELS, MLP_VAE_STEP_KERNEL } from '@varia/core';
import { FusedAdamOptimizer } from '@varia/layers';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { describe, expect, it } from 'vitest';
import type { FitOptions } from '../fit.js';
import {
  cases,
  kernelByKernel,
  kernelCalls,
  mnistLike,
  mnistRows,
  onNativeWasm,
  options,
  train,
} from '../test-utils/fused-step-cases.js';
import { expectSameWeights, weightValues } from '../test-utils/helpers.js';
import { VAE } from '../vae.js';
import { KernelRunner } from './kernel-runner.js';
import { mlpVaeLayout } from './mlp-vae-layout.js';
import { wholeMlpVaeStep } from './whole-step.js';

// Where the backend has MLP_VAE_STEP_KERNEL, a step with Adam applied in it is that one kernel call: the same native
// calls as the fused step's kernels, in their order — so the same weights and history as kernel by kernel and as the
// taped path, bit for bit, on one thread and two.
const problem = nativeKernelsProblem();
if (problem) console.warn(`whole-step tests skipped: ${problem}`);

/** The training steps of a fit: batches per epoch (validation rows held out) times epochs. */
function stepsOf(rows: number, o: FitOptions): number {
  const held = Math.floor(rows * (o.validationSplit ?? 0));
  return Math.ceil((rows - held) / o.batchSize!) * o.epochs!;
}

/** Runs `f` with native kernels on `parallel` threads, then puts the default back. */
async function onThreads<T>(parallel: number, f: () => Promise<T>): Promise<T> {
  if (parallel === 1) return f();
  disableNativeKernels();
  enableNativeKernels({ parallel });
  try {
    return await f();
  } finally {
    disableNativeKernels();
    enableNativeKernels({ parallel: 1 });
  }
}

describe.skipIf(problem !== undefined)('the whole training step in one kernel', () => {
  onNativeWasm();

  const counted = cases.filter((c) => c.config.likelihood !== 'gaussian');
  for (const c of counted) {
    it(`${c.name}: one kernel per step, the bits of the kernel-by-kernel and taped paths`, async () => {
      const taped = await train(c.config, c.x, { ...options, fusedStep: false });
      const separate = await kernelByKernel(() => train(c.config, c.x, options));
      let whole: Awaited<ReturnType<typeof train>> | undefined;
      const calls = await kernelCalls(async () => {
        whole = await train(c.config, c.x, options);
      });
      expectSameWeights(whole!.weights, taped.weights);
      expectSameWeights(whole!.weights, separate.weights);
      expect(whole!.history).toEqual(taped.history);
      // every training step is the one kernel; the layers' own backward kernels never run
      expect(calls.get(MLP_VAE_STEP_KERNEL)).toBe(stepsOf(c.x.rows, options));
      expect(calls.get(DENSE_BACKWARD_ADAM_KERNEL) ?? 0).toBe(0);
      // the likelihood's own kernel runs only in each epoch's check after its last step (a forward pass alone)
      const family = c.config.likelihood as keyof typeof LIKELIHOOD_STEP_KERNELS;
      expect(calls.get(LIKELIHOOD_STEP_KERNELS[family])).toBe(options.epochs);
    });
  }

  for (const parallel of [1, 2]) {
    // (the kernel-by-kernel path's bits are the taped path's: in-step-adam.test.ts, on both thread counts)
    it(`MNIST-shaped on ${parallel} thread(s): the bits of the kernel-by-kernel path`, async () => {
      const o: FitOptions = { batchSize: 64, seed: 5, learningRate: 1e-3, epochs: 2 };
      const separate = await onThreads(parallel, () => kernelByKernel(() => train(mnistLike, mnistRows, o)));
      let whole: Awaited<ReturnType<typeof train>> | undefined;
      const calls = await onThreads(parallel, () =>
        kernelCalls(async () => {
          whole = await train(mnistLike, mnistRows, o);
        }),
      );
      expectSameWeights(whole!.weights, separate.weights);
      expect(whole!.history).toEqual(separate.history);
      expect(calls.get(MLP_VAE_STEP_KERNEL)).toBe(6);
    });
  }

  it('a batch the likelihood does not take runs that step kernel by kernel, with the same bits', async () => {
    const c = cases.find((k) => k.config.likelihood === 'poisson')!;
    const x = { ...c.x, data: Float32Array.from(c.x.data) };
    x.data[5] = 5000; // beyond the log x! table: the step's Poisson kernel misses
    const o: FitOptions = { epochs: 1, batchSize: 32, seed: 3 };
    let whole: Awaited<ReturnType<typeof train>> | undefined;
    const calls = await kernelCalls(async () => {
      whole = await train(c.config, x, o);
    });
    const taped = await train(c.config, x, { ...o, fusedStep: false });
    expectSameWeights(whole!.weights, taped.weights);
    expect(whole!.history).toEqual(taped.history);
    // three steps tried whole; the first one's batch holds the count: it and the epoch's check run kernel by kernel
    expect(calls.get(MLP_VAE_STEP_KERNEL)).toBe(3);
    expect(calls.get(LIKELIHOOD_STEP_KERNELS.poisson)).toBe(2);
    expect(calls.get(DENSE_BACKWARD_ADAM_KERNEL)).toBe(7); // that step's 7 layers
  });

  it('where the backend’s σ is not the addon’s, the kernel declines and the step runs kernel by kernel', async () => {
    // a Sigmoid whose results differ from the addon's in the last bit: the kernel's probe tells them apart
    const original = tf.getKernel('Sigmoid', 'wasm')!;
    const perturbed: tf.KernelConfig = {
      ...original,
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
        const out = original.kernelFunc(args) as tf.TensorInfo;
        const values = tf.engine().backend.readSync(out.dataId) as Float32Array;
        const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
        for (let i = 0; i < bits.length; i++) if (values[i]! > 0 && values[i]! < 1) bits[i]! ^= 1;
        tf.engine().backend.disposeData(out.dataId);
        return { dataId: tf.engine().backend.write(values, out.shape, 'float32'), shape: out.shape, dtype: 'float32' };
      }) as tf.KernelFunc,
    };
    const c = cases[0]!;
    tf.unregisterKernel('Sigmoid', 'wasm');
    tf.registerKernel(perturbed);
    try {
      let whole: Awaited<ReturnType<typeof train>> | undefined;
      const calls = await kernelCalls(async () => {
        whole = await train(c.config, c.x, options);
      });
      const taped = await train(c.config, c.x, { ...options, fusedStep: false });
      expectSameWeights(whole!.weights, taped.weights);
      expect(whole!.history).toEqual(taped.history);
      const steps = stepsOf(c.x.rows, options);
      expect(calls.get(MLP_VAE_STEP_KERNEL)).toBe(steps);
      expect(calls.get(LIKELIHOOD_STEP_KERNELS.bernoulli)).toBe(steps + options.epochs!);
    } finally {
      tf.unregisterKernel('Sigmoid', 'wasm');
      tf.registerKernel(original);
    }
  });

  it('a diverging run is rolled back to the epoch start, as on the taped path', async () => {
    const c = cases[0]!;
    const o: FitOptions = { batchSize: 16, seed: 5, epochs: 1, learningRate: 1e30 };
    const outcome = async (fusedStep: boolean) => {
      const model = new VAE(c.config);
      const start = weightValues(model);
      try {
        const error = await model.fit(c.x, { ...o, fusedStep }).catch((e: unknown) => e);
        return { error, start, end: weightValues(model) };
      } finally {
        model.dispose();
      }
    };
    for (const fused of [false, true]) {
      let result: Awaited<ReturnType<typeof outcome>> | undefined;
      const calls = await kernelCalls(async () => {
        result = await outcome(fused);
      });
      expect(result!.error).toBeInstanceOf(DivergenceError);
      expectSameWeights(result!.end, result!.start);
      // the fused run's steps were the one kernel until it diverged
      expect((calls.get(MLP_VAE_STEP_KERNEL) ?? 0) > 0).toBe(fused);
    }
  });

  it('a kernel failure after some layers were updated marks those layers updated in the step (it counts)', () => {
    const vae = new VAE(cases[0]!.config);
    const layout = mlpVaeLayout(vae)!;
    const layers = [...layout.encoder, layout.loc, layout.scale, ...layout.decoder, layout.out];
    const variables = layers.flatMap((p) => [p.kernel, p.bias]);
    const optimizer = new FusedAdamOptimizer(1e-3);
    const real = tf.getKernel(MLP_VAE_STEP_KERNEL, 'wasm')!;
    // the real step, then a failure that says the output layer and the decoder's layer were updated
    tf.unregisterKernel(MLP_VAE_STEP_KERNEL, 'wasm');
    tf.registerKernel({
      ...real,
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
        const outs = real.kernelFunc(args) as tf.TensorInfo[];
        for (const t of outs) tf.engine().backend.disposeData(t.dataId);
        throw Object.assign(new Error('injected failure'), { layersWritten: 2 });
      }) as tf.KernelFunc,
    });
    const x = tf.tensor2d(cases[0]!.x.data.subarray(0, 16 * 12), [16, 12]);
    const runner = new KernelRunner();
    const adam = optimizer.beginStep(variables)!;
    try {
      const ctx = { epoch: 0, step: 0, beta: 1, seed: 3, samples: 1, freeBits: 0, training: true, inStepAdam: adam };
      expect(() => wholeMlpVaeStep(layout, x, ctx, runner)).toThrow(/injected failure/);
      const last = layers.length - 1;
      for (let i = 0; i < layers.length; i++) {
        const updated = i >= last - 1;
        expect(adam.isUpdated(layers[i]!.kernel), `layer ${i}`).toBe(updated);
        expect(adam.isUpdated(layers[i]!.bias), `layer ${i}`).toBe(updated);
      }
      expect(adam.updatedCount).toBe(4);
    } finally {
      adam.close();
      runner.dispose();
      tf.unregisterKernel(MLP_VAE_STEP_KERNEL, 'wasm');
      tf.registerKernel(real);
      x.dispose();
      optimizer.dispose();
      vae.dispose();
    }
  });
});
