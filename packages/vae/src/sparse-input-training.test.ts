import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  type Matrix,
  mulberry32,
  SPARSE_INPUT_DENSE_BACKWARD_KERNEL,
  SPARSE_INPUT_DENSE_KERNEL,
} from '@varia/core';
import type { Network } from '@varia/layers';
import { mnist, mnistCounts } from '@varia/datasets';
import { nativeKernelsProblem } from '@varia/native-kernels';
import { describe, expect, it } from 'vitest';
import type { VAEConfig } from './config.js';
import type { FitOptions } from './fit.js';
import { SPARSE_INPUT_TRAINING_DENSITY } from './sparse-input-training.js';
import { kernelCalls, onNativeWasm, train } from './test-utils/fused-step-cases.js';
import { bars, counts, expectSameWeights, removeTempDirs, tempDir, weightValues } from './test-utils/helpers.js';
import type { StepContext } from './trainer/trainable-model.js';
import { VAE } from './vae.js';
import { vaeTrainable } from './vae-trainable.js';

// fit's `sparseInput`: the encoder's first layer of a training step from the batch's non-zeros, on wasm with the
// native zero-skipping kernels — close to the dense path (float32 rounding), the same bits on the fused and taped
// paths, the dense path where it does not apply, and no leaks.
const problem = nativeKernelsProblem();
if (problem) console.warn(`sparseInput training tests skipped: ${problem}`);

/** Cells of `m` that are not zero, ÷ all cells. */
function density(m: Matrix): number {
  let nz = 0;
  for (const v of m.data) if (v !== 0) nz++;
  return nz / m.data.length;
}

/** Counts with about `keep` of the cells non-zero (a seeded mask over `counts`). */
function sparseCounts(n: number, dim: number, keep: number, seed: number): Matrix {
  const c = counts(n, dim, seed);
  const rng = mulberry32(seed + 1);
  return { ...c, data: Float32Array.from(c.data, (v) => (rng() < keep ? v + 1 : 0)) };
}

/** Binary rows with about `p` of the cells 1. */
function binaryAt(n: number, dim: number, p: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  return { data: Float32Array.from({ length: n * dim }, () => (rng() < p ? 1 : 0)), rows: n, cols: dim };
}

const bernoulli: VAEConfig = {
  inputDim: 64,
  latentDim: 3,
  hiddenUnits: [24],
  likelihood: 'bernoulli',
  activation: 'relu',
  seed: 3,
};
const poisson: VAEConfig = {
  inputDim: 48,
  latentDim: 2,
  hiddenUnits: [20, 9],
  likelihood: 'poisson',
  inputTransform: 'log1p',
  activation: 'relu',
  seed: 5,
};
const cases = [
  { name: 'bernoulli (bars, 12 % non-zero)', config: bernoulli, x: bars(96, 4) },
  { name: 'poisson with log1p (counts, ~15 % non-zero)', config: poisson, x: sparseCounts(96, 48, 0.15, 2) },
];

/** Every trained variable's gradient of one training step on `x` (fused or taped), as plain arrays by name. */
function stepGradients(config: VAEConfig, x: Matrix, ctx: StepContext, fused: boolean): Map<string, Float32Array> {
  const vae = new VAE(config);
  const batch = { x: tf.tensor2d(x.data, [x.rows, x.cols]) };
  try {
    const model = vaeTrainable(vae);
    if (fused) {
      const g = model.fusedGradients!(batch, ctx)!;
      const out = new Map([...g.grads].sort().map(([name, t]) => [name, Float32Array.from(t.dataSync())]));
      tf.dispose([...g.grads.values(), g.terms.loss, g.terms.reconstruction!, g.terms.kl!]);
      return out;
    }
    const named = vae.namedVariables();
    const names = [...named.keys()].sort();
    const { value, grads } = tf.variableGrads(() => model.lossTerms(batch, ctx).loss, [...named.values()]);
    const out = new Map(names.map((name) => [name, Float32Array.from(grads[named.get(name)!.name]!.dataSync())]));
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  } finally {
    batch.x.dispose();
    vae.dispose();
  }
}

/** A user-written encoder network h = relu(xW) (its first layer is not the built-in MLP's). */
class ReluNetwork implements Network {
  readonly outputDim: number;
  readonly w: tf.Variable;
  constructor(inputDim: number, units: number) {
    this.outputDim = units;
    this.w = tf.tidy(() => tf.variable(tf.randomNormal([inputDim, units], 0, 0.2, 'float32', 1)));
  }
  apply(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => tf.relu(tf.matMul(x as tf.Tensor2D, this.w)) as tf.Tensor2D);
  }
  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return new Map([[`${prefix}/w`, this.w]]);
  }
  /** Kept until the test frees it (the fit helper counts tensors around the model's whole life). */
  dispose(): void {}
}

const ctx: StepContext = { epoch: 1, step: 0, beta: 1, seed: 11, samples: 1, freeBits: 0, training: true };

describe.skipIf(problem !== undefined)("fit's sparseInput: the first encoder layer from the non-zeros", () => {
  onNativeWasm(removeTempDirs);

  for (const c of cases) {
    it(`${c.name}: one step's gradients within float32 rounding of the dense step's, the same bits fused and taped`, () => {
      expect(density(c.x)).toBeLessThan(0.2);
      const dense = stepGradients(c.config, c.x, ctx, true);
      const sparse = stepGradients(c.config, c.x, { ...ctx, sparseInput: true }, true);
      const taped = stepGradients(c.config, c.x, { ...ctx, sparseInput: true }, false);
      expectSameWeights(taped, sparse);
      let differs = false;
      for (const [name, g] of dense) {
        const s = sparse.get(name)!;
        const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        for (let i = 0; i < g.length; i++) {
          expect(Math.abs(s[i]! - g[i]!), `${name}[${i}]`).toBeLessThanOrEqual(1e-5 * scale);
          if (s[i] !== g[i]) differs = true;
        }
      }
      expect(differs).toBe(true); // another summation order: the sparse path really ran
    });

    it(`${c.name}: a short run lands within rounding of the dense run, and the fused and taped runs agree bit for bit`, async () => {
      const options: FitOptions = { epochs: 3, batchSize: 32, seed: 7, validationSplit: 0.25 };
      const dense = await train(c.config, c.x, options);
      let fused: Awaited<ReturnType<typeof train>> | undefined;
      const calls = await kernelCalls(async () => {
        fused = await train(c.config, c.x, { ...options, sparseInput: true });
      });
      const taped = await train(c.config, c.x, { ...options, sparseInput: true, fusedStep: false });
      expectSameWeights(taped.weights, fused!.weights);
      expect(taped.history).toEqual(fused!.history);
      // 72 training rows in batches of 32: 3 steps per epoch, each with one forward and one backward sparse kernel
      expect(calls.get(SPARSE_INPUT_DENSE_BACKWARD_KERNEL)).toBe(9);
      expect(calls.get(SPARSE_INPUT_DENSE_KERNEL)).toBe(9 + 3); // and each epoch's final-state check
      for (const [e, log] of fused!.history.epochs.entries()) {
        expect(log.sparseInputSteps).toBe(3);
        const d = dense.history.epochs[e]!;
        expect(d.sparseInputSteps).toBeUndefined();
        expect(Math.abs(log.loss - d.loss)).toBeLessThan(1e-4 * Math.abs(d.loss));
        expect(Math.abs(log.valLoss! - d.valLoss!)).toBeLessThan(1e-4 * Math.abs(d.valLoss!));
      }
    });
  }

  it("'auto' takes the sparse path for sparse batches and the dense one, bit for bit, for dense-ish batches", async () => {
    const options: FitOptions = { epochs: 2, batchSize: 32, seed: 1, sparseInput: 'auto' };
    const denseish = binaryAt(64, 64, 0.6, 3);
    const mnistLike = binaryAt(64, 64, 0.19, 3);
    expect(SPARSE_INPUT_TRAINING_DENSITY).toBeGreaterThan(0.19);
    expect(SPARSE_INPUT_TRAINING_DENSITY).toBeLessThan(0.6);
    let auto: Awaited<ReturnType<typeof train>> | undefined;
    const denseCalls = await kernelCalls(async () => {
      auto = await train(bernoulli, denseish, options);
    });
    const off = await train(bernoulli, denseish, { ...options, sparseInput: false });
    expect(denseCalls.get(SPARSE_INPUT_DENSE_KERNEL) ?? 0).toBe(0);
    expect(auto!.history.epochs.map((l) => l.sparseInputSteps)).toEqual([0, 0]);
    expectSameWeights(auto!.weights, off.weights);
    const sparseCalls = await kernelCalls(async () => {
      auto = await train(bernoulli, mnistLike, options);
    });
    expect(sparseCalls.get(SPARSE_INPUT_DENSE_BACKWARD_KERNEL)).toBe(4);
    expect(auto!.history.epochs.map((l) => l.sparseInputSteps)).toEqual([2, 2]);
  });

  it("'auto' on real MNIST digits (bernoulli) and their counts (poisson, log1p): every step sparse, losses close", async () => {
    const rows = (m: Matrix): Matrix => ({ data: m.data.slice(0, 256 * 784), rows: 256, cols: 784 });
    for (const [x, likelihood] of [
      [rows(mnist({ split: 'train' }).x), 'bernoulli'],
      [rows(mnistCounts({ split: 'train' }).x), 'poisson'],
    ] as const) {
      expect(density(x)).toBeLessThan(0.25);
      const config: VAEConfig = { inputDim: 784, latentDim: 4, hiddenUnits: [32], likelihood, activation: 'relu' };
      const options: FitOptions = { epochs: 1, batchSize: 128, seed: 5 };
      const auto = await train(config, x, { ...options, sparseInput: 'auto' });
      const dense = await train(config, x, options);
      expect(auto.history.epochs[0]!.sparseInputSteps).toBe(2);
      const [a, d] = [auto.history.epochs[0]!.loss, dense.history.epochs[0]!.loss];
      expect(Math.abs(a - d)).toBeLessThan(1e-4 * Math.abs(d));
    }
  });

  it('runs the dense path, bit for bit, and reports no sparse step where it does not apply', async () => {
    const x = bars(48, 2);
    const options: FitOptions = { epochs: 1, batchSize: 16, seed: 2 };
    // a config maker: a user's network belongs to the model it is given to
    const noSparse = async (config: () => VAEConfig, extra: FitOptions = {}) => {
      let run: Awaited<ReturnType<typeof train>> | undefined;
      const calls = await kernelCalls(async () => {
        run = await train(config(), x, { ...options, ...extra, sparseInput: true });
      });
      const dense = await train(config(), x, { ...options, ...extra });
      expect(calls.get(SPARSE_INPUT_DENSE_KERNEL) ?? 0).toBe(0);
      expect(run!.history.epochs[0]!.sparseInputSteps).toBe(0);
      expectSameWeights(run!.weights, dense.weights);
    };
    await noSparse(() => ({ ...bernoulli, activation: 'tanh' })); // an activation the kernels do not take
    const networks = [new ReluNetwork(64, 12), new ReluNetwork(64, 12)];
    await noSparse(() => ({ ...bernoulli, encoder: networks.pop()! })); // a user's encoder
    networks.forEach((n) => n.w.dispose());
    // an encoder that reads covariates (the fused step does not cover it either)
    const covariates = Array.from({ length: 48 }, (_, i) => [i % 2]);
    await noSparse(
      () => ({ ...bernoulli, covariates: [{ name: 'batch', kind: 'categorical', levels: 2 }], encodeCovariates: true }),
      { covariates },
    );
    // without the kernels (an older native build)
    const configs = [SPARSE_INPUT_DENSE_KERNEL, SPARSE_INPUT_DENSE_BACKWARD_KERNEL].map(
      (k) => tf.getKernel(k, 'wasm')!,
    );
    tf.unregisterKernel(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, 'wasm');
    try {
      await noSparse(() => bernoulli);
      await noSparse(() => bernoulli, { fusedStep: false });
    } finally {
      tf.registerKernel(configs[1]!);
    }
  });

  it('taped steps the fused step does not cover (two samples, free bits) run sparse too', async () => {
    const x = bars(64, 5);
    const options: FitOptions = { epochs: 2, batchSize: 32, seed: 3, samples: 2, freeBits: 0.1 };
    const dense = await train(bernoulli, x, options);
    const sparse = await train(bernoulli, x, { ...options, sparseInput: true });
    expect(sparse.history.epochs.map((l) => l.sparseInputSteps)).toEqual([2, 2]);
    for (const [e, log] of sparse.history.epochs.entries()) {
      expect(Math.abs(log.loss - dense.history.epochs[e]!.loss)).toBeLessThan(1e-4 * dense.history.epochs[e]!.loss);
    }
  });

  it('a checkpoint records the option: resumed with it, the uninterrupted bits; with another value, refused', async () => {
    const x = bars(64, 3);
    const base: FitOptions = { batchSize: 32, seed: 4, sparseInput: true };
    const fitTo = async (epochs: number, extra: FitOptions) => {
      const vae = new VAE(bernoulli);
      try {
        const error = await vae.fit(x, { ...base, epochs, ...extra }).then(
          () => undefined,
          (e: Error) => e,
        );
        return { error, weights: weightValues(vae) };
      } finally {
        vae.dispose();
      }
    };
    const [sparseDir, denseDir] = [await tempDir(), await tempDir()];
    await fitTo(1, { checkpointEvery: 1, checkpointDir: sparseDir });
    await fitTo(1, { checkpointEvery: 1, checkpointDir: denseDir, sparseInput: false });
    const whole = await fitTo(2, {});
    const resumed = await fitTo(2, { resumeFrom: sparseDir });
    expect(resumed.error).toBeUndefined();
    expectSameWeights(resumed.weights, whole.weights);
    for (const [dir, sparseInput] of [
      [sparseDir, false],
      [sparseDir, 'auto'],
      [denseDir, true],
    ] as const) {
      const { error } = await fitTo(2, { resumeFrom: dir, sparseInput });
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toBe('sparseInput');
    }
  });

  it('leaks nothing when a sparse kernel throws mid-run, on either path', async () => {
    const forward = tf.getKernel(SPARSE_INPUT_DENSE_KERNEL, 'wasm')!;
    let calls = 0;
    tf.unregisterKernel(SPARSE_INPUT_DENSE_KERNEL, 'wasm');
    tf.registerKernel({
      ...forward,
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
        if (++calls === 3) throw new Error('kernel failed');
        return forward.kernelFunc(args);
      }) as tf.KernelFunc,
    });
    try {
      for (const fusedStep of [true, false]) {
        calls = 0;
        // train() checks tensors and backend buffers after the model is disposed, also when fit throws
        await expect(
          train(bernoulli, bars(96, 1), { epochs: 1, batchSize: 16, sparseInput: true, fusedStep }),
        ).rejects.toThrow('kernel failed');
      }
    } finally {
      tf.unregisterKernel(SPARSE_INPUT_DENSE_KERNEL, 'wasm');
      tf.registerKernel(forward);
    }
  });
});

describe("fit's sparseInput option: validation", () => {
  it('refuses anything but true, false and auto with an ArgumentError naming the option, before training', async () => {
    const vae = new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: [3], likelihood: 'bernoulli' });
    const x = binaryAt(8, 4, 0.5, 1);
    try {
      for (const bad of ['on', null, 1, 'AUTO', {}]) {
        const before = vae.namedVariables().get('encoder/0/kernel')!.dataSync().slice();
        const e = await vae.fit(x, { epochs: 1, sparseInput: bad as never }).catch((err: unknown) => err);
        expect(e).toBeInstanceOf(ArgumentError);
        expect((e as ArgumentError).message).toMatch(/"sparseInput" must be true, false or 'auto'/);
        expect(vae.namedVariables().get('encoder/0/kernel')!.dataSync()).toEqual(before);
      }
    } finally {
      vae.dispose();
    }
  });
});
