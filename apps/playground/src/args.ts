import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { INFERENCE_LIMITS, listLikelihoods } from '@varia/vae';
import { BACKEND_REQUESTS, type BackendRequest } from './backend.js';

/** Datasets the CLI can train on. */
export const DATASETS = ['mnist', 'toy2d', 'toy2d-separated', 'counts', 'mnist-counts'] as const;
/** A dataset name. */
export type DatasetName = (typeof DATASETS)[number];
/** Likelihoods the CLI exposes: every likelihood registered in `@varia/vae` (`registerLikelihood`) when it loads. */
export const CLI_LIKELIHOODS: readonly string[] = listLikelihoods();
/** The dataset `train` uses without `--dataset`. */
export const DEFAULT_DATASET: DatasetName = 'mnist';

/** The settings that depend on the dataset; flags override each one. */
export interface DatasetDefaults {
  likelihood: (typeof CLI_LIKELIHOODS)[number];
  epochs: number;
  batchSize: number;
  latentDim: number;
  hidden: number[];
  lr: number;
  /** The width of one example (known before loading, for the size check). */
  inputDim: number;
}

/**
 * Per-dataset defaults. MNIST: Kingma & Welling's Bernoulli VAE, 784-400-20, batch 128, Adam 1e-3 (5 epochs, ~10 s
 * here). Counts: Poisson. toy2d keeps the classic example's settings (hidden 2, latent 2, lr 0.01, batch 10); its
 * separated variant gets a network wide enough to place nine blobs (hidden 16, batch 64, lr 0.02).
 */
export const DATASET_DEFAULTS: Record<DatasetName, DatasetDefaults> = {
  mnist: { likelihood: 'bernoulli', epochs: 5, batchSize: 128, latentDim: 20, hidden: [400], lr: 1e-3, inputDim: 784 },
  'mnist-counts': {
    likelihood: 'poisson',
    epochs: 5,
    batchSize: 128,
    latentDim: 20,
    hidden: [400],
    lr: 1e-3,
    inputDim: 784,
  },
  counts: { likelihood: 'poisson', epochs: 20, batchSize: 64, latentDim: 2, hidden: [32], lr: 0.01, inputDim: 20 },
  toy2d: { likelihood: 'gaussian', epochs: 20, batchSize: 10, latentDim: 2, hidden: [2], lr: 0.01, inputDim: 2 },
  'toy2d-separated': {
    likelihood: 'gaussian',
    epochs: 20,
    batchSize: 64,
    latentDim: 2,
    hidden: [16],
    lr: 0.02,
    inputDim: 2,
  },
};

/** The widest layer (`--hidden`, `--latent-dim`) the CLI accepts. */
export const MAX_UNITS = 65_536;
/**
 * The most weights a CLI model may have: 5·10⁷ float32 (200 MB; with Adam's two moments and the gradients about
 * 800 MB). Checked before anything is allocated.
 */
export const MAX_PARAMETERS = 50_000_000;

/**
 * An upper bound on a VAE's weight count: dense layers in → hidden… → 2·latent (encoder) and latent → …hidden →
 * 2·in (decoder, two parameters per entry for the two-parameter likelihoods), each with a bias.
 */
export function parameterCount(inputDim: number, hidden: readonly number[], latentDim: number): number {
  const dense = (widths: number[]): number => widths.slice(1).reduce((n, w, i) => n + (widths[i]! + 1) * w, 0);
  return dense([inputDim, ...hidden, 2 * latentDim]) + dense([latentDim, ...[...hidden].reverse(), 2 * inputDim]);
}

/** Parsed options of `train`. */
export interface TrainArgs {
  dataset: DatasetName;
  likelihood: (typeof CLI_LIKELIHOODS)[number];
  epochs: number;
  batchSize: number;
  latentDim: number;
  hidden: number[];
  lr: number;
  seed: number;
  backend: BackendRequest;
  /** BLAS threads of the wasm-native backend. */
  blasThreads: number;
  /** Threads of the wasm-native backend that share large products (`parallel` of `enableNativeKernels`). */
  parallel: number | 'auto';
  out: string;
  /** Whether `--out` was given (without it, a run whose ./varia-model holds a model saves to ./varia-model-2, …). */
  outGiven: boolean;
  /** Overwrite a non-empty `out` directory. */
  force: boolean;
  json: boolean;
  /** Say more: every backend tried and why it was skipped. */
  verbose: boolean;
  beta: number;
  klWarmup?: number;
  iwaeK?: number;
  validationSplit?: number;
  patience?: number;
  checkpointEvery?: number;
  resume?: string;
  plots?: string;
}

/** A command-line usage error: printed with the usage and exit code 2. */
export class UsageError extends Error {}

const shown = (d: DatasetDefaults): string =>
  `${d.likelihood}, ${d.inputDim}-${d.hidden.join('-')}-${d.latentDim}, batch ${d.batchSize}, lr ${d.lr}, ${d.epochs} epochs`;

export const USAGE = `Usage: pnpm playground train [options]
       pnpm playground serve [--port N]   (serve the web page; see serve --help)

Trains a variational autoencoder, says what it learned, and saves it. Without options: MNIST digits
(${shown(DATASET_DEFAULTS.mnist)}): a few seconds with the native kernels, ~15 s on plain wasm.

Options (the defaults depend on the dataset; any flag overrides):
  --dataset NAME          ${DATASETS.join(' | ')} (default ${DEFAULT_DATASET})
                            mnist, mnist-counts: ${shown(DATASET_DEFAULTS.mnist).replace('bernoulli', 'bernoulli / poisson')}
                            counts:              ${shown(DATASET_DEFAULTS.counts)}
                            toy2d:               ${shown(DATASET_DEFAULTS.toy2d)}
                            toy2d-separated:     ${shown(DATASET_DEFAULTS['toy2d-separated'])}
  --likelihood NAME       ${CLI_LIKELIHOODS.join(' | ')}
  --epochs N              passes over the data
  --batch-size N          examples per step
  --latent-dim N          latent width (at most ${MAX_UNITS})
  --hidden N[,N...]       hidden widths of the encoder; the decoder mirrors them (each at most ${MAX_UNITS})
  --lr X                  Adam learning rate
  --seed N                seed of initialisation, shuffling and sampling (default 0)
  --backend NAME          ${BACKEND_REQUESTS.join(' | ')}
                          (default auto: node-gpu, node, wasm-native, wasm, cpu; wasm-native is the wasm
                          backend with matMul on oneDNN/OpenBLAS via @varia/native-kernels)
  --blas-threads N        BLAS threads of wasm-native (default 1, at most the machine's cores)
  --parallel N|auto       threads of wasm-native sharing each large product (default auto: both cores where the
                          machine has two or more; 1 to 8, at most the machine's cores; the same results for each)
  --out DIR               where the model is saved (must be empty unless --force; default ./varia-model, or
                          ./varia-model-2, -3, … when it already holds a model)
  --force                 overwrite a non-empty --out directory
  --json                  print one JSON object per epoch and a summary, nothing else on stdout
  --verbose               say more (every backend tried, and why the others were skipped)
  --beta X                KL weight (default 1)
  --kl-warmup N           linear KL warm-up over N epochs
  --iwae-k K              also report the IWAE-K bound on the evaluation data (K at most ${INFERENCE_LIMITS.maxIwaeK})
  --validation-split F    hold out a fraction F in (0, 1) for validation
  --patience N            early stopping after N epochs without validation improvement
  --checkpoint-every N    write a checkpoint to OUT/checkpoint every N epochs
  --resume DIR            resume training from a checkpoint directory
  --plots DIR             write loss, data and latent plots (SVG and PNG) to DIR
  -h, --help              show this help`;

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const TRAIN_OPTIONS = {
  dataset: { type: 'string' },
  likelihood: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  'latent-dim': { type: 'string' },
  hidden: { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  'blas-threads': { type: 'string' },
  parallel: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  beta: { type: 'string' },
  'kl-warmup': { type: 'string' },
  'iwae-k': { type: 'string' },
  'validation-split': { type: 'string' },
  patience: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  resume: { type: 'string' },
  plots: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/**
 * `node:util` `parseArgs` with the CLI's rules on top: a value that starts with a dash is taken when it is a number
 * (`--epochs -1` then gets the range message, not "argument is ambiguous"), an option in its place is "needs a
 * value"; each option may be given once.
 */
function parseStrict<T extends OptionSpec>(argv: readonly string[], options: T) {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = String(argv[i]);
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && i + 1 < argv.length) {
      const next = String(argv[i + 1]);
      if (next.startsWith('-') && next.length > 1) {
        if (!/^-[\d.]/.test(next)) throw new UsageError(`--${name} needs a value, got the option "${next}"`);
        args.push(`${a}=${next}`);
        i++;
        continue;
      }
    }
    args.push(a);
  }
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: false; strict: true; tokens: true; options: T }>
  >;
  try {
    parsed = parseArgs({ args, allowPositionals: false, strict: true, tokens: true, options });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once; give each option once`);
    seen.add(token.name);
  }
  return parsed.values;
}

function int(
  name: string,
  v: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  why = '',
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  }
  if (n > max) throw new UsageError(`--${name} must be at most ${max}${why}, got "${v}"`);
  return n;
}

/** A decimal number (`0.01`, `1e-3`, `-2.5E+2`); `Number` alone would also take `0x10`, `0b11`, `Infinity`. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function num(name: string, v: string | undefined, check: (x: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!DECIMAL.test(v.trim()) || !Number.isFinite(n) || !check(n))
    throw new UsageError(`--${name} must be ${what}, got "${v}"`);
  return n;
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got "${v}"`);
  return v as T;
}

/** Parses `train` arguments. @throws UsageError with a clear message (and nothing else, for any argv). */
export function parseTrainArgs(argv: readonly string[]): TrainArgs | 'help' {
  const v = parseStrict(argv, TRAIN_OPTIONS);
  if (v.help) return 'help';
  const dataset = oneOf('dataset', v.dataset, DATASETS, DEFAULT_DATASET);
  const d = DATASET_DEFAULTS[dataset];
  const hidden = v.hidden === undefined ? d.hidden : v.hidden.split(',').map((h) => int('hidden', h, 1, MAX_UNITS)!);
  const latentDim = int('latent-dim', v['latent-dim'], 1, MAX_UNITS) ?? d.latentDim;
  const weights = parameterCount(d.inputDim, hidden, latentDim);
  if (weights > MAX_PARAMETERS) {
    throw new UsageError(
      `a ${d.inputDim}-${hidden.join('-')}-${latentDim} network on ${dataset} has about ${weights.toExponential(1)} weights, ` +
        `more than the CLI's limit of ${MAX_PARAMETERS.toExponential(0)} (${(4 * MAX_PARAMETERS) / 1e6} MB of float32); use smaller --hidden or --latent-dim`,
    );
  }
  const cores = availableParallelism();
  return {
    dataset,
    likelihood: oneOf('likelihood', v.likelihood, CLI_LIKELIHOODS, d.likelihood),
    epochs: int('epochs', v.epochs, 1) ?? d.epochs,
    batchSize: int('batch-size', v['batch-size'], 1) ?? d.batchSize,
    latentDim,
    hidden,
    lr: num('lr', v.lr, (x) => x > 0, 'a decimal number > 0') ?? d.lr,
    seed: int('seed', v.seed, 0) ?? 0,
    backend: oneOf('backend', v.backend, BACKEND_REQUESTS, 'auto'),
    blasThreads:
      int('blas-threads', v['blas-threads'], 1, cores, ` (the cores of this machine, os.availableParallelism())`) ?? 1,
    parallel: parallelArg(v.parallel, cores),
    out: nonEmpty('out', v.out) ?? 'varia-model',
    outGiven: v.out !== undefined,
    force: v.force ?? false,
    json: v.json ?? false,
    verbose: v.verbose ?? false,
    beta: num('beta', v.beta, (x) => x >= 0, 'a decimal number >= 0') ?? 1,
    klWarmup: int('kl-warmup', v['kl-warmup'], 1),
    iwaeK: int('iwae-k', v['iwae-k'], 1, INFERENCE_LIMITS.maxIwaeK, ' (INFERENCE_LIMITS.maxIwaeK)'),
    validationSplit: num('validation-split', v['validation-split'], (x) => x > 0 && x < 1, 'a number in (0, 1)'),
    patience: int('patience', v.patience, 0),
    checkpointEvery: int('checkpoint-every', v['checkpoint-every'], 1),
    resume: nonEmpty('resume', v.resume),
    plots: nonEmpty('plots', v.plots),
  };
}

/** `--parallel`: "auto" (also when absent) or an integer from 1 to min(8, cores). */
function parallelArg(v: string | undefined, cores: number): number | 'auto' {
  if (v === undefined || v.trim() === 'auto') return 'auto';
  const max = Math.min(8, cores);
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max)
    throw new UsageError(
      `--parallel must be "auto" or an integer from 1 to ${max} (8, or the cores of this machine if fewer), got "${v}"`,
    );
  return n;
}

function nonEmpty(name: string, v: string | undefined): string | undefined {
  if (v !== undefined && v.trim() === '') throw new UsageError(`--${name} needs a path, got ""`);
  return v;
}

/** Parsed options of `serve`. */
export interface ServeArgs {
  port: number;
  dir?: string;
  /** Send the cross-origin isolation headers (default true; `--no-isolation` turns them off). */
  isolated: boolean;
}

export const SERVE_USAGE = `Usage: pnpm playground serve [--port N] [--dir DIR]

Serves the built web page (apps/playground/dist-web) on http://127.0.0.1:PORT/ until interrupted.

Options:
  --port N                port to listen on, 0 for any free port (default 5173)
  --dir DIR               serve another build of the page
  --no-isolation          leave out the cross-origin isolation headers (COOP same-origin, COEP require-corp)
                          that let the page train on multithreaded wasm
  -h, --help              show this help`;

/** Parses `serve` arguments. @throws UsageError with a clear message. */
export function parseServeArgs(argv: readonly string[]): ServeArgs | 'help' {
  const v = parseStrict(argv, SERVE_OPTIONS);
  if (v.help) return 'help';
  const port = int('port', v.port, 0, 65535) ?? 5173;
  return { port, dir: nonEmpty('dir', v.dir), isolated: !(v['no-isolation'] ?? false) };
}

const SERVE_OPTIONS = {
  port: { type: 'string' },
  dir: { type: 'string' },
  'no-isolation': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;
