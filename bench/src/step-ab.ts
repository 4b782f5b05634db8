#!/usr/bin/env node
/**
 * `node bench/dist/step-ab.js [--likelihood bernoulli|poisson] [--rows N] [--epochs E] [--pairs P] [--parallel N]
 * [--env NAME=VALUE] [--json FILE]`:
 * the fused MNIST training step (batch 128, 784-400-20) on wasm-native with one thread against `--parallel` N
 * (default 2) threads, as interleaved pairs in one process (1, N, N, 1, …). Per side it reports the median ms/step of
 * the runs, the 10th percentile and median of every step's time (from one `onBatchEnd` to the next), the process CPU
 * time per step, and — what a virtual machine charges for — minor page faults, voluntary and involuntary context
 * switches per step (`process.resourceUsage`), and each kernel's ms per step (medians over the runs). Every pair
 * checks that both sides end with the same loss history, bit for bit. With `--env NAME=VALUE` both sides run on
 * `--parallel` N threads and the second has NAME=VALUE in its environment (a switch the native kernels read at each call,
 * e.g. `VARIA_DEFER=0`), set and removed around its runs in the same process. Each switch of thread count starts fresh helper
 * threads (`enableNativeKernels`), which fault in their scratch memory during their first steps. On a machine shared
 * with other work, run it under `chrt -f 50` (root) so that the helper has the other core: else it measures the load.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { mnist, mnistCounts } from '@varia/datasets';
import { selectBackend } from '@varia/playground/backend';
import { VAE } from '@varia/vae';
import { firstRows } from './first-rows.js';
import { startKernelCensus } from './kernel-census.js';
import { median } from './rounds.js';
import { flagValue } from './script-flags.js';
import { MNIST_SHAPE, MNIST_TRAINING } from './workloads.js';

/** One timed fit. */
interface Run {
  msPerStep: number;
  cpuMsPerStep: number;
  faultsPerStep: number;
  /** Minor page faults per step of the calling (JS) thread and of all other threads. */
  mainFaultsPerStep: number;
  otherFaultsPerStep: number;
  voluntaryPerStep: number;
  involuntaryPerStep: number;
  stepMs: number[];
  kernels: Map<string, number>;
  losses: number[];
}

/** Minor page faults so far of this process's threads (Linux /proc; an empty map elsewhere), by thread id. */
function threadFaults(): Map<string, number> {
  const faults = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        // the fields after the command name (in parentheses, which may hold spaces): state is the 3rd, minflt the 10th
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        faults.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]));
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return faults;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function timedFit(
  x: ReturnType<typeof firstRows>,
  likelihood: 'bernoulli' | 'poisson',
  epochs: number,
  parallel: number,
): Promise<Run> {
  await selectBackend('wasm-native', { nativeParallel: parallel });
  const vae = new VAE({
    inputDim: MNIST_SHAPE.inputDim,
    latentDim: MNIST_SHAPE.latentDim,
    hiddenUnits: [MNIST_SHAPE.hidden],
    likelihood,
    activation: 'relu',
    seed: 0,
  });
  try {
    const steps = epochs * Math.ceil(x.rows / MNIST_TRAINING.batchSize);
    const ends: number[] = [];
    const census = startKernelCensus(tf.getBackend());
    const f0 = threadFaults();
    const u0 = process.resourceUsage();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const h = await vae.fit(x, {
      epochs,
      batchSize: MNIST_TRAINING.batchSize,
      learningRate: MNIST_TRAINING.learningRate,
      seed: 0,
      onBatchEnd: () => {
        ends.push(performance.now());
      },
    });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const u1 = process.resourceUsage();
    const f1 = threadFaults();
    let mainFaults = 0;
    let otherFaults = 0;
    for (const [tid, n] of f1) {
      const d = n - (f0.get(tid) ?? 0);
      if (tid === String(process.pid)) mainFaults += d;
      else otherFaults += d;
    }
    const tallies = census.stop();
    return {
      msPerStep: wall / steps,
      cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
      faultsPerStep: (u1.minorPageFault - u0.minorPageFault) / steps,
      mainFaultsPerStep: mainFaults / steps,
      otherFaultsPerStep: otherFaults / steps,
      voluntaryPerStep: (u1.voluntaryContextSwitches - u0.voluntaryContextSwitches) / steps,
      involuntaryPerStep: (u1.involuntaryContextSwitches - u0.involuntaryContextSwitches) / steps,
      stepMs: ends.slice(1).map((t, i) => t - ends[i]!),
      kernels: new Map(tallies.filter((t) => t.calls > 0).map((t) => [t.name, t.ms / steps])),
      losses: h.epochs.map((e) => e.loss),
    };
  } finally {
    vae.dispose();
  }
}

function summary(label: string, runs: Run[]): string[] {
  const steps = runs.flatMap((r) => r.stepMs);
  const m = (f: (r: Run) => number) => median(runs.map(f)) ?? Number.NaN;
  const names = [...new Set(runs.flatMap((r) => [...r.kernels.keys()]))];
  const kernels = names
    .map((name) => ({ name, ms: m((r) => r.kernels.get(name) ?? 0) }))
    .filter((k) => k.ms >= 0.005)
    .sort((a, b) => b.ms - a.ms);
  return [
    `${label}: ${m((r) => r.msPerStep).toFixed(3)} ms/step (runs ${runs.map((r) => r.msPerStep.toFixed(2)).join(', ')}); ` +
      `steps p10 ${quantile(steps, 0.1).toFixed(3)}, median ${quantile(steps, 0.5).toFixed(3)} ms; CPU ${m((r) => r.cpuMsPerStep).toFixed(3)} ms/step; ` +
      `per step ${m((r) => r.faultsPerStep).toFixed(1)} minor faults (JS thread ${m((r) => r.mainFaultsPerStep).toFixed(1)}, others ${m((r) => r.otherFaultsPerStep).toFixed(1)}), ${m((r) => r.voluntaryPerStep).toFixed(1)} voluntary / ` +
      `${m((r) => r.involuntaryPerStep).toFixed(2)} involuntary context switches`,
    ...kernels.map((k) => `  ${k.name.padEnd(28)} ${k.ms.toFixed(3).padStart(7)} ms/step`),
  ];
}

async function main(): Promise<void> {
  const likelihood = (flagValue('--likelihood') ?? 'bernoulli') as 'bernoulli' | 'poisson';
  if (likelihood !== 'bernoulli' && likelihood !== 'poisson')
    throw new Error(`--likelihood must be bernoulli or poisson, got ${likelihood}`);
  const rows = Number(flagValue('--rows') ?? 4096);
  const epochs = Number(flagValue('--epochs') ?? 2);
  const pairs = Number(flagValue('--pairs') ?? 4);
  const parallel = Number(flagValue('--parallel') ?? 2);
  for (const [name, v, lo] of [
    ['--rows', rows, 128],
    ['--epochs', epochs, 1],
    ['--pairs', pairs, 1],
    ['--parallel', parallel, 2],
  ] as const)
    if (!Number.isInteger(v) || v < lo) throw new Error(`${name} must be an integer ≥ ${lo}, got ${v}`);
  const env = flagValue('--env');
  const [envName, envValue] =
    env === undefined ? [] : [env.slice(0, env.indexOf('=')), env.slice(env.indexOf('=') + 1)];
  if (env !== undefined && !/^[A-Z_][A-Z0-9_]*$/.test(envName ?? ''))
    throw new Error(`--env must be NAME=VALUE, got ${env}`);
  const sideA = env === undefined ? 1 : parallel;
  const labelA = `${sideA} thread${sideA > 1 ? 's' : ''}`;
  const labelB = `${parallel} threads${env === undefined ? '' : ` with ${env}`}`;
  const runSide = async (side: 'a' | 'b', fitRows: typeof x, fitEpochs: number): Promise<Run> => {
    if (side === 'b' && envName) process.env[envName] = envValue;
    try {
      return await timedFit(fitRows, likelihood, fitEpochs, side === 'a' ? sideA : parallel);
    } finally {
      if (side === 'b' && envName) delete process.env[envName];
    }
  };
  const data = likelihood === 'bernoulli' ? mnist({ split: 'train' }).x : mnistCounts({ split: 'train' }).x;
  const x = firstRows(data, rows);
  const load0 = os.loadavg()[0]!;
  await runSide('a', firstRows(data, 1024), 1); // warm-up: compile, allocate
  await runSide('b', firstRows(data, 1024), 1);
  const one: Run[] = [];
  const many: Run[] = [];
  const ratios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const order = p % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
    const got: Partial<Record<'a' | 'b', Run>> = {};
    for (const side of order) got[side] = await runSide(side, x, epochs);
    const a = got.a!;
    const b = got.b!;
    if (a.losses.some((l, i) => !Object.is(l, b.losses[i])))
      throw new Error(`pair ${p}: the loss histories differ (${a.losses} against ${b.losses})`);
    one.push(a);
    many.push(b);
    ratios.push(a.msPerStep / b.msPerStep);
  }
  const lines = [
    `${likelihood} MNIST ${x.rows} rows × ${epochs} epochs, ${pairs} interleaved pairs; load ${load0.toFixed(2)} → ${os.loadavg()[0]!.toFixed(2)}`,
    ...summary(labelA, one),
    ...summary(labelB, many),
    `speed-up of ${labelB}: median ${median(ratios)!.toFixed(3)}× (pairs ${ratios.map((r) => r.toFixed(2)).join(', ')}); ` +
      `steps p10 ${(
        quantile(
          one.flatMap((r) => r.stepMs),
          0.1,
        ) /
          quantile(
            many.flatMap((r) => r.stepMs),
            0.1,
          )
      ).toFixed(3)}×; same bits in every pair`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = flagValue('--json');
  if (out)
    writeFileSync(
      out,
      `${JSON.stringify({ likelihood, rows: x.rows, epochs, pairs, parallel, env, load0, ratios, one, many }, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v), 2)}\n`,
    );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`step-ab failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
