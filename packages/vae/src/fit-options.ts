import { ArgumentError } from '@varia/core';
import { type KLSchedule, linearWarmup } from '@varia/losses';
import type { DataInput } from './data.js';
import { assertOptions } from './known-keys.js';

/** One epoch's metrics (nats per example, averaged over the epoch's examples). */
export interface EpochLog {
  /** 1-based epoch number. */
  epoch: number;
  /** Total epochs planned. */
  epochs: number;
  /** Training loss: −ELBO with the epoch's β and free bits (what was minimized). */
  loss: number;
  /** Mean E_q[log p(x|z)] on the training batches. */
  reconstruction: number;
  /** Mean KL(q(z|x) ‖ p(z)) on the training batches. */
  kl: number;
  /** The KL weight β used in this epoch (after warm-up/annealing). */
  beta: number;
  /** Validation −ELBO (β = 1, one sample), when validation data is given. */
  valLoss?: number;
  /** Validation mean reconstruction term. */
  valReconstruction?: number;
  /** Validation mean KL. */
  valKl?: number;
  /** Wall time of the epoch in seconds (training steps only). */
  seconds: number;
  /** Training throughput. */
  examplesPerSecond: number;
}

/** Progress after each batch (no tensor reads: cheap). */
export interface BatchInfo {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Examples in this batch. */
  size: number;
}

/** Options of `VAE.fit`. */
export interface FitOptions {
  /** Passes over the data; default 10. */
  epochs?: number;
  /** Examples per gradient step; default 32. */
  batchSize?: number;
  /** Adam step size; default 1e-3. Each `fit` call starts a fresh Adam (moments at zero) unless it resumes a checkpoint. */
  learningRate?: number;
  /** Seed of shuffling, sampling and the validation split; default 0. Same seed, same run. */
  seed?: number;
  /** Shuffle the examples each epoch (default true). */
  shuffle?: boolean;
  /** Constant KL weight β (β-VAE); default 1 (0 for a deterministic autoencoder). Multiplied by the schedule when one is set. */
  beta?: number;
  /** Linear KL warm-up over this many epochs (β ramps from 1/N to 1). */
  klWarmupEpochs?: number;
  /** Linear KL warm-up over this many steps. */
  klWarmupSteps?: number;
  /** A custom per-step β schedule (e.g. `cyclicalAnnealing` from `@varia/losses`), called with the global step. */
  klSchedule?: KLSchedule;
  /** Reparameterized samples per example in the reconstruction term; default 1. */
  samples?: number;
  /** Free bits λ per latent dimension (nats); default 0. */
  freeBits?: number;
  /** Held-out data evaluated after every epoch. */
  validationData?: DataInput;
  /** Fraction of the data held out for validation (a seeded random subset); not together with `validationData`. */
  validationSplit?: number;
  /** Early stopping: stop after this many epochs without improvement of the validation (else training) loss. */
  patience?: number;
  /** With early stopping, restore the best epoch's weights at the end (default true). */
  restoreBestWeights?: boolean;
  /** Called after every epoch with its metrics; may be async. */
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
  /** Called after every batch (progress bars). */
  onBatchEnd?: (info: BatchInfo) => void;
  /**
   * Stops training cleanly between batches; `fit` then resolves with `stopReason: 'aborted'`. The model keeps the
   * steps taken so far (also those of the interrupted epoch, which is not in the history); with early stopping the
   * best epoch's weights are restored as usual. The steps of the interrupted epoch pass the divergence guard first.
   */
  signal?: AbortSignal;
  /** Write a checkpoint (weights, optimizer state, history) to `checkpointDir` every N epochs. */
  checkpointEvery?: number;
  /** Directory for checkpoints (Node). */
  checkpointDir?: string;
  /** Resume from a checkpoint directory: continues after its epoch, giving the same result as an uninterrupted run. */
  resumeFrom?: string;
}

/** The result of `fit`. */
export interface History {
  /** One entry per completed epoch (including those before a resume). */
  epochs: EpochLog[];
  /** Why training ended. */
  stopReason: 'completed' | 'early-stopping' | 'aborted';
  /**
   * The epoch whose weights the model holds at the end (the best one with early stopping); after an abort in the
   * middle of an epoch, the last completed epoch (the model then also holds the interrupted epoch's steps).
   */
  bestEpoch: number;
  /** Total training seconds in this call. */
  seconds: number;
}

/** Every option `fit` knows (an unknown key is an ArgumentError with a "did you mean" hint). */
export const FIT_OPTION_NAMES = [
  'epochs',
  'batchSize',
  'learningRate',
  'seed',
  'shuffle',
  'beta',
  'klWarmupEpochs',
  'klWarmupSteps',
  'klSchedule',
  'samples',
  'freeBits',
  'validationData',
  'validationSplit',
  'patience',
  'restoreBestWeights',
  'onEpochEnd',
  'onBatchEnd',
  'signal',
  'checkpointEvery',
  'checkpointDir',
  'resumeFrom',
] as const satisfies readonly (keyof FitOptions)[];

// Every key of FitOptions is listed above (a compile error names the one missing).
const everyOptionListed: Record<Exclude<keyof FitOptions, (typeof FIT_OPTION_NAMES)[number]>, never> = {};
void everyOptionListed;

/** {@link FitOptions} checked, with every default filled in. */
export interface ResolvedFitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  shuffle: boolean;
  /** The constant KL weight β. */
  beta: number;
  samples: number;
  freeBits: number;
  klWarmupEpochs?: number;
  klWarmupSteps?: number;
  klSchedule?: KLSchedule;
  validationData?: DataInput;
  validationSplit?: number;
  patience?: number;
  restoreBestWeights: boolean;
  onEpochEnd?: FitOptions['onEpochEnd'];
  onBatchEnd?: FitOptions['onBatchEnd'];
  signal?: AbortSignal;
  checkpointEvery?: number;
  checkpointDir?: string;
  resumeFrom?: string;
  /** β of global step `step` (0-based) in epoch `epoch` (1-based): β × schedule(step) × warm-up(epoch − 1). */
  betaAt(step: number, epoch: number): number;
}

const where = 'fit';

function isNumber(v: unknown): v is number {
  return typeof v === 'number';
}

function integerAtLeast(name: string, v: unknown, min: number): number {
  if (!isNumber(v) || !Number.isInteger(v) || v < min) {
    throw new ArgumentError(
      name,
      `${where}: "${name}" must be ${min === 1 ? 'a positive integer' : `an integer >= ${min}`}, got ${show(v)}`,
    );
  }
  return v;
}

function finiteAtLeastZero(name: string, v: unknown): number {
  if (!isNumber(v) || !(v >= 0) || !Number.isFinite(v))
    throw new ArgumentError(name, `${where}: "${name}" must be a finite number >= 0, got ${show(v)}`);
  return v;
}

function boolean(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean')
    throw new ArgumentError(name, `${where}: "${name}" must be true or false, got ${show(v)}`);
  return v;
}

function fn<F>(name: string, v: unknown): F {
  if (typeof v !== 'function') throw new ArgumentError(name, `${where}: "${name}" must be a function, got ${show(v)}`);
  return v as F;
}

function path(name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '')
    throw new ArgumentError(name, `${where}: "${name}" must be a non-empty path, got ${show(v)}`);
  return v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}

/**
 * Checks every option of `fit` (types, ranges, unknown keys, combinations) and fills in the defaults, before any
 * data is read or any state changes.
 * @throws ArgumentError naming the option.
 */
export function resolveFitOptions(options: FitOptions, model: { deterministic?: boolean }): ResolvedFitOptions {
  assertOptions(options, FIT_OPTION_NAMES, where);
  const o = options as Record<(typeof FIT_OPTION_NAMES)[number], unknown>;
  const given = (key: (typeof FIT_OPTION_NAMES)[number]): boolean => o[key] !== undefined;
  const learningRate = o.learningRate ?? 1e-3;
  if (!isNumber(learningRate) || !(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new ArgumentError(
      'learningRate',
      `${where}: "learningRate" must be a finite number > 0, got ${show(learningRate)}`,
    );
  }
  const seed = o.seed ?? 0;
  if (!isNumber(seed) || !Number.isSafeInteger(seed))
    throw new ArgumentError('seed', `${where}: "seed" must be an integer, got ${show(seed)}`);
  const resolved: Omit<ResolvedFitOptions, 'betaAt'> = {
    epochs: integerAtLeast('epochs', o.epochs ?? 10, 1),
    batchSize: integerAtLeast('batchSize', o.batchSize ?? 32, 1),
    learningRate,
    seed,
    shuffle: boolean('shuffle', o.shuffle ?? true),
    beta: finiteAtLeastZero('beta', o.beta ?? (model.deterministic ? 0 : 1)),
    samples: integerAtLeast('samples', o.samples ?? 1, 1),
    freeBits: finiteAtLeastZero('freeBits', o.freeBits ?? 0),
    restoreBestWeights: boolean('restoreBestWeights', o.restoreBestWeights ?? true),
  };
  if (given('klWarmupEpochs')) resolved.klWarmupEpochs = integerAtLeast('klWarmupEpochs', o.klWarmupEpochs, 1);
  if (given('klWarmupSteps')) resolved.klWarmupSteps = integerAtLeast('klWarmupSteps', o.klWarmupSteps, 1);
  if (given('klSchedule')) {
    resolved.klSchedule = fn<KLSchedule>('klSchedule', o.klSchedule);
    if (given('klWarmupSteps')) {
      throw new ArgumentError(
        'klWarmupSteps',
        `${where}: give "klSchedule" or "klWarmupSteps", not both (klWarmupSteps is the schedule linearWarmup(N))`,
      );
    }
  }
  if (given('validationData')) resolved.validationData = o.validationData as DataInput;
  if (given('validationSplit')) {
    const f = o.validationSplit;
    if (!isNumber(f) || !(f > 0 && f < 1))
      throw new ArgumentError('validationSplit', `${where}: "validationSplit" must be in (0, 1), got ${show(f)}`);
    if (given('validationData')) {
      throw new ArgumentError('validationSplit', `${where}: give "validationData" or "validationSplit", not both`);
    }
    resolved.validationSplit = f;
  }
  if (given('patience')) resolved.patience = integerAtLeast('patience', o.patience, 0);
  if (given('onEpochEnd')) resolved.onEpochEnd = fn('onEpochEnd', o.onEpochEnd);
  if (given('onBatchEnd')) resolved.onBatchEnd = fn('onBatchEnd', o.onBatchEnd);
  if (given('signal')) {
    const s = o.signal as { aborted?: unknown } | null;
    if (typeof s !== 'object' || s === null || typeof s.aborted !== 'boolean') {
      throw new ArgumentError('signal', `${where}: "signal" must be an AbortSignal, got ${show(o.signal)}`);
    }
    resolved.signal = o.signal as AbortSignal;
  }
  if (given('checkpointDir')) resolved.checkpointDir = path('checkpointDir', o.checkpointDir);
  if (given('checkpointEvery')) {
    resolved.checkpointEvery = integerAtLeast('checkpointEvery', o.checkpointEvery, 1);
    if (!given('checkpointDir'))
      throw new ArgumentError('checkpointDir', `${where}: "checkpointEvery" needs a "checkpointDir"`);
  }
  if (given('resumeFrom')) resolved.resumeFrom = path('resumeFrom', o.resumeFrom);
  const schedule =
    resolved.klSchedule ?? (resolved.klWarmupSteps !== undefined ? linearWarmup(resolved.klWarmupSteps) : undefined);
  const epochSchedule = resolved.klWarmupEpochs !== undefined ? linearWarmup(resolved.klWarmupEpochs) : undefined;
  const betaAt = (step: number, epoch: number): number => {
    const factor = schedule ? schedule(step) : 1;
    if (!isNumber(factor) || !(factor >= 0) || !Number.isFinite(factor)) {
      throw new ArgumentError(
        'klSchedule',
        `${where}: "klSchedule" returned ${show(factor)} for step ${step}; it must return a finite number >= 0`,
      );
    }
    return resolved.beta * factor * (epochSchedule ? epochSchedule(epoch - 1) : 1);
  };
  return { ...resolved, betaAt };
}
