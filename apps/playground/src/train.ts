import { isAbsolute, join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { mulberry32, permutation, takeRows, VariaError } from '@varia/core';
import { type EpochLog, VAE } from '@varia/vae';
import type { TrainArgs } from './args.js';
import { type BackendSelection, describeSelection, selectBackend } from './backend.js';
import { loadDataset } from './data.js';
import { checkDestination } from './destinations.js';
import { writePlots } from './plots.js';

/** The final summary printed by `train` (the last JSON line with `--json`). */
export interface TrainSummary {
  event: 'summary';
  dataset: string;
  likelihood: string;
  backend: string;
  backend_candidate: string;
  /** For wasm-native: what computes the matrix products, e.g. "oneDNN 2.6.3 (1 thread)". */
  native_kernels?: string;
  tfjs_version: string;
  epochs_run: number;
  stop_reason: string;
  final_loss: number;
  final_val_loss?: number;
  seconds: number;
  examples_per_sec: number;
  model_dir: string;
  test_neg_elbo?: number;
  test_reconstruction?: number;
  test_kl?: number;
  /** Files written by `--plots`. */
  plot_files?: string[];
  [key: `test_iwae_k${number}`]: number;
}

/** Where output goes; separated so tests can capture it. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Whether a progress bar can be drawn (stderr is a terminal). */
  progress: boolean;
}

/** Resolves a user path against the directory the user ran the command from (pnpm runs scripts in the package). */
export function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : v.toFixed(4);
}

function epochLine(log: EpochLog): string {
  let line = `Epoch ${log.epoch}/${log.epochs}  loss ${fmt(log.loss)}  recon ${fmt(-log.reconstruction)}  kl ${fmt(log.kl)}`;
  if (log.valLoss !== undefined) line += `  val_loss ${fmt(log.valLoss)}  val_kl ${fmt(log.valKl!)}`;
  return `${line}  (${log.seconds.toFixed(1)}s, ${Math.round(log.examplesPerSecond)} ex/s)`;
}

/** Rows of input next to reconstruction for the first batch (at most 10 rows, 4 features). */
function reconstructionTable(input: Float32Array, recon: Float32Array, rows: number, cols: number): string[] {
  const shown = Math.min(cols, 4);
  const width = 11; // fits "-1.2345e-10"
  const cell = (v: number): string => ` ${fmt(v)}`.padStart(width);
  const more = cols > shown ? ' …' : '';
  const lines = [`${'input'.padEnd(shown * width + more.length)}   reconstruction`];
  for (let i = 0; i < Math.min(rows, 10); i++) {
    const a = Array.from(input.subarray(i * cols, i * cols + shown), cell).join('');
    const b = Array.from(recon.subarray(i * cols, i * cols + shown), cell).join('');
    lines.push(`${a}${more}   ${b}${more}`);
  }
  return lines;
}

/** Runs `train`: selects the backend, loads data, trains, saves, evaluates, prints. */
export async function runTrain(args: TrainArgs, io: Output): Promise<TrainSummary> {
  const outDir = userPath(args.out);
  // before the backend, the data and the training: a bad destination fails in a second, not after the run
  await checkDestination({
    flag: 'out',
    path: outDir,
    mustBeEmpty: true,
    force: args.force,
    allowInside: args.resume === undefined ? undefined : userPath(args.resume),
  });
  if (args.plots !== undefined) await checkDestination({ flag: 'plots', path: userPath(args.plots), mustBeEmpty: false });
  const selection: BackendSelection = await selectBackend(args.backend, { nativeThreads: args.blasThreads });
  const tfjs = await import('@tensorflow/tfjs');
  if (!args.json) io.out(describeSelection(selection, args.verbose));
  const data = loadDataset(args.dataset, args.seed);
  const x = data.train.x;
  const vae = new VAE({
    inputDim: x.cols,
    latentDim: args.latentDim,
    hiddenUnits: args.hidden,
    likelihood: args.likelihood,
    seed: args.seed,
  });
  try {
    if (!args.json) {
      io.out(`dataset: ${data.train.name} (${x.rows} × ${x.cols}), likelihood: ${args.likelihood}, hidden [${args.hidden.join(', ')}], latent ${args.latentDim}`);
    }
    let lastDraw = 0;
    const history = await vae.fit(x, {
      epochs: args.epochs,
      batchSize: args.batchSize,
      learningRate: args.lr,
      seed: args.seed,
      beta: args.beta,
      klWarmupEpochs: args.klWarmup,
      validationSplit: args.validationSplit,
      patience: args.patience,
      checkpointEvery: args.checkpointEvery,
      checkpointDir: args.checkpointEvery ? join(outDir, 'checkpoint') : undefined,
      resumeFrom: args.resume ? userPath(args.resume) : undefined,
      onBatchEnd: io.progress
        ? (info) => {
            const now = Date.now();
            if (now - lastDraw < 100 && info.batch + 1 < info.batches) return;
            lastDraw = now;
            io.err(`\r${bar((info.batch + 1) / info.batches)} epoch ${info.epoch}/${args.epochs}`);
          }
        : undefined,
      onEpochEnd: (log) => {
        if (io.progress) io.err('\r\x1b[2K');
        io.out(args.json ? JSON.stringify({ event: 'epoch', ...log }) : epochLine(log));
      },
    });
    await vae.save(outDir);
    const last = history.epochs[history.epochs.length - 1];
    const trainSeconds = history.epochs.reduce((s, e) => s + e.seconds, 0);
    const summary: TrainSummary = {
      event: 'summary',
      dataset: data.train.name,
      likelihood: args.likelihood,
      backend: selection.backend,
      backend_candidate: selection.candidate,
      ...(selection.native
        ? { native_kernels: `${selection.native.library === 'onednn' ? 'oneDNN' : 'OpenBLAS'} ${selection.native.version} (${selection.native.threads} thread${selection.native.threads === 1 ? '' : 's'})` }
        : {}),
      tfjs_version: selection.tfjsVersion,
      epochs_run: history.epochs.length,
      stop_reason: history.stopReason,
      final_loss: last?.loss ?? NaN,
      seconds: history.seconds,
      examples_per_sec: trainSeconds > 0 ? (x.rows * history.epochs.length) / trainSeconds : 0,
      model_dir: outDir,
    };
    if (last?.valLoss !== undefined) summary.final_val_loss = last.valLoss;
    if (data.test) {
      const k = args.iwaeK ?? (args.dataset.startsWith('mnist') ? 100 : undefined);
      const ev = await vae.evaluate(data.test.x, { iwaeK: k, batchSize: 100, seed: args.seed });
      summary.test_neg_elbo = -ev.elbo;
      summary.test_reconstruction = ev.reconstruction;
      summary.test_kl = ev.kl;
      if (k !== undefined && ev.iwae !== undefined) summary[`test_iwae_k${k}`] = ev.iwae;
    } else if (args.iwaeK) {
      const ev = await vae.evaluate(x, { iwaeK: args.iwaeK, seed: args.seed });
      summary[`test_iwae_k${args.iwaeK}`] = ev.iwae!;
    }
    if (args.plots !== undefined) {
      const plotDir = userPath(args.plots);
      // a seeded random subset (data sets may be ordered by label, so the first rows are not a sample)
      const order = permutation(x.rows, mulberry32(args.seed + 1)).subarray(0, Math.min(x.rows, 2000));
      const shown = takeRows(x, order);
      const shownLabels = Int32Array.from(order, (i) => data.train.labels[i]!);
      const latentT = vae.encode(shown);
      const reconRows = Math.min(shown.rows, 200);
      const reconT = vae.reconstruct({ data: shown.data.subarray(0, reconRows * x.cols), rows: reconRows, cols: x.cols });
      const [latentData, reconData] = [(await latentT.data()) as Float32Array, (await reconT.data()) as Float32Array];
      latentT.dispose();
      reconT.dispose();
      const files = await writePlots(plotDir, {
        curve: { run: `${args.likelihood} · ${data.train.name}`, epochs: history.epochs },
        data: { x: shown, labels: shownLabels, shape: data.train.shape, name: data.train.name },
        latent: { data: latentData, rows: shown.rows, cols: args.latentDim },
        reconstruction: { data: reconData, rows: reconRows, cols: x.cols },
      });
      summary.plot_files = files;
      if (!args.json) io.out(`plots written to ${plotDir}: ${files.map((f) => f.slice(plotDir.length + 1)).join(', ')}`);
    }
    if (!args.json) {
      const rows = Math.min(args.batchSize, x.rows, 10);
      const first = { data: x.data.subarray(0, rows * x.cols), rows, cols: x.cols };
      const recon = vae.reconstruct(first) as tf.Tensor;
      const values = (await recon.data()) as Float32Array;
      recon.dispose();
      io.out(`\nFirst batch (first ${rows} rows${x.cols > 4 ? ', first 4 features' : ''}):`);
      for (const line of reconstructionTable(first.data, values, rows, x.cols)) io.out(line);
      io.out(`\nmodel saved to ${outDir}`);
      const extras = Object.entries(summary)
        .filter(([k]) => k.startsWith('test_'))
        .map(([k, v]) => `${k} ${fmt(v as number)}`);
      io.out(
        `final loss ${fmt(summary.final_loss)}  ${summary.examples_per_sec.toFixed(0)} ex/s  ${summary.seconds.toFixed(1)}s on ${selection.backend}` +
          (extras.length ? `\n${extras.join('  ')}` : ''),
      );
    } else {
      io.out(JSON.stringify(summary));
    }
    void tfjs;
    return summary;
  } finally {
    vae.dispose();
  }
}

/** True for errors caused by the user's input (exit code 2). */
export function isUsageProblem(e: unknown): boolean {
  return e instanceof VariaError && ['ArgumentError', 'DataError', 'ShapeError'].includes(e.name);
}
