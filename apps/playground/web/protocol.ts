/** Messages between the page (main.ts) and the training worker (worker.ts). */
import { ArgumentError } from '@varia/core';
import type { RunCurve } from '../src/charts.js';

/** Datasets the page offers. */
export const WEB_DATASETS = {
  toy2d: 'toy 2-D Gaussians',
  'toy2d-separated': 'toy 2-D Gaussians, separated',
  counts: 'synthetic counts (20-D)',
  mnist: 'MNIST digits (offline, 8,000 train)',
} as const;
/** A dataset name. */
export type WebDataset = keyof typeof WEB_DATASETS;
/**
 * Likelihoods the page shows before the worker reports every likelihood registered in `@varia/vae` (the
 * `likelihoods` message replaces the list): the dataset defaults' ones.
 */
export const WEB_LIKELIHOODS = ['gaussian', 'poisson', 'bernoulli'] as const;
/** A likelihood name: any registered in `@varia/vae` (`listLikelihoods()`). */
export type WebLikelihood = string;
/**
 * Posterior families the page offers (see `posteriors.ts` for what each builds): the diagonal Gaussian, a normalizing
 * flow on top of it (IAF with MADE layers, or RealNVP couplings), and the Poisson latent (count data only).
 */
export const WEB_POSTERIORS = {
  gaussian: 'Gaussian (diagonal)',
  iaf: 'flow: IAF, 2 steps',
  realnvp: 'flow: RealNVP, 2 steps',
  poisson: 'Poisson counts (score function)',
} as const;
/** A posterior choice. */
export type WebPosterior = keyof typeof WEB_POSTERIORS;
/**
 * The most wasm threads the page starts: tfjs-backend-wasm 4.22's Emscripten build pre-creates 8 pthread workers,
 * the ceiling of its XNNPACK pool.
 */
export const MAX_WASM_THREADS = 8;
/** The wasm thread pool's size when the page is cross-origin isolated: a count, or `auto` ({@link defaultWasmThreads}). */
export type WasmThreads = number | 'auto';

/**
 * The page's default pool size for `cores` logical cores (`navigator.hardwareConcurrency`): tfjs-wasm's own choice,
 * one thread per physical core as it assumes them (half the logical cores: two hyperthreads per core), at least 1 and
 * at most {@link MAX_WASM_THREADS}: 1 → 1, 2 → 1, 4 → 2, 8 → 4, 32 → 8. Chosen by measurement: on the shared 2-core
 * bench machine, 2 threads trained MNIST at 0.98× one thread (median of 28 interleaved rounds, load 5–20; Node's
 * threaded wasm 0.8×), so a second thread is not the default there; `?threads=2` asks for it.
 */
export function defaultWasmThreads(cores: number): number {
  const n = Number.isInteger(cores) && cores > 0 ? cores : 1;
  return Math.min(MAX_WASM_THREADS, Math.max(1, Math.floor(n / 2)));
}

/**
 * The page URL's `?threads=` value: absent or `auto` → `'auto'`; an integer in 1…{@link MAX_WASM_THREADS} → that
 * count. @throws ArgumentError (argument `threads`) for anything else.
 */
export function parseWasmThreads(value: string | null): WasmThreads {
  if (value === null || value === '' || value === 'auto') return 'auto';
  const n = /^[0-9]{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_WASM_THREADS))
    throw new ArgumentError(
      'threads',
      `?threads= must be "auto" or an integer from 1 to ${MAX_WASM_THREADS}, got "${value}"`,
    );
  return n;
}

/** Backend preference: `auto` tries webgpu → webgl → wasm → cpu (a software GPU is skipped in `auto`). */
export const WEB_BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** A backend preference. */
export type WebBackend = (typeof WEB_BACKENDS)[number];

/** What one training run uses. */
export interface RunConfig {
  dataset: WebDataset;
  likelihood: WebLikelihood;
  latentDim: number;
  hiddenUnits: number[];
  learningRate: number;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  seed: number;
  backend: WebBackend;
  /** The posterior family q(z|x). */
  posterior: WebPosterior;
  /** MNIST only: train a CVAE with the digit label as a categorical covariate of the encoder and the decoder. */
  conditionOnDigit: boolean;
}

/** The digit a conditional model's samples were asked for, and how many of them a 1-NN classifier calls that digit. */
export interface DigitCheck {
  digit: number;
  /** Share of the samples whose nearest shown training digit (Euclidean) has the requested label, in [0, 1]. */
  agreement: number;
}

/** What a finished (or imported) model is, and its −ELBO evaluated once at the end. */
export interface RunSummary {
  /** The posterior in words, e.g. "flow (IAF, 2 steps × 16)". */
  posterior: string;
  /** Whether the model is conditioned on the digit (a CVAE). */
  conditional: boolean;
  /** −ELBO, reconstruction NLL and KL in nats per example (`VAE.evaluate`, one seeded draw per row). */
  loss: number;
  reconstruction: number;
  kl: number;
  /** Which rows it was evaluated on, in words ("200 validation rows"). */
  evaluatedOn: string;
}

/** A row-major matrix that travels between threads. */
export interface WireMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** The model's current view of the data, drawn by the page. */
export interface Snapshot {
  /** Posterior means of the first `latent.rows` examples (labels: the data's). */
  latent: WireMatrix;
  /** Reconstructions E[x|z=μ(x)] of the first `recon.rows` examples. */
  recon: WireMatrix;
  /** Examples generated from the prior (draws for vectors, decoder means for images). */
  samples: WireMatrix;
  /** Images: decoder means along a straight line between two examples' latent means. */
  interpolation?: WireMatrix;
  /** Conditional models: the digit `samples` were generated for (decoder means of p(x|z, digit), z ~ p(z)). */
  digit?: DigitCheck;
  /** Conditional models: each row one z from the prior, decoded as every digit 0 … 9 (10 images per row). */
  styles?: WireMatrix;
}

/** Page → worker. */
export type ToWorker =
  /** Sent once, first: the page URL's settings (`?threads=`). */
  | { type: 'settings'; wasmThreads: WasmThreads }
  | { type: 'train'; runId: number; config: RunConfig }
  | { type: 'stop' }
  /** Conditional models: sample the current model's digit `digit` (answered with `digit-samples`). */
  | { type: 'digit'; digit: number }
  | { type: 'export' }
  | {
      type: 'import';
      runId: number;
      /** The saved model's two files (`<name>.json`, `<name>.weights.bin`), read with `tf.io.browserFiles`. */
      files: File[];
      dataset: WebDataset;
      backend: WebBackend;
    };

/** Worker → page. */
export type FromWorker =
  | { type: 'backend'; backend: string; notes: string[] }
  /** Sent once when the worker starts: `listLikelihoods()` with each one's description. */
  | { type: 'likelihoods'; likelihoods: { name: string; description: string }[] }
  | { type: 'status'; runId: number; text: string }
  | {
      type: 'data';
      runId: number;
      name: string;
      /** Examples drawn as points and vs reconstruction (the first rows of the data). */
      x: WireMatrix;
      labels: Int32Array;
      shape: number[];
      trainRows: number;
    }
  | { type: 'epoch'; runId: number; log: EpochMetrics; snapshot?: Snapshot; memory: TfMemory }
  | {
      type: 'done';
      runId: number;
      stopReason: string;
      seconds: number;
      snapshot: Snapshot;
      epochs: number;
      summary: RunSummary;
    }
  | {
      type: 'imported';
      runId: number;
      likelihood: string;
      inputDim: number;
      latentDim: number;
      /** The encoder's hidden widths. */
      hiddenUnits: number[];
      snapshot: Snapshot;
      summary: RunSummary;
    }
  | { type: 'digit-samples'; samples: WireMatrix; digit: DigitCheck }
  /** The tfjs artifacts `VAE.save` hands to an IOHandler; the page saves them with the `downloads://` handler. */
  | { type: 'exported'; artifacts: import('@tensorflow/tfjs').io.ModelArtifacts }
  | { type: 'error'; runId: number; message: string };

/**
 * `tf.memory()` in the training worker at an epoch's end (after the epoch's snapshot is read): what stays allocated
 * between epochs, the same count at every epoch end when nothing leaks (the browser bench reports it).
 */
export interface TfMemory {
  numTensors: number;
  numBytes: number;
}

/** The plotted subset of `EpochLog`: the loss chart's per-epoch metrics, the epoch count and the epoch's seconds. */
export type EpochMetrics = RunCurve['epochs'][number] & { epochs: number; seconds: number };
