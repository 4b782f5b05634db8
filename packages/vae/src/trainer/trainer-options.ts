import { ArgumentError } from '@varia/core';
import type { KLSchedule } from '@varia/losses';
import { INFERENCE_LIMITS } from '../inference-options.js';
import { assertOptions } from '../known-keys.js';
import { showValue as show } from '../show-value.js';
import type { BatchSource } from './batch-source.js';
import type { BatchLogs, Callback, TrainingLog } from './callback.js';

/**
 * Options of the Trainer (`fitModel`, and `VAE.fit` whose {@link FitOptions} take the validation data as a matrix).
 * The classic options map to built-in callbacks: `patience`/`restoreBestWeights` to {@link EarlyStopping},
 * `checkpointEvery`/`checkpointDir` to {@link ModelCheckpoint}, `klWarmupEpochs`/`klWarmupSteps`/`klSchedule` to
 * {@link KLAnnealing}; `callbacks` adds your own after them.
 */
export interface TrainerOptions<Log = TrainingLog, Validation = BatchSource, Info = BatchLogs> {
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
  /** Samples of z per example in the loss (passed to the model as `ctx.samples`); default 1. */
  samples?: number;
  /** Free bits λ per latent dimension (nats), passed as `ctx.freeBits`; default 0. */
  freeBits?: number;
  /** Held-out data evaluated after every epoch. */
  validationData?: Validation;
  /** Fraction of the data held out for validation (a seeded random subset); not together with `validationData`. */
  validationSplit?: number;
  /** Early stopping: stop after this many epochs without improvement of the validation (else training) loss. */
  patience?: number;
  /** With early stopping, restore the best epoch's weights at the end (default true). */
  restoreBestWeights?: boolean;
  /** Called after every epoch with its metrics; may be async. */
  onEpochEnd?: (log: Log) => void | Promise<void>;
  /** Called after every batch (progress bars). */
  onBatchEnd?: (info: Info) => void;
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
  /** More callbacks, run in order after the built-ins the options above create. */
  callbacks?: Callback[];
  /**
   * Let a model that implements `fusedGradients` compute its training steps without the gradient tape (default
   * true): the built-in MLP VAE then runs its steps as a replay of the generic path's kernels — the same weights,
   * losses and history, bit for bit, with fewer kernels and no tape. `false` always takes the generic path.
   */
  fusedStep?: boolean;
  /**
   * Run the encoder's first dense layer of each training step from the batch's non-zero entries (default false):
   * y = f(x·W + b), dW = xᵀ·δ and db = Σ δ read only the non-zeros (`SPARSE_INPUT_DENSE_KERNEL` and its backward
   * from `@varia/core`; `@varia/native-kernels` registers them for wasm) — in the fused step and the taped path alike,
   * with the same bits on both. `false`: the dense path, bit for bit. `true`: every step that can take it. `'auto'`:
   * the steps whose batch has at most `SPARSE_INPUT_TRAINING_DENSITY` non-zeros (on 16 rows). A step takes it with the
   * built-in VAE's MLP encoder (a log1p input transform included: log(1 + 0) = 0) whose first layer is `linear`,
   * `relu` or `sigmoid`, on a backend with both kernels; anything else (another backend or encoder, an encoder that
   * reads covariates, a `fitModel` model that ignores `StepContext.sparseInput`) runs the dense path as with `false`.
   * Validation and inference run dense. The sums run in another order, so results differ from the dense run's by
   * float32 rounding. Each epoch's log counts the steps that took it (`sparseInputSteps`, when the option is on).
   */
  sparseInput?: boolean | 'auto';
}

/** Every option the Trainer knows (an unknown key is an ArgumentError with a "did you mean" hint). */
export const TRAINER_OPTION_NAMES = [
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
  'callbacks',
  'fusedStep',
  'sparseInput',
] as const satisfies readonly (keyof TrainerOptions)[];

// Every key of TrainerOptions is listed above (a compile error names the one missing).
const everyOptionListed: Record<Exclude<keyof TrainerOptions, (typeof TRAINER_OPTION_NAMES)[number]>, never> = {};
void everyOptionListed;

/** {@link TrainerOptions} checked, with every default filled in. */
export interface ResolvedTrainerOptions<Log = TrainingLog, Validation = BatchSource, Info = BatchLogs> {
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
  validationData?: Validation;
  validationSplit?: number;
  patience?: number;
  restoreBestWeights: boolean;
  onEpochEnd?: (log: Log) => void | Promise<void>;
  onBatchEnd?: (info: Info) => void;
  signal?: AbortSignal;
  checkpointEvery?: number;
  checkpointDir?: string;
  resumeFrom?: string;
  callbacks: Callback[];
  /** Whether a model's `fusedGradients` may compute the steps. */
  fusedStep: boolean;
  /** Whether training steps run the encoder's first layer on the non-zeros (`'auto'`: per batch, by its density). */
  sparseInput: boolean | 'auto';
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

/** `samples` as a positive integer of at most `INFERENCE_LIMITS.maxIwaeK` (a typo such as 1e6 ran out of memory). */
function samplesWithin(v: unknown): number {
  const samples = integerAtLeast('samples', v, 1);
  if (samples > INFERENCE_LIMITS.maxIwaeK) {
    throw new ArgumentError(
      'samples',
      `${where}: "samples" is ${samples}, above the limit of ${INFERENCE_LIMITS.maxIwaeK} (INFERENCE_LIMITS.maxIwaeK)`,
    );
  }
  return samples;
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

function sparseInputOption(v: unknown): boolean | 'auto' {
  if (typeof v !== 'boolean' && v !== 'auto')
    throw new ArgumentError('sparseInput', `${where}: "sparseInput" must be true, false or 'auto', got ${show(v)}`);
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

const HOOKS = ['validate', 'adjustBeta', 'onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'];

function callbackList(v: unknown): Callback[] {
  if (!Array.isArray(v)) throw new ArgumentError('callbacks', `${where}: "callbacks" must be an array, got ${show(v)}`);
  v.forEach((cb: unknown, i) => {
    const c = cb as Record<string, unknown> | null;
    const bad =
      typeof c !== 'object' || c === null
        ? 'not an object'
        : HOOKS.find((h) => c[h] !== undefined && typeof c[h] !== 'function');
    if (bad) {
      throw new ArgumentError(
        'callbacks',
        `${where}: "callbacks"[${i}] must be a callback object (hooks ${HOOKS.join(', ')}), ${
          bad === 'not an object' ? `got ${show(cb)}` : `but its "${bad}" is not a function`
        }`,
      );
    }
  });
  return [...(v as Callback[])];
}

/**
 * Checks every option (types, ranges, unknown keys, combinations) and fills in the defaults, before any data is read
 * or any state changes. `validationData` is kept as given (the caller checks it: a matrix for `VAE.fit`, a
 * BatchSource for `fitModel`).
 * @throws ArgumentError naming the option.
 */
export function resolveTrainerOptions<Log, Validation, Info>(
  options: TrainerOptions<Log, Validation, Info>,
  model: { deterministic?: boolean } = {},
): ResolvedTrainerOptions<Log, Validation, Info> {
  assertOptions(options, TRAINER_OPTION_NAMES, where);
  const o = options as Record<(typeof TRAINER_OPTION_NAMES)[number], unknown>;
  const given = (key: (typeof TRAINER_OPTION_NAMES)[number]): boolean => o[key] !== undefined;
  // only undefined takes a default: null is a value, refused like any other wrong one
  const or = <T>(v: T | undefined, fallback: T): T => (v === undefined ? fallback : v);
  const learningRate = or(o.learningRate, 1e-3);
  if (!isNumber(learningRate) || !(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new ArgumentError(
      'learningRate',
      `${where}: "learningRate" must be a finite number > 0, got ${show(learningRate)}`,
    );
  }
  const seed = or(o.seed, 0);
  if (!isNumber(seed) || !Number.isSafeInteger(seed))
    throw new ArgumentError('seed', `${where}: "seed" must be an integer, got ${show(seed)}`);
  const resolved: ResolvedTrainerOptions<Log, Validation, Info> = {
    epochs: integerAtLeast('epochs', or(o.epochs, 10), 1),
    batchSize: integerAtLeast('batchSize', or(o.batchSize, 32), 1),
    learningRate,
    seed,
    shuffle: boolean('shuffle', or(o.shuffle, true)),
    beta: finiteAtLeastZero('beta', or(o.beta, model.deterministic ? 0 : 1)),
    samples: samplesWithin(or(o.samples, 1)),
    freeBits: finiteAtLeastZero('freeBits', or(o.freeBits, 0)),
    restoreBestWeights: boolean('restoreBestWeights', or(o.restoreBestWeights, true)),
    callbacks: given('callbacks') ? callbackList(o.callbacks) : [],
    fusedStep: boolean('fusedStep', or(o.fusedStep, true)),
    sparseInput: sparseInputOption(or(o.sparseInput, false)),
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
  if (given('validationData')) resolved.validationData = o.validationData as Validation;
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
  return resolved;
}
