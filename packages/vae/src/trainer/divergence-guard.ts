import * as tf from '@tensorflow/tfjs-core';
import { DivergenceError } from '@varia/core';
import type { Batch, StepContext, TrainableModel } from './trainable-model.js';
import { checkFusedLoss } from './model-contract.js';
import { disposeSnapshot, restoreSnapshot, snapshot } from './training-state.js';

/**
 * The divergence guard (TerminateOnNaN with rollback), always on: every epoch starts from a snapshot of the weights;
 * when the epoch's metrics are read (once, at its end) a non-finite step loss, a non-finite loss after the last step,
 * or a non-finite weight restores the snapshot and ends training with a {@link DivergenceError}. Nothing broken is
 * returned, checkpointed or handed to a callback.
 */
export class DivergenceGuard {
  private readonly weights: ReadonlyMap<string, tf.Variable>;
  private readonly resumed: boolean;
  private start: Map<string, tf.Tensor> | undefined;

  /** `resumed`: the run continues a checkpoint (messages then never say "initial values"). */
  constructor(weights: ReadonlyMap<string, tf.Variable>, resumed: boolean) {
    this.weights = weights;
    this.resumed = resumed;
  }

  /** Snapshots the weights at the start of an epoch. */
  beginEpoch(): void {
    disposeSnapshot(this.start);
    this.start = snapshot(this.weights);
  }

  /**
   * Checks the epoch's step losses and, when steps ran, the state after the last one (`final`: its loss and Σ|θ|).
   * @throws DivergenceError after restoring the epoch's starting weights.
   */
  check(epoch: number, stepLosses: ArrayLike<number>, final?: { loss: number; weightSize: number }): void {
    const diverged = (what: string, step: number): DivergenceError => {
      restoreSnapshot(this.weights, this.start!);
      return new DivergenceError(
        `training diverged: ${what} at epoch ${epoch}, step ${step}; the weights were restored to ${
          epoch === 1 && !this.resumed ? 'their initial values' : `the end of epoch ${epoch - 1}`
        }, the last finite state (try a smaller learning rate)`,
        epoch,
        step,
      );
    };
    const steps = stepLosses.length;
    for (let s = 0; s < steps; s++) {
      const l = stepLosses[s]!;
      if (!Number.isFinite(l)) throw diverged(`the loss became ${l}`, s);
    }
    if (final) {
      if (!Number.isFinite(final.weightSize))
        throw diverged('a weight became non-finite after the last step', steps - 1);
      if (!Number.isFinite(final.loss)) throw diverged(`the loss after the last step became ${final.loss}`, steps - 1);
    }
  }

  /**
   * Restores the epoch's starting weights after an error inside the epoch (a source's DataError on a streamed batch,
   * a callback that throws): the model keeps the last state that passed, as after a divergence. Nothing when no
   * epoch has begun or a weight was disposed (a `dispose()` during `fit`).
   */
  rollBack(): void {
    if (!this.start || [...this.weights.values()].some((v) => v.isDisposed)) return;
    restoreSnapshot(this.weights, this.start);
  }

  /** Frees the epoch's snapshot. */
  endEpoch(): void {
    disposeSnapshot(this.start);
    this.start = undefined;
  }
}

/**
 * Two scalars about the weights after an epoch's last step: the loss on that step's batch (same context: β, samples,
 * free bits, seed) and Σ|θ| over every weight. Both are finite for a sound state; a diverged last step makes either
 * non-finite. With `fused` (the run's `fusedStep` option) the model's tape-free `fusedLoss` computes the loss where it
 * can, else `lossTerms`. The caller owns the two tensors.
 * @throws ArgumentError naming `model` when `fusedLoss` returns something other than undefined or a scalar tensor.
 */
export function finalStateCheck(
  model: TrainableModel,
  weights: readonly tf.Variable[],
  batch: Batch,
  ctx: StepContext,
  fused = true,
): tf.Tensor[] {
  const fusedLoss = fused ? checkFusedLoss(model.fusedLoss?.(batch, ctx)) : undefined;
  try {
    return tf.tidy(() => {
      const loss = fusedLoss ?? model.lossTerms(batch, ctx).loss;
      return [loss, tf.addN(weights.map((v) => tf.sum(tf.abs(v))))];
    });
  } catch (e) {
    fusedLoss?.dispose();
    throw e;
  }
}
