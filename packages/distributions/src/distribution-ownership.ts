// Ownership helpers of the Distribution base class: a distribution built from tensors made for it adopts them, and
// nothing leaks when building it throws.
import * as tf from '@tensorflow/tfjs-core';
import type { Distribution } from './distribution.js';
import { shapesEqual } from './tensor-like.js';

/** `build()`, which then owns `created` (it adopts them); when it throws, `created` are disposed and the error rethrown. */
export function buildAdopting(created: readonly tf.Tensor[], build: () => Distribution): Distribution {
  try {
    const d = build();
    d.adopt(created);
    return d;
  } catch (e) {
    for (const t of created) t.dispose();
    throw e;
  }
}

/**
 * Every tensor of `params` broadcast (or cloned) to `[...batchShape, ...its dims after the first batchRank]`, by name,
 * and the list of the tensors made (the caller owns them).
 */
export function broadcastParams(
  params: Record<string, tf.Tensor>,
  batchRank: number,
  batchShape: readonly number[],
): { expanded: Record<string, tf.Tensor>; created: tf.Tensor[] } {
  const created: tf.Tensor[] = [];
  const expanded: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(params)) {
    const target = [...batchShape, ...t.shape.slice(batchRank)];
    const b = shapesEqual(t.shape, target) ? tf.clone(t) : tf.broadcastTo(t, target);
    created.push(b);
    expanded[name] = b;
  }
  return { expanded, created };
}
