import type * as tf from '@tensorflow/tfjs-core';
import type { TrainingState } from './training-state.js';

/** One epoch's metrics (nats per example, averaged over the epoch's examples). */
export interface TrainingLog {
  /** 1-based epoch number. */
  epoch: number;
  /** Total epochs planned. */
  epochs: number;
  /** Training loss: what was minimized (−ELBO with the epoch's β and free bits, for an ELBO model). */
  loss: number;
  /** Mean E_q[log p(x|z)] on the training batches, when the model reports it. */
  reconstruction?: number;
  /** Mean KL(q(z|x) ‖ p(z)) on the training batches, when the model reports it. */
  kl?: number;
  /** The KL weight β of the epoch's last step (after warm-up/annealing). */
  beta: number;
  /**
   * The gradient estimator of the epoch's steps (`'reparam'`, `'score-function'`, `'enumerate'`), as the model's
   * loss reported it (`'reparam'` when it reports none).
   */
  estimator?: string;
  /** The score-function baseline used (`'moving-average'`, `'learned'`, `'leave-one-out'`, …), when one is. */
  baseline?: string;
  /**
   * With `fit`'s `sparseInput` on: how many of the epoch's steps ran the encoder's first layer from the batch's
   * non-zeros (as the model's loss reported it; the others ran dense). Absent when the option is off.
   */
  sparseInputSteps?: number;
  /** Validation loss (β = 1, one sample, no free bits), when validation data is given. */
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
export interface BatchLogs {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  /** Batches per epoch (undefined for a source of unknown length). */
  batches?: number;
  /** Examples in this batch. */
  size: number;
}

/** What the Trainer plans, given to {@link Callback.validate} before anything changes. */
export interface TrainingPlan {
  /** Epochs of the run (the last epoch number). */
  epochs: number;
  /** Steps per epoch; undefined for a source of unknown length. */
  stepsPerEpoch?: number;
  /** Whether validation data is evaluated after every epoch. */
  validation: boolean;
}

/**
 * The running Trainer as its callbacks see it (from {@link Callback.onTrainBegin} on). Built-ins use it to snapshot
 * weights (EarlyStopping), write checkpoints (ModelCheckpoint) and stop the run.
 */
export interface TrainerContext {
  /** The trained variables by name. */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  /** The model's non-trainable state ({@link TrainableModel.stateVariables}; empty when it has none). */
  readonly stateVariables: ReadonlyMap<string, tf.Variable>;
  /** Trained variables and non-trainable state together. */
  readonly weights: ReadonlyMap<string, tf.Variable>;
  /** The optimizer (Adam). */
  readonly optimizer: tf.Optimizer;
  /** The run's state: completed epochs and steps, history, best epoch, fingerprint (what checkpoints save). */
  readonly state: TrainingState;
  /** Whether validation data is evaluated after every epoch. */
  readonly validation: boolean;
  /** The weights of the best epoch (EarlyStopping keeps them; ModelCheckpoint saves them); the Trainer frees them. */
  bestWeights?: Map<string, tf.Tensor>;
  /** The epoch whose weights the model holds at the end (EarlyStopping sets it when it restores the best). */
  bestEpoch?: number;
  /** Set by a callback to end training after the current epoch (`stopReason` becomes `stoppedBy`). */
  stopTraining: boolean;
  /** Why a callback stopped the run (e.g. `'early-stopping'`). */
  stoppedBy?: 'early-stopping' | 'callback';
}

/**
 * A training callback (after tfjs-layers and Keras): hooks the Trainer calls in order, each may be async. The
 * built-ins are {@link EarlyStopping}, {@link ModelCheckpoint}, {@link KLAnnealing} and {@link ProgressLogger};
 * the divergence guard (TerminateOnNaN with rollback) is always on. Callbacks run in the order given, after the
 * built-ins that `fit` options create (warm-up, early stopping, checkpoints, then `onEpochEnd`/`onBatchEnd`);
 * early-stopping callbacks always run first, so checkpoints save the best epoch they decide.
 * A callback that throws ends training with that error (the model keeps the steps taken).
 */
export interface Callback {
  /** Checks run before training changes anything (e.g. that a checkpoint directory is writable); throw to refuse. */
  validate?(plan: TrainingPlan): void | Promise<void>;
  /**
   * The KL weight of a step: receives β so far (the `beta` option, adjusted by earlier callbacks) and returns it
   * adjusted (KL warm-up and annealing). Must be a pure function of its arguments: it is also called ahead of
   * training to check every step's value.
   */
  adjustBeta?(beta: number, step: number, epoch: number): number;
  /** Before the first epoch (after a resume has restored the state). */
  onTrainBegin?(context: TrainerContext): void | Promise<void>;
  /** Before each epoch's first step. */
  onEpochBegin?(epoch: number): void | Promise<void>;
  /** After each step (keep it cheap: no tensor reads). */
  onBatchEnd?(batch: number, logs: BatchLogs): void | Promise<void>;
  /** After each completed epoch (its metrics read once, validation evaluated, guard passed). */
  onEpochEnd?(epoch: number, logs: TrainingLog): void | Promise<void>;
  /** After the last epoch, when training ends without an error (early stopping and abort included). */
  onTrainEnd?(context: TrainerContext): void | Promise<void>;
}
