import { parseArgs } from 'node:util';
import { LIKELIHOODS } from '@varia/vae';
import { BACKEND_REQUESTS, type BackendRequest } from './backend.js';

/** Datasets the CLI can train on. */
export const DATASETS = ['toy2d', 'toy2d-separated', 'counts', 'mnist', 'mnist-counts'] as const;
/** A dataset name. */
export type DatasetName = (typeof DATASETS)[number];
/** Likelihoods the CLI exposes: every built-in likelihood of `@varia/vae`. */
export const CLI_LIKELIHOODS = LIKELIHOODS;

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
  out: string;
  json: boolean;
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

export const USAGE = `Usage: pnpm playground train [options]
       pnpm playground serve [--port N]   (serve the web page; see serve --help)

Trains a variational autoencoder and saves it. Defaults reproduce the classic example
(2-D toy data, hidden 2, latent 2, Adam lr 0.01, 20 epochs, batch 10, Gaussian likelihood).

Options:
  --dataset NAME          ${DATASETS.join(' | ')} (default toy2d)
  --likelihood NAME       ${CLI_LIKELIHOODS.join(' | ')} (default gaussian)
  --epochs N              passes over the data (default 20)
  --batch-size N          examples per step (default 10)
  --latent-dim N          latent width (default 2)
  --hidden N[,N...]       hidden widths of the encoder; the decoder mirrors them (default 2)
  --lr X                  Adam learning rate (default 0.01)
  --seed N                seed of initialisation, shuffling and sampling (default 0)
  --backend NAME          ${BACKEND_REQUESTS.join(' | ')}
                          (default auto: node-gpu, node, wasm-native, wasm, cpu; wasm-native is the wasm
                          backend with matMul on oneDNN/OpenBLAS via @varia/native-kernels)
  --blas-threads N        BLAS threads of wasm-native (default 1)
  --out DIR               where the model is saved (default ./varia-model)
  --json                  print one JSON object per epoch and a summary, nothing else on stdout
  --beta X                KL weight (default 1)
  --kl-warmup N           linear KL warm-up over N epochs
  --iwae-k K              also report the IWAE-K bound on the evaluation data (mnist: default 100)
  --validation-split F    hold out a fraction F in (0, 1) for validation
  --patience N            early stopping after N epochs without validation improvement
  --checkpoint-every N    write a checkpoint to OUT/checkpoint every N epochs
  --resume DIR            resume training from a checkpoint directory
  --plots DIR             write loss, data and latent plots (SVG and PNG) to DIR
  -h, --help              show this help`;

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  }
  return n;
}

function num(name: string, v: string | undefined, check: (x: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}, got "${v}"`);
  return n;
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got "${v}"`);
  return v as T;
}

/** Parses `train` arguments. @throws UsageError with a clear message. */
export function parseTrainArgs(argv: string[]): TrainArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
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
        out: { type: 'string' },
        json: { type: 'boolean' },
        beta: { type: 'string' },
        'kl-warmup': { type: 'string' },
        'iwae-k': { type: 'string' },
        'validation-split': { type: 'string' },
        patience: { type: 'string' },
        'checkpoint-every': { type: 'string' },
        resume: { type: 'string' },
        plots: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const hidden = v.hidden === undefined ? [2] : v.hidden.split(',').map((h) => int('hidden', h, 1)!);
  return {
    dataset: oneOf('dataset', v.dataset, DATASETS, 'toy2d'),
    likelihood: oneOf('likelihood', v.likelihood, CLI_LIKELIHOODS, 'gaussian'),
    epochs: int('epochs', v.epochs, 1) ?? 20,
    batchSize: int('batch-size', v['batch-size'], 1) ?? 10,
    latentDim: int('latent-dim', v['latent-dim'], 1) ?? 2,
    hidden,
    lr: num('lr', v.lr, (x) => x > 0, 'a number > 0') ?? 0.01,
    seed: int('seed', v.seed, 0) ?? 0,
    backend: oneOf('backend', v.backend, BACKEND_REQUESTS, 'auto'),
    blasThreads: int('blas-threads', v['blas-threads'], 1) ?? 1,
    out: v.out ?? 'varia-model',
    json: v.json ?? false,
    beta: num('beta', v.beta, (x) => x >= 0, 'a number >= 0') ?? 1,
    klWarmup: int('kl-warmup', v['kl-warmup'], 1),
    iwaeK: int('iwae-k', v['iwae-k'], 1),
    validationSplit: num('validation-split', v['validation-split'], (x) => x > 0 && x < 1, 'a number in (0, 1)'),
    patience: int('patience', v.patience, 0),
    checkpointEvery: int('checkpoint-every', v['checkpoint-every'], 1),
    resume: v.resume,
    plots: v.plots,
  };
}

/** Parsed options of `serve`. */
export interface ServeArgs {
  port: number;
  dir?: string;
}

export const SERVE_USAGE = `Usage: pnpm playground serve [--port N] [--dir DIR]

Serves the built web page (apps/playground/dist-web) on http://127.0.0.1:PORT/ until interrupted.

Options:
  --port N                port to listen on, 0 for any free port (default 5173)
  --dir DIR               serve another build of the page
  -h, --help              show this help`;

/** Parses `serve` arguments. @throws UsageError with a clear message. */
export function parseServeArgs(argv: string[]): ServeArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: { port: { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.values.help) return 'help';
  const port = int('port', parsed.values.port, 0) ?? 5173;
  if (port > 65535) throw new UsageError(`--port must be an integer in 0…65535, got "${parsed.values.port}"`);
  return { port, dir: parsed.values.dir };
}
