import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {
  DENSE_BACKWARD_KERNEL,
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
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VAEConfig } from '../config.js';
import type { FitOptions } from '../fit.js';
import { binary, counts, expectSameWeights, noisyLine, toySubset, weightValues } from '../test-utils/helpers.js';
import type { StepContext } from '../trainer/trainable-model.js';
import { VAE } from '../vae.js';
import { vaeTrainable } from '../vae-trainable.js';

// The fused step runs where the native dense kernels are registered (wasm-native); it must give the generic path's
// weights and history bit for bit.
const problem = nativeKernelsProblem();
if (problem) console.warn(`fused-step tests skipped: ${problem}`);

/** Calls per kernel name while `f` runs (every kernel of the active backend wrapped, then restored). */
async function kernelCalls(f: () => Promise<unknown>): Promise<Map<string, number>> {
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

const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** Fits a fresh model and returns its weights, history (without timings) and the tensors left over. */
async function train(config: VAEConfig, x: { data: Float32Array; rows: number; cols: number }, options: FitOptions) {
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

const cases: { name: string; config: VAEConfig; x: ReturnType<typeof f32> }[] = [
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

// 90 rows, 20 % held out: 72 training rows in batches of 16 (the last one of 8); KL warm-up keeps β < 1
const options: FitOptions = { epochs: 3, batchSize: 16, seed: 7, klWarmupEpochs: 3, validationSplit: 0.2 };

describe.skipIf(problem !== undefined)('the fused training step', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    enableNativeKernels();
  });
  afterAll(async () => {
    disableNativeKernels();
    await tf.setBackend('cpu');
  });

  for (const c of cases) {
    it(`${c.name}: the same weights and history as the generic path, with fewer kernels`, async () => {
      let generic: Awaited<ReturnType<typeof train>> | undefined;
      let fused: Awaited<ReturnType<typeof train>> | undefined;
      const genericCalls = await kernelCalls(async () => {
        generic = await train(c.config, c.x, { ...options, fusedStep: false });
      });
      const fusedCalls = await kernelCalls(async () => {
        fused = await train(c.config, c.x, options);
      });
      expectSameWeights(fused!.weights, generic!.weights);
      expect(fused!.history).toEqual(generic!.history);
      expect(generic!.history.epochs[0]!.loss).toBeGreaterThan(0);
      // the fused step ran: no tape copies (Identity), far fewer kernels; the same dense backward kernels
      expect(fusedCalls.get('Identity') ?? 0).toBeLessThan((genericCalls.get('Identity') ?? 0) / 4);
      expect(total(fusedCalls)).toBeLessThan(0.8 * total(genericCalls));
      expect(fusedCalls.get(DENSE_BACKWARD_KERNEL)).toBe(genericCalls.get(DENSE_BACKWARD_KERNEL));
      // a count likelihood looks log x! up where the data lives (once per training step), the taped path on the host
      const lookups = c.config.likelihood === 'poisson' ? 3 * Math.ceil(72 / 16) : 0;
      expect(fusedCalls.get(TABLE_LOOKUP_KERNEL) ?? 0).toBe(lookups);
      // the likelihood's elementwise runs are one pass each (x·ℓ − softplus(ℓ); dy·x + (−dy)·σ(ℓ)), once per step
      const passes = fusedCalls.get(MUL_SUB_KERNEL) ?? 0;
      expect(passes > 0).toBe(c.config.likelihood !== 'gaussian');
      expect(fusedCalls.get(SCALED_SUM_KERNEL) ?? 0).toBe(passes);
      // the Gaussian posterior's sample, KL and backward: one kernel each per step
      const steps = fusedCalls.get(DENSE_BACKWARD_KERNEL)! / (2 * (c.config.hiddenUnits as number[]).length + 3);
      for (const name of [NORMAL_SAMPLE_KERNEL, NORMAL_KL_KERNEL, NORMAL_BACKWARD_KERNEL]) {
        expect(fusedCalls.get(name), name).toBe(steps);
      }
      const gaussian = c.config.likelihood === 'gaussian' ? steps : 0;
      expect(fusedCalls.get(NORMAL_LOG_PROB_KERNEL) ?? 0).toBe(gaussian);
      expect(fusedCalls.get(NORMAL_LOG_PROB_BACKWARD_KERNEL) ?? 0).toBe(gaussian);
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
    // one count of 5,000 in the data: that step's look-up misses and log x! comes from the host, bit-identically
    const c = cases[1]!;
    const x = { ...c.x, data: Float32Array.from(c.x.data) };
    x.data[5] = 5000;
    const o: FitOptions = { epochs: 1, batchSize: 32, seed: 3 };
    let fused: Awaited<ReturnType<typeof train>> | undefined;
    const calls = await kernelCalls(async () => {
      fused = await train(c.config, x, o);
    });
    const generic = await train(c.config, x, { ...o, fusedStep: false });
    expectSameWeights(fused!.weights, generic.weights);
    expect(fused!.history).toEqual(generic.history);
    expect(calls.get(TABLE_LOOKUP_KERNEL)).toBe(3);
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

  it('without the fused elementwise kernels (an older native build) it runs their separate kernels, same bits', async () => {
    const names = [
      MUL_SUB_KERNEL,
      SCALED_SUM_KERNEL,
      TABLE_LOOKUP_KERNEL,
      NORMAL_SAMPLE_KERNEL,
      NORMAL_KL_KERNEL,
      NORMAL_BACKWARD_KERNEL,
      NORMAL_LOG_PROB_KERNEL,
      NORMAL_LOG_PROB_BACKWARD_KERNEL,
    ];
    const configs = names.map((name) => tf.getKernel(name, 'wasm')!);
    for (const name of names) tf.unregisterKernel(name, 'wasm');
    try {
      for (const c of cases.slice(0, 2)) {
        const o: FitOptions = { epochs: 1, batchSize: 32, seed: 4 };
        const fused = await train(c.config, c.x, o);
        const generic = await train(c.config, c.x, { ...o, fusedStep: false });
        expectSameWeights(fused.weights, generic.weights);
        expect(fused.history).toEqual(generic.history);
      }
    } finally {
      for (const config of configs) tf.registerKernel(config);
    }
  });

  it('is offered only for the built-in MLP VAE it replays', () => {
    const base = cases[0]!.config;
    const offered = (config: VAEConfig): boolean => {
      const vae = new VAE(config);
      try {
        return vaeTrainable(vae).fusedGradients !== undefined;
      } finally {
        vae.dispose();
      }
    };
    expect(offered(base)).toBe(true);
    expect(offered({ ...base, activation: 'tanh' })).toBe(false);
    expect(offered({ ...base, likelihood: 'gaussian' })).toBe(true);
    expect(offered({ ...base, likelihood: 'gaussian', observationScale: 'amortized' })).toBe(false);
    expect(offered({ ...base, likelihood: 'gaussian', observationScale: { fixed: 0.5 } })).toBe(false);
    expect(offered({ ...base, likelihood: 'negative-binomial' })).toBe(false);
    expect(offered({ ...base, posterior: 'fullCovariance' })).toBe(false);
    expect(offered({ ...base, prior: { mixture: 2 } })).toBe(false);
    expect(offered({ ...base, encoderScaleTransform: 'softplus' })).toBe(false);
    expect(offered({ ...base, covariates: [{ name: 'batch', kind: 'categorical', levels: 2 }] })).toBe(false);
  });

  it('leaves steps it does not cover to the generic path (several samples, free bits, evaluation)', () => {
    const vae = new VAE(cases[0]!.config);
    const x = tf.tensor2d(cases[0]!.x.data.subarray(0, 4 * 12), [4, 12]);
    try {
      const model = vaeTrainable(vae);
      const ctx: StepContext = { epoch: 1, step: 0, beta: 1, seed: 1, samples: 1, freeBits: 0, training: true };
      const before = tf.memory().numTensors;
      for (const other of [{ samples: 2 }, { freeBits: 0.1 }, { training: false }]) {
        expect(model.fusedGradients!({ x }, { ...ctx, ...other })).toBeUndefined();
      }
      expect(model.fusedGradients!({ x, covariates: x }, ctx)).toBeUndefined();
      expect(tf.memory().numTensors).toBe(before);
      const out = model.fusedGradients!({ x }, ctx)!;
      expect(out.grads.size).toBe(vae.namedVariables().size);
      tf.dispose([out.terms.loss, out.terms.reconstruction!, out.terms.kl!, ...out.grads.values()]);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      x.dispose();
      vae.dispose();
    }
  });

  it('frees everything when a kernel throws mid-step', () => {
    const vae = new VAE(cases[0]!.config);
    const x = tf.tensor2d(cases[0]!.x.data.subarray(0, 4 * 12), [4, 12]);
    const backend = tf.getBackend();
    const softplus = tf.getKernel('Softplus', backend)!;
    try {
      const model = vaeTrainable(vae);
      const tensors = tf.memory().numTensors;
      const buffers = tf.engine().backend.numDataIds();
      tf.unregisterKernel('Softplus', backend);
      tf.registerKernel({
        ...softplus,
        kernelFunc: () => {
          throw new Error('kernel failed');
        },
      });
      const ctx: StepContext = { epoch: 1, step: 0, beta: 1, seed: 1, samples: 1, freeBits: 0, training: true };
      expect(() => model.fusedGradients!({ x }, ctx)).toThrow('kernel failed');
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.engine().backend.numDataIds()).toBe(buffers);
    } finally {
      tf.unregisterKernel('Softplus', backend);
      tf.registerKernel(softplus);
      x.dispose();
      vae.dispose();
    }
  });
});
