#!/usr/bin/env node
/**
 * `node bench/dist/profile-step.js [--backend wasm-native] [--likelihood bernoulli|poisson|gaussian-toy] [--rows N]
 * [--fused on|off] [--parallel N] [--sparse-input on|auto|off]`:
 * the kernels of one `VAE.fit` training step — how many run per step, the time of each kind, and the share of the
 * step spent outside the matrix products (BLAS) — for the mnist-vae-train model (or toy2d with `gaussian-toy`), with
 * the fused (tape-free) step where the model has one (`--fused off`: the generic taped path, `fit`'s `fusedStep: false`).
 * `--parallel N` (wasm-native only): N threads share the large products and passes (`enableNativeKernels({ parallel: N })`).
 * `--sparse-input on|auto` runs the encoder's first layer from the batch's non-zeros (`fit`'s `sparseInput: true` or
 * `'auto'`; default off) and reports how many of the timed steps took it.
 * Prints a table; `--json FILE` writes the figures.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { MLP_VAE_STEP_KERNEL, type Matrix } from '@varia/core';
import { mnist, mnistCounts, toyGaussian2d } from '@varia/datasets';
import { type BackendRequest, selectBackend } from '@varia/playground/backend';
import { VAE } from '@varia/vae';
import { BLAS_KERNELS, startKernelCensus } from './kernel-census.js';
import { MNIST_SHAPE, MNIST_TRAINING, TOY_TRAINING } from './workloads.js';
import { flagValue, parallelFlag } from './script-flags.js';

/** What {@link profileStep} measured. */
export interface StepProfile {
  backend: string;
  workload: string;
  steps: number;
  msPerStep: number;
  kernelsPerStep: number;
  /**
   * Share of the step's wall time not inside the matrix-product kernels ({@link BLAS_KERNELS}). Where the step is one
   * `MLP_VAE_STEP_KERNEL` call (its products inside), the share measured on the same step run kernel by kernel.
   */
  shareOutsideBlas: number;
  /** Where the step is one `MLP_VAE_STEP_KERNEL` call: the kernels per step of the same step run kernel by kernel. */
  partsPerStep?: number;
  /** Share of the wall time inside any kernel (the rest is JavaScript: tape, engine bookkeeping, fit's loop). */
  shareInKernels: number;
  kernels: { name: string; perStep: number; msPerStep: number }[];
}

/** A fit under the kernel census: the tallies, its wall time (ms) and its history. */
async function censusOf(train: () => ReturnType<VAE['fit']>, backendName: string) {
  const census = startKernelCensus(backendName);
  const t0 = performance.now();
  let history: Awaited<ReturnType<VAE['fit']>>;
  try {
    history = await train();
  } catch (e) {
    census.stop();
    throw e;
  }
  const wall = performance.now() - t0;
  return { tallies: census.stop(), wall, history };
}

function firstRows(m: Matrix, n: number): Matrix {
  return n >= m.rows ? m : { data: m.data.subarray(0, n * m.cols), rows: n, cols: m.cols };
}

/** Profiles `fit` on `data` (after a warm-up fit) for the given model. */
export async function profileStep(
  workload: 'bernoulli' | 'poisson' | 'gaussian-toy',
  rows: number,
  backendName: string,
  fusedStep = true,
  sparseInput: boolean | 'auto' = false,
): Promise<Omit<StepProfile, 'backend'> & { sparseInputSteps?: number }> {
  const toy = workload === 'gaussian-toy';
  const data = toy
    ? toyGaussian2d({ seed: 0 }).x
    : firstRows(workload === 'bernoulli' ? mnist({ split: 'train' }).x : mnistCounts({ split: 'train' }).x, rows);
  const batchSize = toy ? TOY_TRAINING.batchSize : MNIST_TRAINING.batchSize;
  const learningRate = toy ? TOY_TRAINING.learningRate : MNIST_TRAINING.learningRate;
  const vae = toy
    ? new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: TOY_TRAINING.hidden, likelihood: 'gaussian', seed: 0 })
    : new VAE({
        inputDim: MNIST_SHAPE.inputDim,
        latentDim: MNIST_SHAPE.latentDim,
        hiddenUnits: [MNIST_SHAPE.hidden],
        likelihood: workload,
        activation: 'relu',
        seed: 0,
      });
  try {
    await vae.fit(firstRows(data, Math.min(data.rows, 2048)), {
      epochs: 1,
      batchSize,
      learningRate,
      seed: 1,
      fusedStep,
      sparseInput,
    });
    const train = () => vae.fit(data, { epochs: 1, batchSize, learningRate, seed: 0, fusedStep, sparseInput });
    const steps = Math.ceil(data.rows / batchSize);
    const whole = await censusOf(train, backendName);
    // the whole step in one kernel hides its products: their share from the same step kernel by kernel
    const step = tf.getKernel(MLP_VAE_STEP_KERNEL, backendName);
    const wholeRan = whole.tallies.some((t) => t.name === MLP_VAE_STEP_KERNEL);
    let parts: Awaited<ReturnType<typeof censusOf>> | undefined;
    if (wholeRan && step) {
      tf.unregisterKernel(MLP_VAE_STEP_KERNEL, backendName);
      try {
        parts = await censusOf(train, backendName);
      } finally {
        tf.registerKernel(step);
      }
    }
    const { tallies, wall, history: h } = whole;
    const calls = tallies.reduce((s, t) => s + t.calls, 0);
    const inKernels = tallies.reduce((s, t) => s + t.ms, 0);
    const blasShare = (c: typeof whole) =>
      c.tallies.filter((t) => BLAS_KERNELS.has(t.name)).reduce((s, t) => s + t.ms, 0) / c.wall;
    return {
      workload: toy ? 'toy2d-seed' : workload === 'bernoulli' ? 'mnist-vae-train' : 'mnist-vae-train-poisson',
      steps,
      msPerStep: wall / steps,
      kernelsPerStep: calls / steps,
      shareOutsideBlas: 1 - blasShare(parts ?? whole),
      ...(parts && { partsPerStep: parts.tallies.reduce((s, t) => s + t.calls, 0) / steps }),
      shareInKernels: inKernels / wall,
      kernels: tallies.map((t) => ({ name: t.name, perStep: t.calls / steps, msPerStep: t.ms / steps })),
      ...(h.epochs[0]?.sparseInputSteps !== undefined && { sparseInputSteps: h.epochs[0].sparseInputSteps }),
    };
  } finally {
    vae.dispose();
  }
}

async function main(): Promise<void> {
  const parallel = parallelFlag(flagValue('--parallel'));
  const selection = await selectBackend((flagValue('--backend') ?? 'wasm-native') as BackendRequest, {
    nativeParallel: parallel,
  });
  const workloads = ['bernoulli', 'poisson', 'gaussian-toy'] as const;
  const workload = (flagValue('--likelihood') ?? 'bernoulli') as (typeof workloads)[number];
  if (!workloads.includes(workload))
    throw new Error(`--likelihood must be one of ${workloads.join(', ')}, got ${workload}`);
  const fusedFlag = flagValue('--fused') ?? 'on';
  if (fusedFlag !== 'on' && fusedFlag !== 'off') throw new Error(`--fused must be on or off, got ${fusedFlag}`);
  const fused = fusedFlag === 'on';
  const sparseFlag = flagValue('--sparse-input') ?? 'off';
  if (sparseFlag !== 'on' && sparseFlag !== 'auto' && sparseFlag !== 'off')
    throw new Error(`--sparse-input must be on, auto or off, got ${sparseFlag}`);
  const sparseInput = sparseFlag === 'auto' ? 'auto' : sparseFlag === 'on';
  const p = await profileStep(workload, Number(flagValue('--rows') ?? 4096), tf.getBackend(), fused, sparseInput);
  const backend = `${selection.candidate}${selection.native ? ` (${selection.native.description})` : ''}`;
  const lines = [
    `${p.workload} on ${backend} (fused step ${fused ? 'on' : 'off'}${
      p.sparseInputSteps === undefined ? '' : `, sparse input ${sparseFlag}: ${p.sparseInputSteps} steps took it`
    }): ${p.steps} steps, ${p.msPerStep.toFixed(2)} ms/step, ${p.kernelsPerStep.toFixed(1)} kernels/step${
      p.partsPerStep === undefined
        ? ''
        : ` (the step one ${MLP_VAE_STEP_KERNEL}; ${p.partsPerStep.toFixed(1)} kernel by kernel)`
    }`,
    `share of the step outside BLAS${p.partsPerStep === undefined ? '' : ' (kernel by kernel)'}: ${(100 * p.shareOutsideBlas).toFixed(1)} %; inside kernels: ${(100 * p.shareInKernels).toFixed(1)} %`,
    '',
    'kernel                       per step   ms/step',
    ...p.kernels.map(
      (k) => `${k.name.padEnd(28)} ${k.perStep.toFixed(2).padStart(8)}  ${k.msPerStep.toFixed(3).padStart(8)}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = flagValue('--json');
  if (out) writeFileSync(out, `${JSON.stringify({ backend, ...p }, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`profile failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
