import { isAbsolute, join, resolve } from 'node:path';
import { mulberry32, permutation, takeRows, VariaError } from '@varia/core';
import { type Callback, type EpochLog, VAE } from '@varia/vae';
import type { TrainArgs } from './args.js';
import { type BackendSelection, describeSelection, selectBackend } from './backend.js';
import { loadDataset } from './data.js';
import { checkDestination, freeOutDir } from './destinations.js';
import { type BaselineLikelihood, baselineNll, labelShare } from './learned.js';
import { writePlots } from './plots.js';
import { asciiImages, epochLine, type EpochReport, epochReport, fmt, reconstructionTable } from './report.js';

/**
 * The final summary of `train` (the last JSON line with `--json`). Costs in nats per example, lower is better (see
 * `report.ts`); keys camelCase, as in the epoch events.
 */
export interface TrainSummary {
  event: 'summary';
  dataset: string;
  likelihood: string;
  /** `tf.getBackend()`: `tensorflow`, `wasm` or `cpu`. */
  backend: string;
  /** The candidate that runs, e.g. `wasm-native`. */
  backendCandidate: string;
  /**
   * For wasm-native: what computes the matrix products, e.g. "oneDNN 2.6.3 (1 thread)", or "oneDNN 2.6.3 (1 thread, 2
   * threads sharing blocks)" with `--parallel` 2 (the default `auto` on a machine with two or more cores).
   */
  nativeKernels?: string;
  /**
   * For plain wasm: what computes the matrix products, "@varia/wasm-kernels (SIMD128)" (the backend's results, faster),
   * or "tfjs-backend-wasm (…why…)" where those cannot run.
   */
  wasmKernels?: string;
  tfjsVersion: string;
  /** All completed epochs, including those of the checkpoint a `--resume` run continued. */
  epochsRun: number;
  /** With `--resume`: the epoch the checkpoint had completed, where this run continued. */
  resumedFromEpoch?: number;
  stopReason: string;
  /** Training −ELBO of the last epoch. */
  finalLoss: number;
  finalValLoss?: number;
  seconds: number;
  examplesPerSecond: number;
  /** Where the model was saved (absolute). */
  modelDir: string;
  /** Which data the `eval*` figures are on: the held-out test split, or the training data (sets without one). */
  evalData: 'test' | 'train';
  evalExamples: number;
  /** −ELBO on the evaluation data. */
  evalLoss: number;
  evalRecon: number;
  evalKl: number;
  /** −(IWAE-K bound), an upper bound on −log p(x) tighter than −ELBO, with `--iwae-k K`. */
  evalIwaeLoss?: number;
  iwaeK?: number;
  /** −log-likelihood of the best model without a latent variable (independent features), for comparison. */
  baselineLoss?: number;
  /** η²: the share of the latent means' spread the labels explain (0…1). */
  labelShare?: number;
  /** The KL is ≈ 0: the latent space carries no information (posterior collapse). */
  posteriorCollapsed: boolean;
  /** Files written by `--plots`. */
  plotFiles?: string[];
}

/** Where output goes; separated so tests can capture it. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Whether a progress bar can be drawn (stderr is a terminal). */
  progress: boolean;
}

/** KL below this many nats per example means the latent carries (next to) no information about x. */
const COLLAPSE_KL = 0.05;
/** Examples encoded for η² and the latent plot. */
const LATENT_EXAMPLES = 2000;

/** Resolves a user path against the directory the user ran the command from (pnpm runs scripts in the package). */
export function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
}

/** Why the KL collapsed and what shows structure instead, for the text summary. */
function collapseNote(args: TrainArgs): string[] {
  const why =
    args.dataset === 'toy2d'
      ? 'toy2d is N(0, I) in every group by design: the points have no structure for a latent to explain, so the best ' +
        'model ignores it (correct, not a bug).'
      : 'the decoder explains the data as well without the latent (a small network, few epochs, or a strong β).';
  return [
    `The KL is ≈ 0: the posterior collapsed to the prior and the latent space carries no information. Why: ${why}`,
    'See structure with: pnpm playground train --dataset toy2d-separated   (nine blobs on a circle), or the default MNIST run.',
  ];
}

/** Runs `train`: checks destinations, selects the backend, loads data, trains, saves, evaluates, prints. */
export async function runTrain(args: TrainArgs, io: Output): Promise<TrainSummary> {
  // without --out, a directory an earlier run filled is kept: this run takes the next free ./varia-model-N
  const named = userPath(args.out);
  const outDir = args.outGiven || args.force || args.resume !== undefined ? named : await freeOutDir(named);
  // before the backend, the data and the training: a bad destination fails in a second, not after the run
  await checkDestination({
    flag: 'out',
    path: outDir,
    mustBeEmpty: true,
    force: args.force,
    allowInside: args.resume === undefined ? undefined : userPath(args.resume),
  });
  if (args.plots !== undefined)
    await checkDestination({ flag: 'plots', path: userPath(args.plots), mustBeEmpty: false });
  const selection: BackendSelection = await selectBackend(args.backend, {
    nativeThreads: args.blasThreads,
    nativeParallel: args.parallel,
  });
  const text = (line: string): void => {
    if (!args.json) io.out(line);
  };
  text(describeSelection(selection, args.verbose));
  if (outDir !== named)
    text(`${args.out} holds an earlier model: this run saves to ${outDir} (--out DIR chooses, --force overwrites)`);
  const data = loadDataset(args.dataset, args.seed);
  const x = data.train.x;
  const evalSet = data.test ?? data.train;
  const evalData: 'test' | 'train' = data.test ? 'test' : 'train';
  const vae = new VAE({
    inputDim: x.cols,
    latentDim: args.latentDim,
    hiddenUnits: args.hidden,
    likelihood: args.likelihood,
    seed: args.seed,
  });
  try {
    text(
      `dataset: ${data.train.name} (${x.rows} × ${x.cols}), ${args.likelihood} likelihood, network ${x.cols}-${args.hidden.join('-')}-${args.latentDim}, ` +
        `${args.epochs} epoch${args.epochs === 1 ? '' : 's'}, batch ${args.batchSize}, lr ${args.lr}`,
    );
    let lastDraw = 0;
    const epochs: EpochReport[] = [];
    let resumedFromEpoch: number | undefined;
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
      callbacks:
        args.resume === undefined
          ? undefined
          : [
              resumeNotice(userPath(args.resume), args, io, (epoch) => {
                resumedFromEpoch = epoch;
              }),
            ],
      onBatchEnd: io.progress
        ? (info) => {
            const now = Date.now();
            if (now - lastDraw < 100 && info.batch + 1 < info.batches) return;
            lastDraw = now;
            io.err(`\r${bar((info.batch + 1) / info.batches)} epoch ${info.epoch}/${args.epochs}`);
          }
        : undefined,
      onEpochEnd: (log: EpochLog) => {
        if (io.progress) io.err('\r\x1b[2K');
        const report = epochReport(log);
        epochs.push(report);
        io.out(args.json ? JSON.stringify(report) : epochLine(report));
      },
    });
    await vae.save(outDir);
    const last = epochs.at(-1);
    const trainSeconds = epochs.reduce((s, e) => s + e.seconds, 0);

    const ev = await vae.evaluate(evalSet.x, { iwaeK: args.iwaeK, batchSize: 100, seed: args.seed });
    // η² on a seeded random subset (data sets may be ordered by label, so the first rows are not a sample)
    const order = permutation(evalSet.x.rows, mulberry32(args.seed + 1)).subarray(
      0,
      Math.min(evalSet.x.rows, LATENT_EXAMPLES),
    );
    const shown = takeRows(evalSet.x, order);
    const shownLabels = Int32Array.from(order, (i) => evalSet.labels[i]!);
    const latentT = vae.encode(shown);
    const latent = (await latentT.data()) as Float32Array;
    latentT.dispose();
    const labelled = shownLabels.some((l) => l >= 0);
    const summary: TrainSummary = {
      event: 'summary',
      dataset: data.train.name,
      likelihood: args.likelihood,
      backend: selection.backend,
      backendCandidate: selection.candidate,
      ...(selection.native
        ? {
            nativeKernels: `${selection.native.library === 'onednn' ? 'oneDNN' : 'OpenBLAS'} ${selection.native.version} (${selection.native.threads} thread${selection.native.threads === 1 ? '' : 's'}${selection.native.parallel > 1 ? `, ${selection.native.parallel} threads sharing blocks` : ''})`,
          }
        : {}),
      ...(selection.wasmKernels
        ? {
            wasmKernels:
              'kernels' in selection.wasmKernels
                ? '@varia/wasm-kernels (SIMD128)'
                : `tfjs-backend-wasm (${selection.wasmKernels.unavailable})`,
          }
        : {}),
      tfjsVersion: selection.tfjsVersion,
      epochsRun: history.epochs.length,
      ...(resumedFromEpoch !== undefined ? { resumedFromEpoch } : {}),
      stopReason: history.stopReason,
      finalLoss: last?.loss ?? Number.NaN,
      ...(last?.valLoss !== undefined ? { finalValLoss: last.valLoss } : {}),
      seconds: history.seconds,
      examplesPerSecond: trainSeconds > 0 ? (x.rows * epochs.length) / trainSeconds : 0,
      modelDir: outDir,
      evalData,
      evalExamples: ev.n,
      evalLoss: -ev.elbo,
      evalRecon: -ev.reconstruction,
      evalKl: ev.kl,
      ...(ev.iwae !== undefined && args.iwaeK !== undefined ? { evalIwaeLoss: -ev.iwae, iwaeK: args.iwaeK } : {}),
      ...(['gaussian', 'bernoulli', 'poisson'].includes(args.likelihood)
        ? { baselineLoss: baselineNll(args.likelihood as BaselineLikelihood, x, evalSet.x) }
        : {}),
      ...(labelled
        ? { labelShare: labelShare({ data: latent, rows: shown.rows, cols: args.latentDim }, shownLabels) }
        : {}),
      posteriorCollapsed: ev.kl < COLLAPSE_KL,
    };

    if (args.plots !== undefined) {
      const plotDir = userPath(args.plots);
      const reconRows = Math.min(shown.rows, 200);
      const reconT = vae.reconstruct({
        data: shown.data.subarray(0, reconRows * x.cols),
        rows: reconRows,
        cols: x.cols,
      });
      const reconData = (await reconT.data()) as Float32Array;
      reconT.dispose();
      summary.plotFiles = await writePlots(plotDir, {
        curve: {
          run: `${args.likelihood} · ${data.train.name}`,
          epochs: epochs.map((e) => ({
            ...e,
            reconstruction: -e.recon,
            ...(e.valRecon !== undefined ? { valReconstruction: -e.valRecon } : {}),
          })),
        },
        data: { x: shown, labels: shownLabels, shape: data.train.shape, name: evalSet.name },
        latent: { data: latent, rows: shown.rows, cols: args.latentDim },
        reconstruction: { data: reconData, rows: reconRows, cols: x.cols },
      });
    }

    if (args.json) {
      io.out(JSON.stringify(summary));
      return summary;
    }
    const image = data.train.shape.length === 2;
    const sampleRows = Math.min(image ? 4 : 5, shown.rows);
    const inputs = { data: shown.data.subarray(0, sampleRows * x.cols), rows: sampleRows, cols: x.cols };
    const reconT = vae.reconstruct(inputs);
    const recon = (await reconT.data()) as Float32Array;
    reconT.dispose();
    if (image) {
      const [h, w] = [data.train.shape[0]!, data.train.shape[1]!];
      const images = (m: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }) =>
        Array.from({ length: sampleRows }, (_, i) => m.subarray(i * x.cols, (i + 1) * x.cols));
      io.out(`\n${evalData === 'test' ? 'Test' : 'Training'} examples:`);
      for (const line of asciiImages(images(inputs.data), w, h)) io.out(line);
      io.out(`their reconstructions (the decoder's mean):`);
      for (const line of asciiImages(images(recon), w, h)) io.out(line);
    } else {
      io.out(
        `\n${evalData === 'test' ? 'Test' : 'Training'} examples and their reconstructions (random rows${x.cols > 4 ? ', first 4 features' : ''}):`,
      );
      for (const line of reconstructionTable(inputs.data, recon, sampleRows, x.cols)) io.out(line);
    }
    for (const line of learnedLines(summary, args)) io.out(line);
    return summary;
  } finally {
    vae.dispose();
  }
}

/**
 * Says, before the first resumed epoch, that the run continues a checkpoint and from which epoch (text, or a
 * `{ event: 'resumed' }` line with `--json`), and reports that epoch to `record`.
 */
function resumeNotice(checkpoint: string, args: TrainArgs, io: Output, record: (epoch: number) => void): Callback {
  return {
    onTrainBegin(context) {
      const epoch = context.state.epoch;
      record(epoch);
      if (args.json) {
        io.out(JSON.stringify({ event: 'resumed', checkpoint, epoch }));
        return;
      }
      const rest =
        epoch >= args.epochs
          ? `nothing left to train (--epochs ${args.epochs})`
          : `training epoch${args.epochs - epoch === 1 ? '' : 's'} ${epoch + 1 === args.epochs ? args.epochs : `${epoch + 1}–${args.epochs}`}`;
      io.out(`resumed from the checkpoint in ${checkpoint} after epoch ${epoch} of ${args.epochs}: ${rest}`);
    },
  };
}

/** The closing text: what was learned, and where the model and plots are. */
function learnedLines(s: TrainSummary, args: TrainArgs): string[] {
  const on =
    s.evalData === 'test'
      ? `${s.evalExamples} held-out test examples`
      : `the ${s.evalExamples} training examples (this set has no test split)`;
  const lines = [`\nWhat was learned (on ${on}; nats per example, lower is better):`];
  let loss = `  loss (−ELBO) ${fmt(s.evalLoss)}  = recon ${fmt(s.evalRecon)} + kl ${fmt(s.evalKl)}`;
  if (s.evalIwaeLoss !== undefined) loss += `;  −IWAE-${s.iwaeK} ${fmt(s.evalIwaeLoss)}`;
  lines.push(loss);
  if (s.baselineLoss !== undefined) {
    const gain = s.baselineLoss - s.evalLoss;
    lines.push(
      `  without a latent variable (independent ${s.likelihood} features): ${fmt(s.baselineLoss)}  → the latent space ` +
        (gain > 0 ? `saves ${fmt(gain)} nats per example` : `does not beat it (${fmt(gain)})`),
    );
  }
  if (s.labelShare !== undefined) {
    lines.push(
      `  the labels (${s.dataset.startsWith('mnist') ? 'digits' : s.dataset.startsWith('synthetic-counts') ? 'the dominant true factor of each row' : 'groups'}) explain ${(100 * s.labelShare).toFixed(0)}% of the latent means' spread ` +
        `(η²; 0% = the latent space ignores them${s.dataset === 'toy2d' ? ', as it should here' : ''})`,
    );
  }
  if (s.posteriorCollapsed) lines.push('', ...collapseNote(args));
  lines.push('', `model: ${s.modelDir}   (load it with VAE.load)`);
  if (s.plotFiles) lines.push(`plots: ${s.plotFiles.filter((f) => f.endsWith('.png')).join(', ')}   (and .svg)`);
  else lines.push('plots: add --plots DIR for the loss curve, the latent space and reconstructions as PNG/SVG');
  lines.push(
    `${s.epochsRun} epoch${s.epochsRun === 1 ? '' : 's'}${s.resumedFromEpoch !== undefined ? ` (${s.resumedFromEpoch} of them before the resume)` : ''} in ${s.seconds.toFixed(1)} s, ${Math.round(s.examplesPerSecond)} ex/s on ${s.backend}` +
      (s.stopReason === 'completed' ? '' : ` (stopped: ${s.stopReason})`),
  );
  return lines;
}

/** True for errors caused by the user's input (exit code 2). */
export function isUsageProblem(e: unknown): boolean {
  return e instanceof VariaError && ['ArgumentError', 'DataError', 'ShapeError'].includes(e.name);
}
