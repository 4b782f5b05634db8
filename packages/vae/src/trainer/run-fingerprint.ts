import type * as tf from '@tensorflow/tfjs-core';
import type { RunFingerprint } from '../resume-fingerprint.js';
import type { BatchSource } from './batch-source.js';
import type { TrainableModel } from './trainable-model.js';
import type { ResolvedTrainerOptions } from './trainer-options.js';

/**
 * What a checkpoint of this run is tied to: the data (hashed only when the run writes or reads checkpoints: it costs a
 * pass over the data), the model (its `fingerprint()`, else the names and shapes of its weights) and every option
 * that changes the trajectory.
 */
export function runFingerprint<Log, Info>(
  model: TrainableModel,
  weights: ReadonlyMap<string, tf.Variable>,
  train: BatchSource,
  validation: BatchSource | undefined,
  o: ResolvedTrainerOptions<Log, BatchSource, Info>,
  checkpointing: boolean,
): RunFingerprint {
  return {
    n: train.length ?? -1,
    dataHash: checkpointing ? (train.fingerprint?.() ?? '') : '',
    validationHash: validation && checkpointing ? (validation.fingerprint?.() ?? '') : null,
    config: model.fingerprint?.() ?? {
      weights: Object.fromEntries([...weights].map(([name, v]) => [name, [...v.shape]])),
    },
    batchSize: o.batchSize,
    seed: o.seed,
    learningRate: o.learningRate,
    beta: o.beta,
    samples: o.samples,
    freeBits: o.freeBits,
    shuffle: o.shuffle,
    klWarmupEpochs: o.klWarmupEpochs ?? null,
    klWarmupSteps: o.klWarmupSteps ?? null,
    // only when on: checkpoints written without it (and before it existed) have none, which means false
    ...(o.sparseInput !== false && { sparseInput: o.sparseInput }),
  };
}
