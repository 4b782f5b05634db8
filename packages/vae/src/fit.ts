import * as tf from '@tensorflow/tfjs-core';
import { FusedAdamOptimizer } from '@varia/layers';
import {
  ArgumentError,
  DivergenceError,
  type Matrix,
  mulberry32,
  nextSeed,
  permutation,
  takeRows,
  type VariaError,
} from '@varia/core';
import { negativeElbo, type VariationalInputs } from '@varia/losses';
import { restoreCheckpoint, writeCheckpoint } from './checkpoint.js';
import { BatchAssembler } from './batch-assembler.js';
import { assertWritableDestination } from './destination.js';
import { StepStats } from './step-stats.js';
import { configFingerprint, matrixHash, type RunFingerprint } from './resume-fingerprint.js';
import { disposeTapeAfterError } from './tape-cleanup.js';
import { assertGradientsRegistered } from './backend-check.js';
import { type DataInput, type DataDomain, type DataRules, readData } from './data.js';
import {
  type EpochLog,
  type FitOptions,
  type History,
  type ResolvedFitOptions,
  resolveFitOptions,
} from './fit-options.js';

export type { BatchInfo, EpochLog, FitOptions, History } from './fit-options.js';

/** What {@link trainModel} needs from a model. */
export interface TrainableModel {
  readonly config: { inputDim: number; likelihood: string; deterministic?: boolean };
  readonly likelihood: { domain: DataDomain; validate?(m: Matrix): void };
  namedVariables(): Map<string, tf.Variable>;
  variationalInputs(x: tf.Tensor): VariationalInputs;
  /** Called once with the validated training data (the part left after a validation split), before training. */
  onTrainingData?(train: Matrix): void;
}

/** How the owner of a model can stop a running {@link trainModel}. */
export interface TrainingControl {
  /** Checked before every step and after every pause: an error to reject with (the loop stops cleanly), or undefined. */
  stopError?(): VariaError | undefined;
}

/** Mutable training state, saved in checkpoints. */
export interface TrainingState {
  /** Completed epochs. */
  epoch: number;
  /** Global step count. */
  step: number;
  /** Logs so far. */
  history: EpochLog[];
  /** Best monitored loss and its epoch (early stopping). */
  best: {
    /** The best monitored loss so far. */
    loss: number;
    /** The epoch that reached it. */
    epoch: number;
  };
  /** Data, config and options that must match on resume. */
  fingerprint: RunFingerprint;
}

/** β of each of the `batches` steps of `epoch`, whose first step is global step `firstStep`. @throws ArgumentError. */
function betasOfEpoch(o: ResolvedFitOptions, epoch: number, firstStep: number, batches: number): Float64Array {
  return Float64Array.from({ length: batches }, (_, b) => o.betaAt(firstStep + b, epoch));
}

/** A deterministic per-epoch generator: the same (seed, epoch) always gives the same shuffle and sample seeds. */
function epochRng(seed: number, epoch: number): () => number {
  return mulberry32(Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(epoch + 1, 0x9e3779b1));
}

function snapshot(variables: Map<string, tf.Variable>): Map<string, tf.Tensor> {
  return new Map([...variables].map(([k, v]) => [k, tf.clone(v)]));
}

function restore(variables: Map<string, tf.Variable>, saved: Map<string, tf.Tensor>): void {
  for (const [k, v] of variables) v.assign(saved.get(k)!);
}

function disposeSnapshot(s: Map<string, tf.Tensor> | undefined): void {
  if (s) for (const t of s.values()) t.dispose();
}

export { assertGradientsRegistered };

/** Negative ELBO, reconstruction and KL (β = 1, one sample, analytic KL) over a whole matrix, in batches. */
async function evaluateLoss(
  model: TrainableModel,
  m: Matrix,
  seed: number,
): Promise<{ loss: number; reconstruction: number; kl: number }> {
  const batch = 512;
  let acc = tf.zeros([3]);
  for (let start = 0; start < m.rows; start += batch) {
    const rows = Math.min(batch, m.rows - start);
    const next = tf.tidy(() => {
      const xb = tf.tensor2d(m.data.subarray(start * m.cols, (start + rows) * m.cols), [rows, m.cols]);
      const { loss, reconstruction, kl } = negativeElbo(model.variationalInputs(xb), { seed: seed + start });
      return tf.add(acc, tf.mul(tf.stack([loss, reconstruction, kl]), rows));
    });
    acc.dispose();
    acc = next;
  }
  const v = await acc.data();
  acc.dispose();
  return { loss: v[0]! / m.rows, reconstruction: v[1]! / m.rows, kl: v[2]! / m.rows };
}

/**
 * A macrotask yield: `setImmediate` where it exists (Node: ~0.08 ms; `setTimeout(0)` is clamped to ≥ 1 ms, measured
 * 1.25 ms/yield, i.e. ~5 % of training wall time at one yield per 25 ms — see bench/README.md), else `setTimeout(0)`.
 * Both let timers, I/O and abort signals through.
 */
const yieldToEventLoop: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise<void>((resolve) => setImmediate(resolve))
    : () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Yields to the event loop (so abort signals and UI events get through) at most every ~25 ms. */
function makeYielder(): () => Promise<void> {
  let last = Date.now();
  return async () => {
    if (Date.now() - last < 25) return;
    await yieldToEventLoop();
    last = Date.now();
  };
}

/**
 * The training loop behind `VAE.fit`: Adam on −ELBO, seeded shuffling, per-epoch metrics read once per epoch (no
 * synchronous reads inside the step), validation, early stopping, divergence guard, abort, checkpoints and resume.
 */
export async function trainModel(
  model: TrainableModel,
  data: DataInput,
  options: FitOptions = {},
  control: TrainingControl = {},
): Promise<History> {
  const checkStop = (): void => {
    const e = control.stopError?.();
    if (e) throw e;
  };
  assertGradientsRegistered();
  const o = resolveFitOptions(options, model.config);
  const { epochs, batchSize, learningRate, seed, samples, freeBits } = o;
  // Validate all data at the boundary, once, before any state changes.
  const rules: DataRules = {
    domain: model.likelihood.domain,
    likelihood: model.config.likelihood,
    validate: model.likelihood.validate,
  };
  let train = readData(data, model.config.inputDim, rules, 'data');
  let validation: Matrix | undefined;
  if (o.validationData !== undefined) {
    validation = readData(o.validationData, model.config.inputDim, rules, 'validationData');
  } else if (o.validationSplit !== undefined) {
    const f = o.validationSplit;
    const nVal = Math.round(train.rows * f);
    if (nVal < 1 || nVal >= train.rows) {
      throw new ArgumentError(
        'validationSplit',
        `fit: "validationSplit" ${f} leaves ${nVal} of ${train.rows} examples for validation`,
      );
    }
    const perm = permutation(train.rows, mulberry32(seed ^ 0x2545f491));
    validation = takeRows(train, perm.subarray(train.rows - nVal));
    train = takeRows(train, perm.subarray(0, train.rows - nVal));
  }
  const n = train.rows;
  const batches = Math.ceil(n / batchSize);
  // β of every step (up to 2^24 steps): a schedule that returns garbage fails here, before any step
  for (let epoch = 1, step = 0; epoch <= o.epochs && step < 2 ** 24; epoch++, step += batches)
    betasOfEpoch(o, epoch, step, batches);
  // an unwritable checkpoint directory fails now, not after the first epoch
  if (o.checkpointEvery !== undefined) await assertWritableDestination(o.checkpointDir!, { argument: 'checkpointDir' });
  checkStop();
  model.onTrainingData?.(train);

  const variables = model.namedVariables();
  const varList = [...variables.values()];
  const optimizer = new FusedAdamOptimizer(learningRate, 0.9, 0.999, 1e-8);
  const state: TrainingState = {
    epoch: 0,
    step: 0,
    history: [],
    best: { loss: Infinity, epoch: 0 },
    fingerprint: {
      n,
      // hashing costs a pass over the data: only for runs that write or read checkpoints
      dataHash: o.checkpointEvery !== undefined || o.resumeFrom !== undefined ? matrixHash(train) : '',
      validationHash:
        validation && (o.checkpointEvery !== undefined || o.resumeFrom !== undefined) ? matrixHash(validation) : null,
      config: configFingerprint(model.config),
      batchSize,
      seed,
      learningRate,
      beta: o.beta,
      samples,
      freeBits,
      shuffle: o.shuffle,
      klWarmupEpochs: o.klWarmupEpochs ?? null,
      klWarmupSteps: o.klWarmupSteps ?? null,
    },
  };
  let bestWeights: Map<string, tf.Tensor> | undefined;
  const batchesOf = new BatchAssembler(train, batchSize);
  const yieldNow = makeYielder();
  const started = Date.now();
  let stopReason: History['stopReason'] = 'completed';
  try {
    if (o.resumeFrom) {
      const resumed = await restoreCheckpoint(o.resumeFrom, variables, optimizer, state.fingerprint, epochs);
      checkStop();
      Object.assign(state, resumed.state);
      if (resumed.bestWeights) bestWeights = snapshotFromValues(variables, resumed.bestWeights);
    }
    const monitorValidation = validation !== undefined;
    for (let epoch = state.epoch + 1; epoch <= epochs; epoch++) {
      const rng = epochRng(seed, epoch);
      const order = o.shuffle ? permutation(n, rng) : Int32Array.from({ length: n }, (_, i) => i);
      // the epoch's β values, checked before its first step
      const epochBetas = betasOfEpoch(o, epoch, state.step, batches);
      const epochStart = snapshot(variables);
      // Every step's loss, reconstruction and KL (3 scalars per step), read once per epoch.
      const stepStats = new StepStats();
      const sizes: number[] = [];
      const betas: number[] = [];
      const t0 = Date.now();
      let aborted = false;
      try {
        let last: { idx: Int32Array; beta: number; seed: number } | undefined;
        for (let b = 0; b < batches; b++) {
          checkStop();
          if (o.signal?.aborted) {
            aborted = true;
            break;
          }
          const idx = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
          const stepSeed = nextSeed(rng);
          const beta = epochBetas[b]!;
          const xb = batchesOf.upload(idx);
          const kept: tf.Tensor[] = [];
          try {
            const cost = optimizer.minimize(
              () => {
                const out = negativeElbo(model.variationalInputs(xb), { beta, samples, freeBits, seed: stepSeed });
                kept.push(tf.keep(out.reconstruction), tf.keep(out.kl));
                return out.loss;
              },
              true,
              varList,
            )!;
            stepStats.push(cost, ...kept);
            kept.length = 0;
          } catch (e) {
            disposeTapeAfterError();
            throw e;
          } finally {
            // the next step refills the batch's host buffer: this batch's tensor must be gone by then
            xb.dispose();
            tf.dispose(kept); // the parts of a step that failed
          }
          sizes.push(idx.length);
          betas.push(beta);
          last = { idx, beta, seed: stepSeed };
          state.step++;
          o.onBatchEnd?.({ epoch, batch: b, batches, size: idx.length });
          await yieldNow();
        }
        // The state after the epoch's last step, which no step's loss has seen: its loss on the last batch and the
        // sum of |θ| over all weights (non-finite when a weight is). Read with the steps' metrics, in one read.
        if (last) stepStats.push(...finalStateCheck(model, varList, batchesOf, last, samples, freeBits));
        const values = await stepStats.read();
        const seconds = (Date.now() - t0) / 1000;
        const steps = sizes.length;
        const diverged = (what: string, step: number): DivergenceError => {
          restore(variables, epochStart);
          return new DivergenceError(
            `training diverged: ${what} at epoch ${epoch}, step ${step}; the weights were restored to ${
              epoch === 1 && !o.resumeFrom ? 'their initial values' : `the end of epoch ${epoch - 1}`
            }, the last finite state (try a smaller learning rate)`,
            epoch,
            step,
          );
        };
        for (let s = 0; s < steps; s++) {
          const l = values[3 * s]!;
          if (!Number.isFinite(l)) throw diverged(`the loss became ${l}`, s);
        }
        if (last) {
          const [finalLoss, weightSize] = [values[3 * steps]!, values[3 * steps + 1]!];
          if (!Number.isFinite(weightSize)) throw diverged('a weight became non-finite after the last step', steps - 1);
          if (!Number.isFinite(finalLoss))
            throw diverged(`the loss after the last step became ${finalLoss}`, steps - 1);
        }
        if (aborted) {
          stopReason = 'aborted';
          break;
        }
        let loss = 0;
        let reconstruction = 0;
        let klSum = 0;
        for (let s = 0; s < steps; s++) {
          loss += values[3 * s]! * sizes[s]!;
          reconstruction += values[3 * s + 1]! * sizes[s]!;
          klSum += values[3 * s + 2]! * sizes[s]!;
        }
        const log: EpochLog = {
          epoch,
          epochs,
          loss: loss / n,
          reconstruction: reconstruction / n,
          kl: klSum / n,
          beta: betas[betas.length - 1]!,
          seconds,
          examplesPerSecond: n / Math.max(seconds, 1e-9),
        };
        if (validation) {
          const v = await evaluateLoss(model, validation, seed + 7919 * epoch);
          log.valLoss = v.loss;
          log.valReconstruction = v.reconstruction;
          log.valKl = v.kl;
        }
        state.history.push(log);
        state.epoch = epoch;
        const monitored = monitorValidation ? log.valLoss! : log.loss;
        let improved = false;
        if (monitored < state.best.loss) {
          state.best = { loss: monitored, epoch };
          improved = true;
          if (o.patience !== undefined) {
            disposeSnapshot(bestWeights);
            bestWeights = snapshot(variables);
          }
        }
        if (o.checkpointEvery && epoch % o.checkpointEvery === 0) {
          await writeCheckpoint(o.checkpointDir!, variables, optimizer, state, bestWeights);
        }
        await o.onEpochEnd?.(log);
        checkStop();
        if (!improved && o.patience !== undefined && epoch - state.best.epoch > o.patience) {
          stopReason = 'early-stopping';
          break;
        }
      } finally {
        disposeSnapshot(epochStart);
        stepStats.dispose();
      }
    }
    let bestEpoch = state.epoch;
    if (o.patience !== undefined && bestWeights && o.restoreBestWeights && state.best.epoch !== state.epoch) {
      restore(variables, bestWeights);
      bestEpoch = state.best.epoch;
    }
    return { epochs: state.history, stopReason, bestEpoch, seconds: (Date.now() - started) / 1000 };
  } finally {
    optimizer.dispose();
    disposeSnapshot(bestWeights);
  }
}

/**
 * Two scalars about the weights after an epoch's last step: the loss on that step's batch (same β, samples, free bits
 * and seed) and Σ|θ| over every weight. Both are finite for a sound state; a diverged last step makes either non-finite.
 */
function finalStateCheck(
  model: TrainableModel,
  varList: tf.Variable[],
  batchesOf: BatchAssembler,
  last: { idx: Int32Array; beta: number; seed: number },
  samples: number,
  freeBits: number,
): tf.Tensor[] {
  const xb = batchesOf.upload(last.idx);
  try {
    return tf.tidy(() => {
      const { loss } = negativeElbo(model.variationalInputs(xb), {
        beta: last.beta,
        samples,
        freeBits,
        seed: last.seed,
      });
      return [loss, tf.addN(varList.map((v) => tf.sum(tf.abs(v))))];
    });
  } finally {
    xb.dispose();
  }
}

function snapshotFromValues(
  variables: Map<string, tf.Variable>,
  values: Map<string, Float32Array>,
): Map<string, tf.Tensor> {
  return new Map([...variables].map(([k, v]) => [k, tf.tensor(values.get(k)!, v.shape, 'float32')]));
}
