#!/usr/bin/env node
/**
 * `node bench/dist/fused-ab.js [--workloads a,b] [--pairs 5] [--rows N] [--parallel N]
 * [--compare fused|parallel|sparse] [--sparse-input true|auto] [--busy-core]`:
 * the fused (tape-free) training step against the generic taped one (`fit`'s `fusedStep: false`) on wasm-native with
 * `parallel` N (default 1) — or, with `--compare parallel`, the fused step on one thread against N threads sharing
 * the products (`enableNativeKernels({ parallel: N })`), or, with `--compare sparse`, the fused step against the fused
 * step with `fit`'s `sparseInput` (`--sparse-input`, default true: the first encoder layer from the non-zeros) — as
 * interleaved pairs in one process (A, B, B, A, …): per
 * pair the speed-up of B over A in wall and process CPU time, the medians, and the load average. Each pair also checks
 * that both runs end with the same loss history (bit-identical; with `--compare sparse` within 1e-4 relative, the
 * float32 rounding of another summation order, and B's history must report sparse steps). It also times every step
 * (from one `onBatchEnd` to the next) and reports B's speed-up at the 10th percentile and the median of all steps of
 * each side: on a busy machine the fast steps are the ones no other process interrupted, and their ratio is far
 * steadier than that of whole runs. `--busy-core` runs a busy loop in a child process during the pairs (another
 * program using one core). `--json FILE` writes the figures.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Matrix } from '@varia/core';
import { mnist, mnistCounts, toyGaussian2d } from '@varia/datasets';
import { selectBackend } from '@varia/playground/backend';
import { VAE } from '@varia/vae';
import { firstRows } from './first-rows.js';
import { median } from './rounds.js';
import { MNIST_SHAPE, MNIST_TRAINING, TOY_TRAINING } from './workloads.js';
import { flagValue } from './script-flags.js';

const WORKLOADS = ['mnist-vae-train', 'mnist-vae-train-poisson', 'toy2d-seed'] as const;
type Workload = (typeof WORKLOADS)[number];

/** One timed fit. */
interface Run {
  msPerStep: number;
  cpuMsPerStep: number;
  losses: number[];
  /** Steps whose first encoder layer ran from the non-zeros (with the sparseInput option). */
  sparseInputSteps?: number;
  /** Each step's wall time (ms), from one batch's end to the next (the first step has none). */
  stepMs: number[];
}

function workloadSetup(workload: Workload, rows: number) {
  if (workload === 'toy2d-seed') {
    const x = toyGaussian2d({ seed: 0 }).x;
    return {
      x,
      epochs: 5,
      steps: 5 * Math.ceil(x.rows / TOY_TRAINING.batchSize),
      fit: { batchSize: TOY_TRAINING.batchSize, learningRate: TOY_TRAINING.learningRate },
      model: () =>
        new VAE({
          inputDim: 2,
          latentDim: TOY_TRAINING.latentDim,
          hiddenUnits: TOY_TRAINING.hidden,
          likelihood: 'gaussian',
          seed: 0,
        }),
    };
  }
  const poisson = workload === 'mnist-vae-train-poisson';
  const x: Matrix = firstRows(poisson ? mnistCounts({ split: 'train' }).x : mnist({ split: 'train' }).x, rows);
  return {
    x,
    epochs: 1,
    steps: Math.ceil(x.rows / MNIST_TRAINING.batchSize),
    fit: MNIST_TRAINING,
    model: () =>
      new VAE({
        inputDim: MNIST_SHAPE.inputDim,
        latentDim: MNIST_SHAPE.latentDim,
        hiddenUnits: [MNIST_SHAPE.hidden],
        likelihood: poisson ? 'poisson' : 'bernoulli',
        activation: 'relu',
        seed: 0,
      }),
  };
}

/** One side of a pair: the fused step or not, and the threads sharing each large product. */
interface Contender {
  fusedStep: boolean;
  parallel: number;
  sparseInput?: boolean | 'auto';
}

let activeParallel: number | undefined;

async function timedFit(setup: ReturnType<typeof workloadSetup>, c: Contender): Promise<Run> {
  if (activeParallel !== c.parallel) {
    await selectBackend('wasm-native', { nativeParallel: c.parallel });
    activeParallel = c.parallel;
  }
  const vae = setup.model();
  try {
    const ends: number[] = [];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const h = await vae.fit(setup.x, {
      epochs: setup.epochs,
      ...setup.fit,
      seed: 0,
      fusedStep: c.fusedStep,
      sparseInput: c.sparseInput ?? false,
      onBatchEnd: () => {
        ends.push(performance.now());
      },
    });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    return {
      msPerStep: wall / setup.steps,
      cpuMsPerStep: (cpu.user + cpu.system) / 1000 / setup.steps,
      losses: h.epochs.map((e) => e.loss),
      stepMs: ends.slice(1).map((t, i) => t - ends[i]!),
      ...(c.sparseInput ? { sparseInputSteps: h.epochs.reduce((s, e) => s + (e.sparseInputSteps ?? 0), 0) } : {}),
    };
  } finally {
    vae.dispose();
  }
}

/**
 * The two runs trained the same model: the same losses, bit for bit — or, when only B runs its first layer from the
 * non-zeros, losses within 1e-4 relative and B's history reporting sparse steps (else the pair would time nothing).
 */
function checkSameTraining(workload: string, a: Contender, b: Contender, ra: Run, rb: Run): void {
  if ((a.sparseInput ?? false) === (b.sparseInput ?? false)) {
    if (ra.losses.join() !== rb.losses.join()) throw new Error(`${workload}: the two runs' losses differ`);
    return;
  }
  ra.losses.forEach((loss, i) => {
    if (!(Math.abs(rb.losses[i]! - loss) <= 1e-4 * Math.abs(loss)))
      throw new Error(
        `${workload}: epoch ${i + 1}'s loss ${rb.losses[i]} with sparse input is not within 1e-4 of ${loss}`,
      );
  });
  if (!rb.sparseInputSteps) throw new Error(`${workload}: no step ran its first layer from the non-zeros`);
}

/** Pairs of contenders A and B for one workload, alternating which runs first; B's speed-up over A. */
async function abPairs(workload: Workload, pairs: number, rows: number, a: Contender, b: Contender) {
  const setup = workloadSetup(workload, rows);
  await timedFit(setup, a);
  await timedFit(setup, b);
  const out: { a: Run; b: Run; speedup: number; speedupCpu: number; load: number }[] = [];
  for (let p = 0; p < pairs; p++) {
    const bFirst = p % 2 === 1;
    const first = await timedFit(setup, bFirst ? b : a);
    const second = await timedFit(setup, bFirst ? a : b);
    const [ra, rb] = bFirst ? [second, first] : [first, second];
    checkSameTraining(workload, a, b, ra, rb);
    out.push({
      a: ra,
      b: rb,
      speedup: ra.msPerStep / rb.msPerStep,
      speedupCpu: ra.cpuMsPerStep / rb.cpuMsPerStep,
      load: os.loadavg()[0]!,
    });
  }
  return {
    workload,
    steps: setup.steps,
    pairs: out,
    medianSpeedup: median(out.map((p) => p.speedup)),
    medianSpeedupCpu: median(out.map((p) => p.speedupCpu)),
    medianMsA: median(out.map((p) => p.a.msPerStep)),
    medianMsB: median(out.map((p) => p.b.msPerStep)),
    ...stepQuantileSpeedups(
      out.flatMap((p) => p.a.stepMs),
      out.flatMap((p) => p.b.stepMs),
    ),
  };
}

/** The value below which a fraction `q` of the values lie (the sorted values' element at ⌊q·n⌋, clamped). */
function quantile(values: readonly number[], q: number): number {
  const xs = [...values].sort((u, v) => u - v);
  return xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? Number.NaN;
}

/** B's speed-up over A at the 10th percentile and the median of all their steps' wall times. */
function stepQuantileSpeedups(a: readonly number[], b: readonly number[]) {
  return {
    stepP10Speedup: quantile(a, 0.1) / quantile(b, 0.1),
    stepMedianSpeedup: quantile(a, 0.5) / quantile(b, 0.5),
  };
}

/** Starts a child process that keeps one core busy until it is killed: another program on a shared machine. */
function startBusyCore(): () => void {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  const stop = () => child.kill('SIGKILL');
  process.once('exit', stop);
  return stop;
}

const label = (c: Contender): string =>
  `${c.fusedStep ? 'fused' : 'taped'}${c.sparseInput ? ` sparse input (${c.sparseInput})` : ''}${
    c.parallel > 1 ? ` ×${c.parallel} threads` : ''
  }`;

async function main(): Promise<void> {
  const parallel = Number(flagValue('--parallel') ?? 1);
  const compare = flagValue('--compare') ?? 'fused';
  if (compare !== 'fused' && compare !== 'parallel' && compare !== 'sparse')
    throw new Error(`--compare must be fused, parallel or sparse, got ${compare}`);
  const sparseFlag = flagValue('--sparse-input') ?? 'true';
  if (sparseFlag !== 'true' && sparseFlag !== 'auto')
    throw new Error(`--sparse-input must be true or auto, got ${sparseFlag}`);
  const contenders: Record<string, [Contender, Contender]> = {
    fused: [
      { fusedStep: false, parallel },
      { fusedStep: true, parallel },
    ],
    parallel: [
      { fusedStep: true, parallel: 1 },
      { fusedStep: true, parallel },
    ],
    sparse: [
      { fusedStep: true, parallel },
      { fusedStep: true, parallel, sparseInput: sparseFlag === 'auto' ? 'auto' : true },
    ],
  };
  const [a, b] = contenders[compare]!;
  const selection = await selectBackend('wasm-native', { nativeParallel: a.parallel });
  activeParallel = a.parallel;
  const names = (flagValue('--workloads')?.split(',') ?? [...WORKLOADS]) as Workload[];
  for (const n of names) if (!WORKLOADS.includes(n)) throw new Error(`unknown workload ${n}; known: ${WORKLOADS}`);
  const pairs = Number(flagValue('--pairs') ?? 5);
  const rows = Number(flagValue('--rows') ?? 4096);
  const results = [];
  const load0 = os.loadavg()[0]!;
  const busyCore = process.argv.includes('--busy-core');
  const stopBusy = busyCore ? startBusyCore() : undefined;
  for (const w of names) {
    const r = await abPairs(w, pairs, rows, a, b);
    results.push(r);
    const fmt = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(2));
    process.stdout.write(
      `${w}: ${r.steps} steps/run; ms/step ${label(a)} ${fmt(r.medianMsA)}, ${label(b)} ${fmt(r.medianMsB)}; ` +
        `speed-up ${fmt(r.medianSpeedup)}× wall, ${fmt(r.medianSpeedupCpu)}× CPU; per step ${fmt(r.stepP10Speedup)}× at ` +
        `p10, ${fmt(r.stepMedianSpeedup)}× at the median${busyCore ? ', a busy loop on one core' : ''} (pairs: ${r.pairs
          .map((p) => `${p.speedup.toFixed(2)}/${p.speedupCpu.toFixed(2)}`)
          .join(', ')}; load ${r.pairs.map((p) => p.load.toFixed(1)).join(', ')})\n`,
    );
  }
  stopBusy?.();
  const out = flagValue('--json');
  const backend = `${selection.candidate}${selection.native ? ` (${selection.native.description})` : ''}`;
  if (out) writeFileSync(out, `${JSON.stringify({ backend, a, b, busyCore, loadAtStart: load0, results }, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`fused-ab failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
