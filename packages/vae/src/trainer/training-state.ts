import * as tf from '@tensorflow/tfjs-core';
import type { RunFingerprint } from '../resume-fingerprint.js';
import { ownCopy } from '../wasm-memory.js';
import type { TrainingLog } from './callback.js';

/** Mutable training state, saved in checkpoints. */
export interface TrainingState {
  /** Completed epochs. */
  epoch: number;
  /** Global step count. */
  step: number;
  /** Logs so far. */
  history: TrainingLog[];
  /** Best monitored value and its epoch (kept by early stopping; `loss` Infinity/null before the first epoch). */
  best: {
    /** The best monitored value so far. */
    loss: number;
    /** The epoch that reached it. */
    epoch: number;
  };
  /** Data, config and options that must match on resume. */
  fingerprint: RunFingerprint;
}

/**
 * A copy of every variable's value (the caller frees it with {@link disposeSnapshot}), in memory of its own where the
 * backend lets it copy directly (`ownCopy`): a variable then stays the only holder of its data, and the next training
 * step updates it in place (a clone's shared data made the first step of every epoch take the copying path).
 */
export function snapshot(variables: ReadonlyMap<string, tf.Variable>): Map<string, tf.Tensor> {
  return new Map([...variables].map(([k, v]) => [k, ownCopy(v)]));
}

/** Assigns a snapshot back to the variables. */
export function restoreSnapshot(variables: ReadonlyMap<string, tf.Variable>, saved: Map<string, tf.Tensor>): void {
  for (const [k, v] of variables) v.assign(saved.get(k)!);
}

/** Frees a snapshot (nothing for undefined). */
export function disposeSnapshot(s: Map<string, tf.Tensor> | undefined): void {
  if (s) for (const t of s.values()) t.dispose();
}

/** Tensors of the given values, shaped like the variables (restoring best weights from a checkpoint). */
export function snapshotFromValues(
  variables: ReadonlyMap<string, tf.Variable>,
  values: Map<string, Float32Array>,
): Map<string, tf.Tensor> {
  return new Map([...variables].map(([k, v]) => [k, tf.tensor(values.get(k)!, v.shape, 'float32')]));
}
