import * as tf from '@tensorflow/tfjs-core';
import type { BatchSource } from './batch-source.js';
import { checkBatch, checkEpochIterable, checkLossTerms } from './model-contract.js';
import type { Batch, StepContext, TrainableModel } from './trainable-model.js';
import { disposeSnapshot, restoreSnapshot, snapshot } from './training-state.js';

/** Rows per validation batch. */
const EVALUATION_BATCH = 512;

/** Mean loss, reconstruction and KL over a source (the latter two undefined when the model reports none). */
export interface SourceEvaluation {
  /** Mean loss per example. */
  loss: number;
  /** Mean reconstruction term per example. */
  reconstruction?: number;
  /** Mean KL per example. */
  kl?: number;
}

function firstField(batch: Batch): tf.Tensor2D {
  const first = Object.values(batch)[0];
  if (!first) throw new Error('unreachable: a batch without fields');
  return first;
}

/**
 * Runs `body` and then puts the model's non-trainable state back as it was: evaluations and checks must not move a
 * score-function baseline's moving average (a resumed run would then differ from an uninterrupted one).
 */
export async function withStateKept<T>(
  state: ReadonlyMap<string, tf.Variable>,
  body: () => Promise<T> | T,
): Promise<T> {
  if (state.size === 0) return body();
  const saved = snapshot(state);
  try {
    return await body();
  } finally {
    restoreSnapshot(state, saved);
    disposeSnapshot(saved);
  }
}

/**
 * The model's loss terms (β = 1, one sample, no free bits, `training` false) averaged over every example of a source,
 * in batches of 512 in the source's order; the batch starting at row r is evaluated with seed `seed + r`. The sums
 * stay on the device and are read once.
 */
export async function evaluateSource(
  model: TrainableModel,
  source: BatchSource,
  base: { epoch: number; step: number; seed: number },
): Promise<SourceEvaluation> {
  let acc: tf.Tensor | undefined;
  let rows = 0;
  let parts = 0;
  const iterable = checkEpochIterable(
    source.epoch({ epoch: base.epoch, batchSize: EVALUATION_BATCH, shuffle: false, rng: Math.random }),
    'validationData',
  );
  try {
    for await (const given of iterable as AsyncIterable<Batch>) {
      const batch = checkBatch(given, source.widths, 'validationData');
      const n = firstField(batch).shape[0];
      const ctx: StepContext = {
        epoch: base.epoch,
        step: base.step,
        beta: 1,
        seed: base.seed + rows,
        samples: 1,
        freeBits: 0,
        training: false,
      };
      try {
        const next: tf.Tensor = tf.tidy(() => {
          const t = checkLossTerms(model.lossTerms(batch, ctx));
          // reconstruction and KL are reported together or not at all
          const terms = t.reconstruction && t.kl ? [t.loss, t.reconstruction, t.kl] : [t.loss];
          parts = terms.length;
          const weighted = tf.mul(tf.stack(terms), n);
          return acc ? tf.add(acc, weighted) : tf.add(tf.zeros([terms.length]), weighted);
        });
        acc?.dispose();
        acc = next;
      } finally {
        tf.dispose(Object.values(batch));
      }
      rows += n;
    }
    const v = acc ? await acc.data() : new Float32Array(0);
    const out: SourceEvaluation = { loss: v[0]! / rows };
    if (parts === 3) {
      out.reconstruction = v[1]! / rows;
      out.kl = v[2]! / rows;
    }
    return out;
  } finally {
    acc?.dispose();
  }
}
