/** Messages between the page (main.ts) and the training worker (worker.ts). */

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
/** Backend preference: `auto` tries webgl → wasm → cpu. */
export const WEB_BACKENDS = ['auto', 'webgl', 'wasm', 'cpu'] as const;
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
}

/** Page → worker. */
export type ToWorker =
  | { type: 'train'; runId: number; config: RunConfig }
  | { type: 'stop' }
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
  | { type: 'epoch'; runId: number; log: EpochMetrics; snapshot?: Snapshot }
  | { type: 'done'; runId: number; stopReason: string; seconds: number; snapshot: Snapshot; epochs: number }
  | { type: 'imported'; runId: number; likelihood: string; inputDim: number; latentDim: number; snapshot: Snapshot }
  /** The tfjs artifacts `VAE.save` hands to an IOHandler; the page saves them with the `downloads://` handler. */
  | { type: 'exported'; artifacts: import('@tensorflow/tfjs').io.ModelArtifacts }
  | { type: 'error'; runId: number; message: string };

/** The plotted subset of `EpochLog`. */
export interface EpochMetrics {
  epoch: number;
  epochs: number;
  loss: number;
  reconstruction: number;
  kl: number;
  valLoss?: number;
  valReconstruction?: number;
  valKl?: number;
  seconds: number;
}
