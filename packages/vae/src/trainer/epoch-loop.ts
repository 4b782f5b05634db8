import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, nextSeed, VariaError } from '@varia/core';
import { StepStats } from '../step-stats.js';
import { disposeTapeAfterError } from '../tape-cleanup.js';
import type { BatchSource } from './batch-source.js';
import type { BatchLogs, Callback } from './callback.js';
import { finalStateCheck } from './divergence-guard.js';
import { applyFusedGradients, beginInStepAdam } from './fused-update.js';
import { checkBatch, checkEpochIterable, checkLossTerms } from './model-contract.js';
import { withStateKept } from './evaluate-source.js';
import type { Batch, StepContext, TrainableModel } from './trainable-model.js';

/** What one epoch's steps produced, read once at its end. */
export interface EpochSteps {
  /** Per step: examples, β, and the loss / reconstruction / KL it reported (the latter two NaN when not given). */
  sizes: number[];
  betas: number[];
  losses: Float64Array;
  reconstructions: Float64Array;
  kls: Float64Array;
  /** Whether every step reported reconstruction and KL. */
  reported: boolean;
  /** The loss on the last step's batch after the step and Σ|θ| (undefined when no step ran). */
  final?: { loss: number; weightSize: number };
  /** The estimator and baseline the last step reported. */
  estimator?: string;
  baseline?: string;
  /** Whether the abort signal ended the epoch early. */
  aborted: boolean;
  /** With the `sparseInput` option on: the steps whose loss reported `sparseInput: true`. */
  sparseInputSteps?: number;
}

/** The fixed parts of a run that every epoch needs. */
export interface EpochRun {
  model: TrainableModel;
  source: BatchSource;
  optimizer: tf.Optimizer;
  /** The trained variables (what the optimizer updates). */
  trainable: tf.Variable[];
  /** Their names in `model.namedVariables()` (how a fused step keys its gradients). */
  names: string[];
  /** Whether a model's `fusedGradients` may compute the steps (the `fusedStep` option; default true). */
  fusedStep?: boolean;
  /** The `sparseInput` option (passed to every training step's context when on). */
  sparseInput?: boolean | 'auto';
  /** Trained variables and non-trainable state (what the final-state check sums). */
  weights: tf.Variable[];
  /** The model's non-trainable state (kept unchanged by the final-state check). */
  state: ReadonlyMap<string, tf.Variable>;
  batchSize: number;
  shuffle: boolean;
  samples: number;
  freeBits: number;
  /** Steps per epoch when known (reported to `onBatchEnd`). */
  batches?: number;
  /** β of a global step in an epoch. @throws ArgumentError for a bad schedule. */
  betaAt(step: number, epoch: number): number;
  callbacks: readonly Callback[];
  /** Throws when the owner stops the run (dispose during training). */
  checkStop(): void;
  signal?: AbortSignal;
  /** Yields to the event loop now and then. */
  yieldNow(): Promise<void>;
}

function isPromise(v: unknown): v is Promise<unknown> {
  return typeof (v as Promise<unknown> | undefined)?.then === 'function';
}

function iteratorOf(it: Iterable<Batch> | AsyncIterable<Batch>): Iterator<Batch> | AsyncIterator<Batch> {
  const asyncIt = (it as AsyncIterable<Batch>)[Symbol.asyncIterator];
  return asyncIt ? asyncIt.call(it) : (it as Iterable<Batch>)[Symbol.iterator]();
}

/** Rows of a batch (of its first field). */
function rowsOf(batch: Batch): number {
  const first = Object.values(batch)[0];
  return first ? first.shape[0] : 0;
}

/**
 * The steps of one epoch: Adam on the model's loss, batch by batch in the source's order, each step's metrics kept
 * on the device and read once at the end (with the final-state check). The last batch is held until the epoch ends
 * (the final-state check reuses it); every other batch is freed when the next one arrives.
 * `rng` is the epoch's generator: the source draws its shuffle from it first, then each step draws its seed.
 */
export async function runEpoch(
  run: EpochRun,
  epoch: number,
  firstStep: number,
  rng: () => number,
): Promise<EpochSteps> {
  const stats = new StepStats();
  const sizes: number[] = [];
  const betas: number[] = [];
  const widths: number[] = [];
  let estimator: string | undefined;
  let baseline: string | undefined;
  let held: Batch | undefined;
  let heldCtx: StepContext | undefined;
  let aborted = false;
  let sparseSteps = 0;
  const iterator = iteratorOf(
    checkEpochIterable(
      run.source.epoch({
        epoch,
        batchSize: run.batchSize,
        shuffle: run.shuffle,
        rng,
        signal: run.signal,
        checkStop: run.checkStop,
      }),
      'data',
    ),
  );
  let finished = false;
  try {
    for (let b = 0; ; b++) {
      run.checkStop();
      if (run.signal?.aborted) {
        aborted = true;
        break;
      }
      const next = iterator.next();
      const r = isPromise(next) ? await next : (next as IteratorResult<Batch>);
      if (r.done) {
        finished = true;
        aborted = run.signal?.aborted === true; // a source may end an epoch early when the run is aborted
        break;
      }
      // the previous batch is done with: free it before this step (its host buffer may have been refilled)
      if (held) tf.dispose(Object.values(held));
      held = undefined;
      const batch = checkBatch(r.value, run.source.widths, 'data');
      held = batch;
      const stepSeed = nextSeed(rng);
      const step = firstStep + b;
      const ctx: StepContext = {
        epoch,
        step,
        beta: run.betaAt(step, epoch),
        seed: stepSeed,
        samples: run.samples,
        freeBits: run.freeBits,
        training: true,
        ...(run.sparseInput === true || run.sparseInput === 'auto' ? { sparseInput: run.sparseInput } : {}),
      };
      const kept: tf.Tensor[] = [];
      let loss: tf.Scalar | undefined;
      // a fused step may apply Adam to each variable as soon as its gradient is known (ended by the update below)
      const fusedGradients = run.fusedStep === false ? undefined : run.model.fusedGradients;
      const inStep = fusedGradients ? beginInStepAdam(run.optimizer, run.trainable) : undefined;
      try {
        const fused = fusedGradients?.call(run.model, batch, inStep ? { ...ctx, inStepAdam: inStep } : ctx);
        if (!fused && inStep) {
          if (inStep.updatedCount > 0) {
            throw new ArgumentError(
              'model',
              'fit: model.fusedGradients() updated variables through ctx.inStepAdam, then returned undefined',
            );
          }
          inStep.close(); // the generic path's step: nothing was updated, nothing changes
        }
        let cost: tf.Scalar;
        if (fused) {
          const t = applyFusedGradients(fused, run.optimizer, run.trainable, run.names, inStep);
          cost = t.loss;
          if (t.reconstruction && t.kl) kept.push(t.reconstruction, t.kl);
          else tf.dispose([t.reconstruction, t.kl].filter((v): v is tf.Scalar => v !== undefined));
          estimator = t.estimator;
          baseline = t.baseline;
          if (t.sparseInput === true) sparseSteps++;
        } else {
          cost = run.optimizer.minimize(
            () => {
              const t = checkLossTerms(run.model.lossTerms(batch, ctx));
              loss = t.loss;
              if (t.reconstruction && t.kl) kept.push(tf.keep(t.reconstruction), tf.keep(t.kl));
              estimator = t.estimator;
              baseline = t.baseline;
              if (t.sparseInput === true) sparseSteps++;
              return t.loss;
            },
            true,
            run.trainable,
          )!;
        }
        stats.push(cost, ...kept);
        widths.push(1 + kept.length);
        kept.length = 0;
      } catch (e) {
        disposeTapeAfterError();
        if (loss === undefined || e instanceof VariaError) throw e;
        // lossTerms returned, the optimizer failed: a loss that no trained variable reaches (tfjs keeps it)
        if (!loss.isDisposed) loss.dispose();
        throw new ArgumentError('model', `fit: cannot differentiate the model's loss: ${(e as Error).message}`, {
          cause: e,
        });
      } finally {
        tf.dispose(kept); // the parts of a step that failed
        inStep?.close(); // a step that failed after updating some variables in step counts; otherwise a no-op
      }
      const size = rowsOf(batch);
      sizes.push(size);
      betas.push(ctx.beta);
      heldCtx = ctx;
      const info: BatchLogs = { epoch, batch: b, batches: run.batches, size };
      for (const cb of run.callbacks) {
        const done = cb.onBatchEnd?.(b, info);
        if (isPromise(done)) await done;
      }
      await run.yieldNow();
    }
    // The state after the epoch's last step, which no step's loss has seen: its loss on the last batch and the sum of
    // |θ| over all weights (non-finite when a weight is). Read with the steps' metrics, in one read.
    if (held && heldCtx) {
      const lastBatch = held;
      const lastCtx = heldCtx;
      stats.push(
        ...(await withStateKept(run.state, () =>
          finalStateCheck(run.model, run.weights, lastBatch, lastCtx, run.fusedStep !== false),
        )),
      );
    }
    const values = await stats.read();
    const steps = sizes.length;
    const losses = new Float64Array(steps);
    const reconstructions = new Float64Array(steps).fill(Number.NaN);
    const kls = new Float64Array(steps).fill(Number.NaN);
    let offset = 0;
    for (let s = 0; s < steps; s++) {
      losses[s] = values[offset]!;
      if (widths[s] === 3) {
        reconstructions[s] = values[offset + 1]!;
        kls[s] = values[offset + 2]!;
      }
      offset += widths[s]!;
    }
    const out: EpochSteps = {
      sizes,
      betas,
      losses,
      reconstructions,
      kls,
      reported: widths.every((w) => w === 3),
      aborted,
    };
    if (held) out.final = { loss: values[offset]!, weightSize: values[offset + 1]! };
    if (estimator !== undefined) out.estimator = estimator;
    if (baseline !== undefined) out.baseline = baseline;
    if (run.sparseInput === true || run.sparseInput === 'auto') out.sparseInputSteps = sparseSteps;
    return out;
  } finally {
    if (held) tf.dispose(Object.values(held));
    stats.dispose();
    if (!finished) {
      const closing = iterator.return?.();
      if (isPromise(closing)) await closing;
    }
  }
}
