#!/usr/bin/env node
/**
 * `pnpm bench`: measures varia against a hand-written tfjs loop, a naive tf.layers version and PyTorch, prints a table
 * and writes `bench/results/latest.json`. Progress goes to stderr, the table to stdout.
 *
 * Flags: --backend auto|node-gpu|node|wasm-native|wasm|wasm-threaded|cpu   --only name[,name]   --baselines key[,key]
 *        --quick (small sizes, a smoke run)   --no-torch   --no-threaded   --no-plain   --no-memory   --out FILE
 *        --sparse-rows N (rows of the sparse-1m matrix: default 100,000, 10,000 with --quick; full size 1,000,000)
 *        --rounds N (varia and PyTorch 1 thread alternated N times, median of the per-pair ratios; default 3, quick 1)
 *        --parallel N (wasm-native: N threads share each large product in blocks; default 1)
 *        --no-two-core (skip the child run of mnist-vae-train with --parallel <cores>)
 *        --no-census (skip the kernel census: kernels per step and the share outside BLAS, wasm backends)
 *        --no-browser (skip the playground page's MNIST run in headless Chromium, apps/playground/scripts/browser-bench.mjs)
 *
 * On wasm-native (the default where @varia/native-kernels works), varia and the tf.layers version are also run on
 * plain wasm in a child process of the same run, as the baselines `varia_plain_wasm` and `tf_layers_plain_wasm`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '@varia/core';
import { mnist, mnistCounts, toyGaussian2d } from '@varia/datasets';
import { type BackendRequest, BACKEND_REQUESTS, selectBackend } from '@varia/playground/backend';
import {
  type BaselineResult,
  type Figures,
  formatRounds,
  formatTable,
  mib,
  speedup,
  speedupCpu,
  type WorkloadResult,
} from './report.js';
import { type BrowserResult, formatBrowser, runBrowserBench } from './browser.js';
import { profileStep, type StepProfile } from './profile-step.js';
import { interleavedRounds, median } from './rounds.js';
import { memoryAfterRun } from './memory-probe.js';
import { formatSparse, sparseRowsFlag, sparseWorkloadInChild } from './sparse-workload.js';
import { probeTorch, runTorch } from './torch.js';
import {
  MNIST_SHAPE,
  MNIST_TRAINING,
  type RunSizes,
  TOY_TRAINING,
  baselineEncode,
  baselineToy,
  handWrittenTrain,
  naiveTrain,
  type Timing,
  variaEncode,
  variaMemoryTrace,
  variaToy,
  variaTrain,
} from './workloads.js';

const WORKLOADS = [
  'mnist-vae-train',
  'mnist-vae-train-poisson',
  'mnist-vae-encode',
  'toy2d-seed',
  'sparse-1m',
] as const;
type WorkloadName = (typeof WORKLOADS)[number];

interface Args {
  backend: BackendRequest;
  only: Set<WorkloadName>;
  baselines?: Set<string>;
  quick: boolean;
  torch: boolean;
  threaded: boolean;
  plain: boolean;
  memory: boolean;
  /** Rows of the sparse-1m matrix (default 100,000; 10,000 with --quick; the full size is 1,000,000). */
  sparseRows?: number;
  browser: boolean;
  twoCore: boolean;
  census: boolean;
  parallel: number;
  out: string;
  /** Interleaved varia/PyTorch pairs per workload (undefined: 3, or 1 with --quick). */
  rounds?: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_OUT = join(here, '..', 'results', 'latest.json');

function parseArgs(argv: string[]): Args {
  const args: Args = {
    backend: 'auto',
    only: new Set(WORKLOADS),
    quick: false,
    torch: true,
    threaded: true,
    plain: true,
    memory: true,
    browser: true,
    twoCore: true,
    census: true,
    parallel: 1,
    out: DEFAULT_OUT,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--backend') {
      const b = value() as BackendRequest;
      if (!BACKEND_REQUESTS.includes(b))
        throw new Error(`--backend must be one of ${BACKEND_REQUESTS.join(', ')}, got ${b}`);
      args.backend = b;
    } else if (a === '--only') {
      const names = value().split(',');
      for (const n of names)
        if (!(WORKLOADS as readonly string[]).includes(n))
          throw new Error(`--only: unknown workload ${n}; known: ${WORKLOADS.join(', ')}`);
      args.only = new Set(names as WorkloadName[]);
    } else if (a === '--baselines') args.baselines = new Set(value().split(','));
    else if (a === '--quick') args.quick = true;
    else if (a === '--no-torch') args.torch = false;
    else if (a === '--no-threaded') args.threaded = false;
    else if (a === '--no-plain') args.plain = false;
    else if (a === '--no-memory') args.memory = false;
    else if (a === '--sparse-rows') args.sparseRows = sparseRowsFlag(value());
    else if (a === '--no-browser') args.browser = false;
    else if (a === '--no-two-core') args.twoCore = false;
    else if (a === '--no-census') args.census = false;
    else if (a === '--parallel') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 8)
        throw new Error(`--parallel must be an integer from 1 to 8, got ${n}`);
      args.parallel = n;
    } else if (a === '--out') args.out = value();
    else if (a === '--rounds') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error(`--rounds must be a positive integer, got ${n}`);
      args.rounds = n;
    } else throw new Error(`unknown flag ${a}`);
  }
  return args;
}

const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

function firstRows(m: Matrix, n: number): Matrix {
  return n >= m.rows ? m : { data: m.data.subarray(0, n * m.cols), rows: n, cols: m.cols };
}

function timingBaseline(t: Timing, note?: string): BaselineResult {
  return {
    examples_per_sec: t.examplesPerSec,
    seconds: t.seconds,
    cpu_seconds: t.cpuSeconds,
    examples: t.examples,
    loss: t.loss,
    ...(note ? { note } : {}),
  };
}

function finish(w: WorkloadResult): WorkloadResult {
  // peak RSS and tf.memory() after every workload (training workloads recorded theirs after varia's run)
  w.memory ??= memoryAfterRun();
  for (const b of Object.values(w.baselines)) {
    if (b.skipped) continue;
    b.speedup = speedup(w.metric, w, b);
    if (!b.multithreaded && !w.multithreaded) b.speedup_cpu = speedupCpu(w.metric, w, b);
  }
  const s = (k: string, cpu = false): number | undefined =>
    cpu ? w.baselines[k]?.speedup_cpu : w.baselines[k]?.speedup;
  const inv = (v: number | undefined): number | undefined => (v ? 1 / v : undefined);
  const hand = w.baselines.hand_written;
  const handDefault = w.baselines.hand_written_default_grad;
  w.ratios = {
    // varia's time ÷ the hand-written loop's time (target ≤ 1.05)
    library_overhead: inv(s('hand_written')),
    library_overhead_cpu: inv(s('hand_written', true)),
    speedup_vs_tf_layers: s('tf_layers'),
    speedup_vs_tf_layers_cpu: s('tf_layers', true),
    transpose_free_vs_default_grad:
      hand && handDefault && !handDefault.skipped ? speedup(w.metric, hand, handDefault) : undefined,
    transpose_free_vs_default_grad_cpu:
      hand && handDefault && !handDefault.skipped ? speedupCpu(w.metric, hand, handDefault) : undefined,
    speedup_vs_plain_wasm: s('varia_plain_wasm'),
    speedup_vs_plain_wasm_cpu: s('varia_plain_wasm', true),
    speedup_vs_tf_layers_plain_wasm: s('tf_layers_plain_wasm'),
    speedup_vs_tf_layers_plain_wasm_cpu: s('tf_layers_plain_wasm', true),
    vs_torch_1_thread: s('torch_1_thread'),
    vs_torch_1_thread_cpu: s('torch_1_thread', true),
    vs_torch_all_threads: s('torch_all_threads'),
    vs_torch_1_thread_median: median(w.torch_rounds?.map((r) => r.speedup) ?? []),
    vs_torch_1_thread_cpu_median: median(w.torch_rounds?.map((r) => r.speedup_cpu) ?? []),
    vs_torch_best_threads: minDefined(s('torch_1_thread'), s('torch_all_threads')),
  };
  return w;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const loadStart = os.loadavg();
  const selection = await selectBackend(args.backend, { nativeParallel: args.parallel });
  const skipped = selection.attempts
    .filter((a) => !a.ok)
    .map((a) => ({ candidate: a.candidate, reason: a.reason ?? '' }));
  const nativeName =
    selection.native && (selection.native.library === 'onednn' ? `oneDNN ${selection.native.version}` : 'OpenBLAS');
  const backend =
    selection.candidate === 'wasm-threaded'
      ? `wasm (${selection.threads} threads)`
      : selection.native
        ? `wasm-native (${nativeName}, ${selection.native.parallel > 1 ? `${selection.native.parallel} thr sharing blocks` : `${selection.native.threads} thr`})`
        : selection.backend;
  log(`backend: ${backend}; tfjs ${tf.version.tfjs}; node ${process.version}; ${os.availableParallelism()} cores`);
  for (const s of skipped) log(`skipped ${s.candidate}: ${s.reason}`);
  // The CPU-time figures are comparable only for single-threaded contenders.
  const multithreaded = !(
    selection.candidate === 'wasm' ||
    selection.candidate === 'cpu' ||
    (selection.candidate === 'wasm-native' && selection.native?.threads === 1 && selection.native.parallel === 1)
  );
  const want = (k: string): boolean => !args.baselines || args.baselines.has(k);
  const torchProbe = args.torch ? probeTorch() : { skipped: 'disabled with --no-torch' };
  if ('skipped' in torchProbe) log(`PyTorch skipped: ${torchProbe.skipped}`);
  const torchOk = 'version' in torchProbe && (want('torch_1_thread') || want('torch_all_threads'));
  const allThreads = os.availableParallelism();

  const q = args.quick;
  // The warm-up must be long enough for V8 to optimize tfjs's JS paths (measured: a 1,024-example warm-up left the first
  // timed contender ~20% slow for a whole epoch), and 2 timed epochs average out the per-fit setup.
  const sizes: RunSizes = {
    warmupExamples: q ? 256 : 4096,
    epochs: q ? 1 : 2,
    slowBaselineExamples: q ? 512 : 4000,
    encodeRepeats: q ? 1 : 3,
  };
  const trainRows = q ? 1024 : 8000;

  const rounds = args.rounds ?? (q ? 1 : 3);
  const figures = (t: Timing): Figures => ({
    examples_per_sec: t.examplesPerSec,
    seconds: t.seconds,
    cpu_seconds: t.cpuSeconds,
    examples: t.examples,
  });
  /** More varia/PyTorch-1-thread pairs after the first (`--rounds`), alternated, into `w.torch_rounds`. */
  const torchRounds = async (
    w: WorkloadResult,
    data: Matrix,
    config: Record<string, unknown>,
    runVaria: () => Promise<Timing>,
  ): Promise<void> => {
    const first = w.baselines.torch_1_thread;
    if (!first || first.skipped) return;
    const r = await interleavedRounds(
      w.metric,
      rounds,
      { varia: pickFigures(w), torch: pickFigures(first) },
      async () => figures(await runVaria()),
      () => {
        const t = runTorch(data, { ...config, threads: 1 });
        return {
          examples_per_sec: t.examples_per_sec,
          seconds: t.seconds,
          cpu_seconds: t.cpu_seconds,
          examples: t.examples,
        };
      },
      log,
    );
    w.torch_rounds = r.rounds;
  };

  const torchBaselines = (w: WorkloadResult, data: Matrix, config: Record<string, unknown>): void => {
    for (const [key, threads] of [
      ['torch_1_thread', 1],
      ['torch_all_threads', allThreads],
    ] as const) {
      if (!want(key)) continue;
      if (!torchOk) {
        w.baselines[key] = { skipped: 'skipped' in torchProbe ? torchProbe.skipped : 'not requested' };
        continue;
      }
      log(`  torch, ${threads} thread(s)`);
      try {
        const r = runTorch(data, { ...config, threads });
        w.baselines[key] = {
          examples_per_sec: r.examples_per_sec ?? r.examples / r.seconds,
          seconds: r.seconds,
          cpu_seconds: r.cpu_seconds,
          examples: r.examples,
          loss: r.loss,
          multithreaded: threads > 1,
          note: `torch ${r.torch_version}, ${r.threads} thread(s), BLAS ${r.blas}`,
        };
      } catch (e) {
        w.baselines[key] = { skipped: (e as Error).message };
      }
    }
  };

  // varia and tf.layers on plain wasm (the kernels tfjs ships), in a child process of this run: what the native
  // kernels buy, and the naive version a user gets without them.
  let plainWasm: { backend: string; workloads: WorkloadResult[] } | { skipped: string } | undefined;
  if (args.plain && selection.candidate === 'wasm-native') {
    const only = [...args.only].join(',');
    log(`plain wasm (child process): ${only}, varia + tf.layers`);
    plainWasm = runChild(
      [
        '--backend',
        'wasm',
        '--only',
        only,
        '--baselines',
        'tf_layers',
        '--no-torch',
        '--no-threaded',
        '--no-plain',
        '--no-memory',
        '--no-census',
        '--no-browser',
        '--no-two-core',
      ],
      q,
      900_000,
    );
  }
  const plainBaselines = (w: WorkloadResult): void => {
    if (!plainWasm) return;
    if ('skipped' in plainWasm) {
      w.baselines.varia_plain_wasm = { skipped: plainWasm.skipped };
      return;
    }
    const p = plainWasm.workloads.find((x) => x.name === w.name);
    if (!p) return;
    const { baselines, ratios, name, backend: b, metric, description, multithreaded: mt, ...figures } = p;
    void [name, ratios, b, metric, description, mt];
    w.baselines.varia_plain_wasm = {
      ...figures,
      note: 'varia on plain wasm (tfjs-wasm kernels only), child process of this run',
    };
    const layers = baselines.tf_layers;
    if (layers && !layers.skipped) {
      const { speedup: _s, speedup_cpu: _c, ...rest } = layers;
      void [_s, _c];
      w.baselines.tf_layers_plain_wasm = {
        ...rest,
        note: `tf.layers on plain wasm, child process of this run${layers.note ? `; ${layers.note}` : ''}`,
      };
    }
  };

  const workloads: WorkloadResult[] = [];
  let mnistPeak: Record<string, unknown> | undefined;

  for (const likelihood of ['bernoulli', 'poisson'] as const) {
    const name: WorkloadName = likelihood === 'bernoulli' ? 'mnist-vae-train' : 'mnist-vae-train-poisson';
    if (!args.only.has(name)) continue;
    const full = likelihood === 'bernoulli' ? mnist({ split: 'train' }).x : mnistCounts({ split: 'train' }).x;
    const data = firstRows(full, trainRows);
    const shape = { ...MNIST_SHAPE, likelihood };
    log(`${name}: varia (${sizes.epochs} epoch of ${data.rows} after a ${sizes.warmupExamples}-example warm-up)`);
    const v = await variaTrain(data, likelihood, sizes);
    if (likelihood === 'bernoulli') {
      const wasmHeap = wasmHeapBytes();
      mnistPeak = {
        note: 'sampled every 8 steps during the timed fit; max_rss_bytes is the process peak at the end of the run (includes parsing the MNIST JSON)',
        rss_bytes: v.memory.rssBytes,
        heap_used_bytes: v.memory.heapUsedBytes,
        tf_num_bytes: v.memory.tfBytes,
        max_rss_bytes: process.resourceUsage().maxRSS * 1024,
        ...(wasmHeap !== undefined ? { wasm_heap_bytes: wasmHeap } : {}),
      };
    }
    const w: WorkloadResult = {
      name,
      backend,
      metric: 'examples_per_sec',
      examples_per_sec: v.examplesPerSec,
      seconds: v.seconds,
      cpu_seconds: v.cpuSeconds,
      examples: v.examples,
      loss: v.loss,
      memory: memoryAfterRun(v.tensorsPerEpoch),
      multithreaded,
      description: `VAE.fit, MLP ${MNIST_SHAPE.inputDim}-${MNIST_SHAPE.hidden}-${MNIST_SHAPE.latentDim}-${MNIST_SHAPE.hidden}-${MNIST_SHAPE.inputDim} ReLU, batch ${MNIST_TRAINING.batchSize}, Adam ${MNIST_TRAINING.learningRate}, ${likelihood === 'bernoulli' ? 'Bernoulli likelihood on MNIST intensities' : 'Poisson likelihood on MNIST counts (log1p input)'}, analytic KL; ${sizes.epochs} full epoch(s) of ${data.rows} images timed (wall time of fit) after a warm-up fit on ${sizes.warmupExamples}`,
      baselines: {},
      ratios: {},
    };
    if (want('hand_written')) {
      log('  hand-written tfjs (transpose-free dense gradient)');
      w.baselines.hand_written = timingBaseline(await handWrittenTrain(data, shape, 'transpose-free', sizes));
    }
    if (want('hand_written_default_grad')) {
      log(`  hand-written tfjs with default gradients (${Math.min(sizes.slowBaselineExamples, data.rows)} examples)`);
      w.baselines.hand_written_default_grad = timingBaseline(
        await handWrittenTrain(data, shape, 'default', sizes, sizes.slowBaselineExamples),
        'the hand-written loop with tfjs default gradients (transposed matMuls)',
      );
    }
    if (want('tf_layers')) {
      log(`  tf.layers (${Math.min(sizes.slowBaselineExamples, data.rows)} examples)`);
      w.baselines.tf_layers = timingBaseline(
        await naiveTrain(data, shape, sizes),
        'tf.layers.dense + default gradients + per-step tensor1d/gather',
      );
    }
    const trainConfig = {
      workload: 'train',
      likelihood,
      hidden: MNIST_SHAPE.hidden,
      latent: MNIST_SHAPE.latentDim,
      batch_size: MNIST_TRAINING.batchSize,
      lr: MNIST_TRAINING.learningRate,
      epochs: sizes.epochs,
      warmup_examples: sizes.warmupExamples,
    };
    torchBaselines(w, data, trainConfig);
    await torchRounds(w, data, trainConfig, () => variaTrain(data, likelihood, sizes));
    plainBaselines(w);
    workloads.push(finish(w));
  }

  if (args.only.has('mnist-vae-encode')) {
    const all = mnist({ split: 'all' }).x;
    const data = firstRows(all, q ? 2000 : all.rows);
    log(`mnist-vae-encode: ${data.rows} images, best of ${sizes.encodeRepeats}`);
    const v = await variaEncode(data, sizes.encodeRepeats);
    const w: WorkloadResult = {
      name: 'mnist-vae-encode',
      backend,
      metric: 'examples_per_sec',
      examples_per_sec: v.examplesPerSec,
      seconds: v.seconds,
      cpu_seconds: v.cpuSeconds,
      examples: v.examples,
      multithreaded,
      description: `VAE.encode (posterior mean) of ${data.rows} MNIST images (train + test) in one call, upload and read-back included; best of ${sizes.encodeRepeats} after a warm-up`,
      baselines: {},
      ratios: {},
    };
    if (want('hand_written'))
      w.baselines.hand_written = timingBaseline(await baselineEncode(data, 'hand-written', sizes.encodeRepeats));
    if (want('tf_layers'))
      w.baselines.tf_layers = timingBaseline(
        await baselineEncode(data, 'tf-layers', sizes.encodeRepeats),
        'encoder.predict with one batch of all rows',
      );
    const encodeConfig = {
      workload: 'encode',
      likelihood: 'bernoulli',
      hidden: MNIST_SHAPE.hidden,
      latent: MNIST_SHAPE.latentDim,
      encode_repeats: sizes.encodeRepeats,
    };
    torchBaselines(w, data, encodeConfig);
    await torchRounds(w, data, encodeConfig, () => variaEncode(data, sizes.encodeRepeats));
    plainBaselines(w);
    workloads.push(finish(w));
  }

  if (args.only.has('toy2d-seed')) {
    const data = toyGaussian2d({ seed: 0 }).x;
    log(
      `toy2d-seed: the classic example's full run (${data.rows} points, ${TOY_TRAINING.epochs} epochs, batch ${TOY_TRAINING.batchSize})`,
    );
    const v = await variaToy(data);
    const w: WorkloadResult = {
      name: 'toy2d-seed',
      backend,
      metric: 'seconds',
      seconds: v.seconds,
      cpu_seconds: v.cpuSeconds,
      examples_per_sec: v.examplesPerSec,
      examples: v.examples,
      loss: v.loss,
      multithreaded,
      description: `the classic example: toy2d (${data.rows} points), hidden ${TOY_TRAINING.hidden}, latent ${TOY_TRAINING.latentDim}, Adam ${TOY_TRAINING.learningRate}, ${TOY_TRAINING.epochs} epochs, batch ${TOY_TRAINING.batchSize}, Gaussian likelihood; seconds for model construction + fit`,
      baselines: {},
      ratios: {},
    };
    if (want('hand_written')) {
      log('  hand-written tfjs');
      w.baselines.hand_written = timingBaseline(await baselineToy(data, 'hand-written'));
    }
    if (want('tf_layers')) {
      log('  tf.layers');
      w.baselines.tf_layers = timingBaseline(await baselineToy(data, 'tf-layers'));
    }
    const toyConfig = {
      workload: 'toy2d',
      likelihood: 'gaussian',
      hidden: TOY_TRAINING.hidden,
      latent: TOY_TRAINING.latentDim,
      batch_size: TOY_TRAINING.batchSize,
      lr: TOY_TRAINING.learningRate,
      epochs: TOY_TRAINING.epochs,
    };
    torchBaselines(w, data, toyConfig);
    await torchRounds(w, data, toyConfig, () => variaToy(data));
    plainBaselines(w);
    workloads.push(finish(w));
  }

  let memory: Record<string, unknown> | undefined;
  if (args.memory) {
    const rows = 1000;
    const epochs = 10;
    log(`memory: tf.memory() per epoch, ${epochs} epochs on ${rows} MNIST images`);
    const trace = await variaMemoryTrace(firstRows(mnist({ split: 'train' }).x, rows), epochs);
    const first = trace[0]!;
    const last = trace.at(-1)!;
    memory = {
      run: `VAE.fit (mnist-vae-train model), ${epochs} epochs on ${rows} images, batch ${MNIST_TRAINING.batchSize}; tf.memory() in onEpochEnd`,
      epoch_1: { numTensors: first.numTensors, numBytes: first.numBytes },
      [`epoch_${last.epoch}`]: { numTensors: last.numTensors, numBytes: last.numBytes },
      flat: trace.every((t) => t.numTensors === first.numTensors && t.numBytes === first.numBytes),
      per_epoch: trace,
      mnist_train_peak: mnistPeak,
    };
  }

  let wasmThreaded: unknown;
  if (
    args.threaded &&
    (selection.candidate === 'wasm' || selection.candidate === 'wasm-native') &&
    args.only.has('mnist-vae-train')
  ) {
    log('experimental: mnist-vae-train on the multithreaded wasm build (child process)');
    const r = runChild(
      [
        '--backend',
        'wasm-threaded',
        '--only',
        'mnist-vae-train',
        '--baselines',
        'hand_written',
        '--no-torch',
        '--no-threaded',
        '--no-plain',
        '--no-memory',
        '--no-census',
        '--no-browser',
        '--no-two-core',
      ],
      q,
      240_000,
    );
    wasmThreaded = 'skipped' in r ? r : { ...r, workaround: 'see apps/playground/src/wasm-threads.ts' };
  }

  // Both cores: varia with every core sharing the products in blocks, against PyTorch 1 thread and all threads, in a
  // child process of this run (interleaved rounds there too).
  // Kernels per training step and the share of a step outside the matrix products (the kernel census).
  const census: StepProfile[] = [];
  if (args.census && selection.backend === 'wasm') {
    for (const [workload, name] of [
      ['bernoulli', 'mnist-vae-train'],
      ['poisson', 'mnist-vae-train-poisson'],
      ['gaussian-toy', 'toy2d-seed'],
    ] as const) {
      if (!args.only.has(name)) continue;
      log(`kernel census: ${name}`);
      census.push({ backend, ...(await profileStep(workload, q ? 1024 : 4096, tf.getBackend())) });
    }
  }

  let twoCore: unknown;
  const cores = os.availableParallelism();
  if (args.twoCore && selection.candidate === 'wasm-native' && cores > 1 && args.only.has('mnist-vae-train')) {
    const both = ['mnist-vae-train', ...(args.only.has('mnist-vae-encode') ? ['mnist-vae-encode'] : [])].join(',');
    log(`both cores: ${both} with ${cores} threads sharing blocks (child process)`);
    const flags = ['--backend', 'wasm-native', '--parallel', String(cores), '--only', both];
    const rest = ['--no-threaded', '--no-plain', '--no-memory', '--no-browser', '--no-two-core', '--no-census'];
    const baselines = args.torch ? ['--baselines', 'torch_1_thread,torch_all_threads'] : ['--no-torch'];
    twoCore = runChild([...flags, ...baselines, ...rest, '--rounds', String(rounds)], q, 900_000);
  }

  let browser: BrowserResult | { skipped: string } | undefined;
  if (args.browser && args.only.has('mnist-vae-train')) {
    log('browser: the playground page trains MNIST in headless Chromium, and the same run in Node');
    browser = runBrowserBench(q);
  }

  // sparse-1m (data larger than memory) in its own process, for its own peak RSS; children of this run skip it
  let sparse: ReturnType<typeof sparseWorkloadInChild> | undefined;
  if (args.only.has('sparse-1m') && args.memory) {
    const rows = args.sparseRows ?? (q ? 10_000 : 100_000);
    log(`sparse-1m: a Poisson VAE on a synthetic ${rows}-row × 2000 count matrix from a source (child process)`);
    sparse = sparseWorkloadInChild(rows, args.backend, 3_600_000);
  }

  const doc = {
    schema: 1,
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      total_memory_bytes: os.totalmem(),
      platform: `${os.platform()} ${os.release()}`,
      load_average_start: loadStart,
      load_average_end: os.loadavg(),
    },
    node_version: process.version,
    tfjs_version: tf.version.tfjs,
    backend,
    backend_candidate: selection.candidate,
    backends_skipped: skipped,
    gpu:
      skipped.find((s) => s.candidate === 'node-gpu')?.reason ??
      (selection.candidate === 'node-gpu' ? 'in use' : 'not tried'),
    torch:
      'version' in torchProbe
        ? {
            version: torchProbe.version,
            python: process.env.VARIA_BENCH_PYTHON ?? '/usr/bin/python3',
            all_threads: allThreads,
          }
        : torchProbe,
    quick: q,
    rounds,
    workloads,
    memory,
    ...(sparse !== undefined ? { sparse_1m: sparse } : {}),
    ...(plainWasm !== undefined ? { plain_wasm: plainWasm } : {}),
    ...(wasmThreaded !== undefined ? { experimental_wasm_threaded: wasmThreaded } : {}),
    ...(browser !== undefined ? { browser } : {}),
    ...(twoCore !== undefined ? { two_core: twoCore } : {}),
    ...(census.length > 0 ? { kernel_census: census } : {}),
    total_seconds: (Date.now() - started) / 1000,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  const tmp = `${args.out}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  const { renameSync } = await import('node:fs');
  renameSync(tmp, args.out);

  const lines = [
    `varia bench — ${doc.date.slice(0, 10)}, ${doc.machine.cpu}, ${doc.machine.cores} cores, node ${process.version}, tfjs ${tf.version.tfjs}, backend ${backend}`,
    `(each baseline: its figure, then varia's speed-up over it; > 1× means varia is faster)`,
    '',
    'wall clock:',
    formatTable(workloads),
    '',
    'process CPU time (robust to other load on a shared machine; single-threaded contenders only):',
    formatTable(workloads, 'cpu'),
  ];
  const roundLines = formatRounds(workloads);
  if (roundLines.length > 0)
    lines.push('', `varia ÷ PyTorch 1 thread, ${rounds} interleaved rounds (A B A B …):`, ...roundLines);
  if (plainWasm && 'skipped' in plainWasm) lines.push('', `plain wasm baselines: ${plainWasm.skipped}`);
  const threadedRow = (wasmThreaded as { workloads?: WorkloadResult[] } | undefined)?.workloads?.[0];
  if (threadedRow) lines.push('', 'experimental, multithreaded wasm (see README):', formatTable([threadedRow]));
  else if (wasmThreaded)
    lines.push('', `experimental multithreaded wasm: ${(wasmThreaded as { skipped?: string }).skipped}`);
  const twoCoreRows = (twoCore as { workloads?: WorkloadResult[] } | undefined)?.workloads;
  if (twoCoreRows?.length) {
    lines.push('', `both cores (wasm-native, ${cores} threads sharing blocks):`, formatTable(twoCoreRows));
    lines.push(...formatRounds(twoCoreRows));
  } else if (twoCore) lines.push('', `both cores: ${(twoCore as { skipped?: string }).skipped}`);
  if (browser) lines.push('', ...formatBrowser(browser));
  if (census.length > 0) {
    lines.push('', 'kernels per training step (kernel census, one epoch after a warm-up):');
    for (const c of census) {
      const top = c.kernels
        .slice(0, 5)
        .map((k) => `${k.name} ${k.perStep.toFixed(0)}× ${k.msPerStep.toFixed(2)} ms`)
        .join(', ');
      lines.push(
        `  ${c.workload.padEnd(24)} ${c.kernelsPerStep.toFixed(0)} kernels, ${c.msPerStep.toFixed(2)} ms/step, ${(100 * c.shareOutsideBlas).toFixed(0)} % outside BLAS (${(100 * (1 - c.shareInKernels)).toFixed(0)} % outside any kernel); ${top}`,
      );
    }
  }
  if (memory) {
    const e1 = memory.epoch_1 as { numTensors: number; numBytes: number };
    const e10 = memory.epoch_10 as { numTensors: number; numBytes: number } | undefined;
    lines.push(
      '',
      `memory: tf.memory() epoch 1: ${e1.numTensors} tensors / ${mib(e1.numBytes)}; epoch 10: ${e10?.numTensors} tensors / ${e10 ? mib(e10.numBytes) : '—'} (${memory.flat ? 'flat' : 'NOT flat'})`,
    );
    if (mnistPeak) {
      lines.push(
        `        mnist-vae-train peak: RSS ${mib(mnistPeak.rss_bytes as number)}, JS heap ${mib(mnistPeak.heap_used_bytes as number)}, tf ${mib(mnistPeak.tf_num_bytes as number)}` +
          (mnistPeak.wasm_heap_bytes ? `, wasm heap ${mib(mnistPeak.wasm_heap_bytes as number)}` : '') +
          `; process max RSS ${mib(mnistPeak.max_rss_bytes as number)}`,
      );
    }
  }
  if (sparse) lines.push('', formatSparse(sparse));
  lines.push(
    '',
    `GPU: ${doc.gpu}`,
    `PyTorch: ${'version' in torchProbe ? `${torchProbe.version} via ${doc.torch && (doc.torch as { python?: string }).python}` : `skipped (${torchProbe.skipped})`}`,
  );
  lines.push(`total ${doc.total_seconds.toFixed(0)} s; results written to ${args.out}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The figures alone (no baselines or notes), for a round's record. */
function pickFigures({ examples_per_sec, seconds, cpu_seconds, examples }: Figures): Figures {
  return { examples_per_sec, seconds, cpu_seconds, examples };
}

/** The smaller of the defined values: varia's speed-up over PyTorch's best thread count. */
function minDefined(...values: (number | undefined)[]): number | undefined {
  const xs = values.filter((v): v is number => v !== undefined);
  return xs.length > 0 ? Math.min(...xs) : undefined;
}

/** Size of the wasm backend's linear memory (its high-water mark: wasm memory never shrinks), when on wasm. */
function wasmHeapBytes(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const module = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return module?.HEAPU8?.buffer.byteLength;
}

/** This script in a child process with `flags`; its workloads, or why it failed. */
function runChild(
  flags: string[],
  quick: boolean,
  timeout: number,
): { backend: string; workloads: WorkloadResult[] } | { skipped: string } {
  const dir = mkdtempSync(join(os.tmpdir(), 'varia-bench-child-'));
  const out = join(dir, 'child.json');
  try {
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), ...flags, '--out', out, ...(quick ? ['--quick'] : [])],
      {
        encoding: 'utf8',
        timeout,
      },
    );
    if (r.status !== 0)
      return {
        skipped: `the child run failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`,
      };
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { workloads: WorkloadResult[]; backend: string };
    return { backend: doc.backend, workloads: doc.workloads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  // The wasm threads' workers (and tfjs timers) may keep the loop alive; everything is written by now.
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
