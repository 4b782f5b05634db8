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
 *        --help   --only composed (or a name of composed-table.ts): the guide's composed models, each a child process at its full
 *          size (together longer than the rest of the bench, so not in the default run); with --quick at the CI size
 *
 * On wasm-native (the default where @varia/native-kernels works), varia and the tf.layers version are also run on
 * plain wasm in a child process of the same run, as the baselines `varia_plain_wasm` and `tf_layers_plain_wasm`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { mnist } from '@varia/datasets';
import { selectBackend } from '@varia/playground/backend';
import { parseArgs, USAGE } from './args.js';
import { type BrowserResult, runBrowserBench } from './browser.js';
import { runChild } from './child.js';
import { runComposed } from './composed.js';
import { firstRows } from './first-rows.js';
import { log } from './log.js';
import { mallocDescription, rerunWithMallocEnv } from './malloc-env.js';
import { blasSummary } from './openblas-core.js';
import { formatReport } from './print.js';
import { hostCpu } from './cpu-identity.js';
import { profileStep, type StepProfile } from './profile-step.js';
import type { WorkloadResult } from './report.js';
import { sparseWorkloadInChild } from './sparse-workload.js';
import { torchContenders } from './torch-baselines.js';
import { probeTorch } from './torch.js';
import { TRAIN_WORKLOADS, type TrainName } from './train-workloads.js';
import { runTrainingWorkloads } from './training-workloads.js';
import { MNIST_TRAINING, type RunSizes, variaMemoryTrace } from './workloads.js';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  // every process of the run with glibc's malloc keeping freed buffers (malloc-env.ts): this one is run again with it
  const rerun = await rerunWithMallocEnv();
  if (rerun !== undefined) process.exit(rerun);
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
    encodeRepeats: q ? 1 : 10,
  };
  const trainRows = q ? 1024 : 8000;

  const rounds = args.rounds ?? (q ? 1 : 3);
  const torch = torchContenders({ want, torchProbe, torchOk, allThreads, rounds });

  // varia and tf.layers on plain wasm (the kernels tfjs ships), in a child process of this run: what the native
  // kernels buy, and the naive version a user gets without them.
  let plainWasm: { backend: string; workloads: WorkloadResult[] } | { skipped: string } | undefined;
  // (not the sparse-input training workloads: plain wasm has no sparse kernels, so they would run the dense fit again)
  const plainOnly = [...args.only].filter((n) => !TRAIN_WORKLOADS[n as TrainName]?.sparseInput);
  if (args.plain && selection.candidate === 'wasm-native' && plainOnly.length > 0) {
    const only = plainOnly.join(',');
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

  const { workloads, mnistPeak } = await runTrainingWorkloads({
    args,
    backend,
    multithreaded,
    sizes,
    trainRows,
    want,
    torch,
    plainWasm,
  });

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
    const encodes = (
      ['mnist-vae-train-sparse', 'mnist-vae-encode', 'mnist-vae-encode-sparse', 'counts-vae-encode-sparse'] as const
    ).filter((n) => args.only.has(n));
    const both = ['mnist-vae-train', ...encodes].join(',');
    log(`both cores: ${both} with ${cores} threads sharing blocks (child process)`);
    const flags = ['--backend', 'wasm-native', '--parallel', String(cores), '--only', both];
    const rest = ['--no-threaded', '--no-plain', '--no-memory', '--no-browser', '--no-two-core', '--no-census'];
    const baselines = args.torch ? ['--baselines', 'torch_1_thread,torch_all_threads'] : ['--no-torch'];
    twoCore = runChild([...flags, ...baselines, ...rest, '--rounds', String(rounds)], q, 900_000);
  }

  let browser: BrowserResult | { skipped: string } | undefined;
  if (args.browser && args.only.has('mnist-vae-train')) {
    log('browser: the playground page trains MNIST in headless Chromium, and the same run in Node');
    browser = runBrowserBench(q, rounds);
  }

  // sparse-1m (data larger than memory) in its own process, for its own peak RSS; children of this run skip it
  let sparse: ReturnType<typeof sparseWorkloadInChild> | undefined;
  if (args.only.has('sparse-1m') && args.memory) {
    const rows = args.sparseRows ?? (q ? 10_000 : 100_000);
    log(`sparse-1m: a Poisson VAE on a synthetic ${rows}-row × 2000 count matrix from a source (child process)`);
    sparse = sparseWorkloadInChild(rows, args.backend, 3_600_000, args.parallel);
  }

  // the guide's composed models, each in its own process at its documented size (or the CI size with --quick)
  const composed = args.composed.size > 0 ? runComposed(args.composed, q, log, q ? 1_800_000 : 14_400_000) : undefined;

  const doc = {
    schema: 1,
    date: new Date().toISOString(),
    machine: {
      ...hostCpu(),
      total_memory_bytes: os.totalmem(),
      platform: `${os.platform()} ${os.release()}`,
      load_average_start: loadStart,
      load_average_end: os.loadavg(),
    },
    node_version: process.version,
    tfjs_version: tf.version.tfjs,
    malloc: mallocDescription(),
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
            openblas: blasSummary(torchProbe.blas),
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
    ...(composed !== undefined ? { composed } : {}),
    total_seconds: (Date.now() - started) / 1000,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  const tmp = `${args.out}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  const { renameSync } = await import('node:fs');
  renameSync(tmp, args.out);

  const lines = formatReport({
    doc,
    out: args.out,
    backend,
    q,
    rounds,
    cores,
    torchProbe,
    workloads,
    plainWasm,
    wasmThreaded,
    twoCore,
    browser,
    census,
    memory,
    mnistPeak,
    sparse,
    composed,
  });
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  // The wasm threads' workers (and tfjs timers) may keep the loop alive; everything is written by now.
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
