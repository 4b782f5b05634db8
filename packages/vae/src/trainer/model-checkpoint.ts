import { ArgumentError } from '@varia/core';
import { writeCheckpoint } from '../checkpoint.js';
import { assertWritableDestination } from '../destination.js';
import type { Callback, TrainerContext } from './callback.js';
import { showValue as show } from '../show-value.js';

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** The checkpoint directory (Node); created when missing. */
  dir: string;
  /** Write every N epochs; default 1. */
  every?: number;
}

/**
 * Writes a crash-safe checkpoint every N epochs: weights and non-trainable state, Adam's moments, the training state
 * (epoch, step, history, best epoch, fingerprint of data, model and options) and the early-stopping best weights.
 * Binaries are written durably under fresh names and `checkpoint.json` is renamed over the old one, so a kill at any
 * instant leaves the previous checkpoint or the new one. Resume with the `resumeFrom` option: the run continues
 * exactly (same shuffles, seeds and β). The directory is checked for writability before training starts.
 */
export class ModelCheckpoint implements Callback {
  /** The checkpoint directory. */
  readonly dir: string;
  /** A checkpoint is written after every epoch divisible by this. */
  readonly every: number;
  private readonly argument: string;
  private context: TrainerContext | undefined;

  /** @throws ArgumentError for an empty `dir` or an `every` that is not a positive integer. */
  constructor(options: ModelCheckpointOptions, argument = 'dir') {
    if (typeof options?.dir !== 'string' || options.dir === '')
      throw new ArgumentError(argument, `ModelCheckpoint: "dir" must be a non-empty path, got ${show(options?.dir)}`);
    const every = options.every ?? 1;
    if (!Number.isInteger(every) || every < 1)
      throw new ArgumentError('every', `ModelCheckpoint: "every" must be a positive integer, got ${show(every)}`);
    this.dir = options.dir;
    this.every = every;
    this.argument = argument;
  }

  /** An unwritable directory fails now, not after the first epoch. */
  async validate(): Promise<void> {
    await assertWritableDestination(this.dir, { argument: this.argument });
  }

  onTrainBegin(context: TrainerContext): void {
    this.context = context;
  }

  async onEpochEnd(epoch: number): Promise<void> {
    const c = this.context!;
    if (epoch % this.every !== 0) return;
    await writeCheckpoint(this.dir, c.variables, c.optimizer, c.state, c.bestWeights, {
      stateVariables: c.stateVariables,
      argument: this.argument,
    });
  }
}
