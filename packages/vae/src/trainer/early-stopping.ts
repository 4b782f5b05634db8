import { ArgumentError } from '@varia/core';
import type { Callback, TrainerContext, TrainingLog } from './callback.js';
import { disposeSnapshot, restoreSnapshot, snapshot } from './training-state.js';
import { showValue as show } from '../show-value.js';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Epochs without improvement tolerated: training stops at epoch e when e − bestEpoch > patience. Default 0. */
  patience?: number;
  /** The smallest decrease that counts as an improvement: improved when value < best − minDelta. Default 0. */
  minDelta?: number;
  /** Restore the best epoch's weights when training ends (default true). */
  restoreBestWeights?: boolean;
  /** The log entry to minimize; default `'valLoss'` with validation data, else `'loss'`. */
  monitor?: keyof TrainingLog;
}

/**
 * Early stopping (Prechelt 1998; Keras' callback): keeps the epoch with the lowest monitored value, stops once
 * `patience` epochs have passed without an improvement larger than `minDelta`, and (by default) restores that
 * epoch's weights at the end. The best epoch and its weights are part of the checkpointed state, so a resumed run
 * stops where the uninterrupted one would have. The Trainer runs early-stopping callbacks before the others, so a
 * {@link ModelCheckpoint} saves the best weights of the same epoch.
 */
export class EarlyStopping implements Callback {
  /** Epochs without improvement tolerated. */
  readonly patience: number;
  /** The smallest decrease that counts as an improvement. */
  readonly minDelta: number;
  /** Whether the best epoch's weights are restored at the end. */
  readonly restoreBestWeights: boolean;
  private readonly monitorOption: keyof TrainingLog | undefined;
  private context: TrainerContext | undefined;

  /** @throws ArgumentError for a negative or fractional patience, a negative minDelta. */
  constructor(options: EarlyStoppingOptions = {}) {
    const patience = options.patience ?? 0;
    if (!Number.isInteger(patience) || patience < 0)
      throw new ArgumentError('patience', `EarlyStopping: "patience" must be an integer >= 0, got ${show(patience)}`);
    const minDelta = options.minDelta ?? 0;
    if (typeof minDelta !== 'number' || !(minDelta >= 0) || !Number.isFinite(minDelta))
      throw new ArgumentError(
        'minDelta',
        `EarlyStopping: "minDelta" must be a finite number >= 0, got ${show(minDelta)}`,
      );
    this.patience = patience;
    this.minDelta = minDelta;
    this.restoreBestWeights = options.restoreBestWeights ?? true;
    this.monitorOption = options.monitor;
  }

  onTrainBegin(context: TrainerContext): void {
    this.context = context;
    // a resumed run continues from the checkpoint's best; a checkpoint without one (null) starts afresh
    if (typeof context.state.best.loss !== 'number') context.state.best = { loss: Infinity, epoch: 0 };
  }

  onEpochEnd(epoch: number, logs: TrainingLog): void {
    const c = this.context!;
    const monitor = this.monitorOption ?? (c.validation ? 'valLoss' : 'loss');
    const value = logs[monitor];
    if (typeof value !== 'number') {
      throw new ArgumentError('monitor', `EarlyStopping: the log has no number "${String(monitor)}" to monitor`);
    }
    if (value < c.state.best.loss - this.minDelta) {
      c.state.best = { loss: value, epoch };
      disposeSnapshot(c.bestWeights);
      c.bestWeights = snapshot(c.weights);
    } else if (epoch - c.state.best.epoch > this.patience) {
      c.stopTraining = true;
      c.stoppedBy = 'early-stopping';
    }
  }

  onTrainEnd(context: TrainerContext): void {
    const { state, bestWeights } = context;
    if (this.restoreBestWeights && bestWeights && state.best.epoch !== state.epoch) {
      restoreSnapshot(context.weights, bestWeights);
      context.bestEpoch = state.best.epoch;
    }
  }
}
