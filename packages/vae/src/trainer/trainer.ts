import { ArgumentError, DataError, mulberry32, permutation, ShapeError, type VariaError } from '@varia/core';
import { FusedAdamOptimizer } from '@varia/layers';
import { linearWarmup } from '@varia/losses';
import { assertGradientsRegistered } from '@varia/distributions';
import { restoreCheckpoint } from '../checkpoint.js';
import type { BatchSource } from './batch-source.js';
import type { Callback, TrainerContext, TrainingLog } from './callback.js';
import { DivergenceGuard } from './divergence-guard.js';
import { EarlyStopping } from './early-stopping.js';
import { runEpoch } from './epoch-loop.js';
import { evaluateSource, withStateKept } from './evaluate-source.js';
import { KLAnnealing } from './kl-annealing.js';
import { checkModelVariables } from './model-contract.js';
import { ModelCheckpoint } from './model-checkpoint.js';
import { runFingerprint } from './run-fingerprint.js';
import type { TrainableModel } from './trainable-model.js';
import { type ResolvedTrainerOptions, resolveTrainerOptions, type TrainerOptions } from './trainer-options.js';
import { disposeSnapshot, snapshotFromValues, type TrainingState } from './training-state.js';
import { makeYielder } from './yielder.js';

/** The result of a training run. */
export interface TrainingHistory<Log = TrainingLog> {
  /** One entry per completed epoch (including those before a resume). */
  epochs: Log[];
  /** Why training ended: all epochs done, early stopping, the abort signal, or a callback's `stopTraining`. */
  stopReason: 'completed' | 'early-stopping' | 'aborted' | 'callback';
  /**
   * The epoch whose weights the model holds at the end (the best one with early stopping); after an abort in the
   * middle of an epoch, the last completed epoch (the model then also holds the interrupted epoch's steps).
   */
  bestEpoch: number;
  /** Total training seconds in this call. */
  seconds: number;
}

/** How the owner of a model can stop a running training (e.g. `dispose()` during `VAE.fit`). */
export interface TrainingControl {
  /** Checked before every step and after every epoch: an error to reject with (the loop stops cleanly), or undefined. */
  stopError?(): VariaError | undefined;
  /** Called with the training source (after a validation split) before the first step (e.g. to record statistics). */
  onTrainingData?(train: BatchSource): void;
}

/** A deterministic per-epoch generator: the same (seed, epoch) always gives the same shuffle and sample seeds. */
function epochRng(seed: number, epoch: number): () => number {
  return mulberry32(Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(epoch + 1, 0x9e3779b1));
}

/** The callbacks the classic options stand for, in the order they run (before the user's `callbacks`). */
function optionCallbacks<Log, V, Info>(o: ResolvedTrainerOptions<Log, V, Info>): Callback[] {
  const out: Callback[] = [];
  if (o.klSchedule !== undefined || o.klWarmupSteps !== undefined || o.klWarmupEpochs !== undefined) {
    out.push(
      new KLAnnealing({
        schedule: o.klSchedule ?? (o.klWarmupSteps !== undefined ? linearWarmup(o.klWarmupSteps) : undefined),
        epochs: o.klWarmupEpochs,
      }),
    );
  }
  if (o.patience !== undefined)
    out.push(new EarlyStopping({ patience: o.patience, restoreBestWeights: o.restoreBestWeights }));
  if (o.checkpointEvery !== undefined)
    out.push(new ModelCheckpoint({ dir: o.checkpointDir!, every: o.checkpointEvery }, 'checkpointDir'));
  const { onEpochEnd, onBatchEnd } = o;
  if (onEpochEnd || onBatchEnd) {
    out.push({
      ...(onEpochEnd && { onEpochEnd: (_: number, log: TrainingLog) => onEpochEnd(log as Log) }),
      ...(onBatchEnd && { onBatchEnd: (_: number, info) => onBatchEnd(info as Info) }),
    });
  }
  return out;
}

/** The part held out by `validationSplit`: a seeded random subset, and the rest. */
function splitValidation(train: BatchSource, f: number, seed: number): { train: BatchSource; validation: BatchSource } {
  const n = train.length;
  if (n === undefined || !train.subset) {
    throw new ArgumentError(
      'validationSplit',
      'fit: "validationSplit" needs a source of known length with subset(); give "validationData" instead',
    );
  }
  const nVal = Math.round(n * f);
  if (nVal < 1 || nVal >= n) {
    throw new ArgumentError(
      'validationSplit',
      `fit: "validationSplit" ${f} leaves ${nVal} of ${n} examples for validation`,
    );
  }
  const perm = permutation(n, mulberry32(seed ^ 0x2545f491));
  return { validation: train.subset(perm.subarray(n - nVal)), train: train.subset(perm.subarray(0, n - nVal)) };
}

/**
 * The training loop with options already resolved (what `fitModel` and `VAE.fit` share): Adam on the model's loss,
 * seeded shuffling, per-epoch metrics read once per epoch, validation, callbacks, the divergence guard, abort,
 * checkpoints and resume.
 */
export async function runTraining<Log extends TrainingLog, Info>(
  model: TrainableModel,
  data: BatchSource,
  o: ResolvedTrainerOptions<Log, BatchSource, Info>,
  control: TrainingControl = {},
): Promise<TrainingHistory<Log>> {
  const checkStop = (): void => {
    const e = control.stopError?.();
    if (e) throw e;
  };
  assertGradientsRegistered();
  const { epochs, batchSize, seed } = o;
  let train = data;
  let validation = o.validationData;
  if (o.validationSplit !== undefined) ({ train, validation } = splitValidation(train, o.validationSplit, seed));
  for (const [name, width] of Object.entries(train.widths)) {
    if (validation && validation.widths[name] !== width) {
      throw new ShapeError(
        'validationData',
        `fit: the validation data's field "${name}" has width ${validation.widths[name]}, the training data's ${width}`,
      );
    }
  }
  const n = train.length;
  const batches = n === undefined ? undefined : Math.ceil(n / batchSize);
  // early stopping first, wherever it was given: it decides the best epoch whose weights checkpoints save
  const given = [...optionCallbacks(o), ...o.callbacks];
  const callbacks: Callback[] = [
    ...given.filter((cb) => cb instanceof EarlyStopping),
    ...given.filter((cb) => !(cb instanceof EarlyStopping)),
  ];
  for (const cb of callbacks) await cb.validate?.({ epochs, stepsPerEpoch: batches, validation: !!validation });
  checkStop();
  control.onTrainingData?.(train);

  const variables = checkModelVariables(model.namedVariables(), 'namedVariables');
  const stateVariables = checkModelVariables(model.stateVariables?.() ?? new Map(), 'stateVariables');
  if (![...variables.values()].some((v) => v.trainable))
    throw new ArgumentError('model', 'fit: model.namedVariables() holds no trainable variable: nothing to train');
  const trained = new Set(variables.values());
  for (const [name, v] of stateVariables) {
    if (variables.has(name) || trained.has(v))
      throw new ArgumentError('model', `fit: "${name}" is both a trained variable and a state variable of the model`);
  }
  const weights = new Map([...variables, ...stateVariables]);
  const checkpointing = o.resumeFrom !== undefined || callbacks.some((cb) => cb instanceof ModelCheckpoint);
  const state: TrainingState = {
    epoch: 0,
    step: 0,
    history: [],
    best: { loss: Infinity, epoch: 0 },
    fingerprint: runFingerprint(model, weights, train, validation, o, checkpointing),
  };
  const optimizer = new FusedAdamOptimizer(o.learningRate, 0.9, 0.999, 1e-8);
  const context: TrainerContext = {
    variables,
    stateVariables,
    weights,
    optimizer,
    state,
    validation: !!validation,
    stopTraining: false,
  };
  const guard = new DivergenceGuard(weights, o.resumeFrom !== undefined);
  const adjusters = callbacks.filter((cb) => cb.adjustBeta);
  const betaAt = (step: number, epoch: number): number => {
    let beta = o.beta;
    for (const cb of adjusters) beta = cb.adjustBeta!(beta, step, epoch);
    if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta))
      throw new ArgumentError('callbacks', `fit: a callback's adjustBeta gave β = ${beta} at step ${step}`);
    return beta;
  };
  const started = Date.now();
  let stopReason: TrainingHistory['stopReason'] = 'completed';
  try {
    if (o.resumeFrom) {
      const resumed = await restoreCheckpoint(o.resumeFrom, variables, optimizer, state.fingerprint, epochs, {
        stateVariables,
      });
      checkStop();
      Object.assign(state, resumed.state);
      if (resumed.bestWeights) context.bestWeights = snapshotFromValues(weights, resumed.bestWeights);
    }
    for (const cb of callbacks) await cb.onTrainBegin?.(context);
    model.setTraining?.(true);
    const run = {
      model,
      source: train,
      optimizer,
      trainable: [...variables.values()],
      names: [...variables.keys()],
      fusedStep: o.fusedStep,
      sparseInput: o.sparseInput,
      weights: [...weights.values()],
      state: stateVariables,
      batchSize,
      shuffle: o.shuffle,
      samples: o.samples,
      freeBits: o.freeBits,
      batches,
      betaAt,
      callbacks,
      checkStop,
      signal: o.signal,
      yieldNow: makeYielder(),
    };
    for (let epoch = state.epoch + 1; epoch <= epochs; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch);
      guard.beginEpoch();
      const t0 = Date.now();
      const steps = await runEpoch(run, epoch, state.step, epochRng(seed, epoch)).catch((e: unknown) => {
        // a batch refused mid-epoch (a stream's bad value, a stream past its length) or a callback's error: the
        // steps before it are undone, so a rejected fit leaves the weights of the last epoch that ended
        guard.rollBack();
        throw e;
      });
      if (steps.sizes.length === 0 && !steps.aborted)
        throw new DataError(`fit: the training data gave no batch in epoch ${epoch} (it has no examples)`);
      state.step += steps.sizes.length;
      const seconds = (Date.now() - t0) / 1000;
      guard.check(epoch, steps.losses, steps.final);
      if (steps.aborted) {
        stopReason = 'aborted';
        break;
      }
      const log = epochLog(steps, epoch, epochs, seconds);
      if (validation) {
        const source = validation;
        model.setTraining?.(false);
        const v = await withStateKept(stateVariables, () =>
          evaluateSource(model, source, { epoch, step: state.step, seed: seed + 7919 * epoch }),
        );
        model.setTraining?.(true);
        log.valLoss = v.loss;
        if (v.reconstruction !== undefined) {
          log.valReconstruction = v.reconstruction;
          log.valKl = v.kl!;
        }
      }
      state.history.push(log);
      state.epoch = epoch;
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, log);
      checkStop();
      if (context.stopTraining) {
        stopReason = context.stoppedBy ?? 'callback';
        break;
      }
    }
    for (const cb of callbacks) await cb.onTrainEnd?.(context);
    const bestEpoch = context.bestEpoch ?? state.epoch;
    return { epochs: state.history as Log[], stopReason, bestEpoch, seconds: (Date.now() - started) / 1000 };
  } finally {
    guard.endEpoch();
    optimizer.dispose();
    disposeSnapshot(context.bestWeights);
    model.setTraining?.(false);
  }
}

/** The epoch's log from its steps' metrics: example-weighted means over the epoch. */
function epochLog(
  steps: Awaited<ReturnType<typeof runEpoch>>,
  epoch: number,
  epochs: number,
  seconds: number,
): TrainingLog {
  const { sizes, losses, reconstructions, kls } = steps;
  let n = 0;
  let loss = 0;
  let reconstruction = 0;
  let kl = 0;
  for (let s = 0; s < sizes.length; s++) {
    n += sizes[s]!;
    loss += losses[s]! * sizes[s]!;
    reconstruction += reconstructions[s]! * sizes[s]!;
    kl += kls[s]! * sizes[s]!;
  }
  const log: TrainingLog = {
    epoch,
    epochs,
    loss: loss / n,
    beta: steps.betas[steps.betas.length - 1]!,
    seconds,
    examplesPerSecond: n / Math.max(seconds, 1e-9),
  };
  if (steps.reported) {
    log.reconstruction = reconstruction / n;
    log.kl = kl / n;
  }
  log.estimator = steps.estimator ?? 'reparam';
  if (steps.baseline !== undefined) log.baseline = steps.baseline;
  if (steps.sparseInputSteps !== undefined) log.sparseInputSteps = steps.sparseInputSteps;
  return log;
}

/**
 * Trains any {@link TrainableModel} on a {@link BatchSource} with Adam: seeded shuffling (same seed, same run),
 * validation (`validationData` as a source, or `validationSplit`), early stopping, KL warm-up/annealing, crash-safe
 * checkpoints with exact resume, abort, the divergence guard and callbacks. Per epoch the metrics are read from the
 * device once; the loop adds no per-step read.
 *
 * @example
 * ```ts
 * const source = new MatrixBatchSource({ x: train, labels });
 * const history = await fitModel(myModel, source, {
 *   epochs: 50, batchSize: 128, validationSplit: 0.1,
 *   callbacks: [new EarlyStopping({ patience: 5, minDelta: 0.1 }), new ModelCheckpoint({ dir: 'ckpt' })],
 * });
 * ```
 * @throws ArgumentError for bad options, a model without `namedVariables`/`lossTerms`, or a source without
 *   `epoch`/`widths`; DivergenceError when a step's loss, the loss after an epoch's last step or a weight becomes
 *   non-finite (the weights are restored to the end of the last epoch that passed); whatever a callback or the
 *   model's loss throws.
 */
export async function fitModel(
  model: TrainableModel,
  data: BatchSource,
  options: TrainerOptions = {},
): Promise<TrainingHistory> {
  const o = resolveTrainerOptions(options);
  if (typeof model?.namedVariables !== 'function' || typeof model.lossTerms !== 'function')
    throw new ArgumentError('model', 'fitModel: "model" must implement namedVariables() and lossTerms(batch, ctx)');
  for (const method of ['setTraining', 'stateVariables', 'fingerprint'] as const) {
    const f = (model as unknown as Record<string, unknown>)[method];
    if (f !== undefined && typeof f !== 'function')
      throw new ArgumentError('model', `fitModel: the model's optional "${method}" must be a method, got ${typeof f}`);
  }
  const isSource = (s: unknown): boolean =>
    typeof (s as BatchSource | null)?.epoch === 'function' && typeof (s as BatchSource).widths === 'object';
  if (!isSource(data)) throw new ArgumentError('data', 'fitModel: "data" must be a BatchSource (epoch(), widths)');
  if (o.validationData !== undefined && !isSource(o.validationData))
    throw new ArgumentError('validationData', 'fitModel: "validationData" must be a BatchSource (epoch(), widths)');
  return runTraining(model, data, o);
}
