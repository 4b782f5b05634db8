// k-nearest neighbours on the rows of two matrices (squared Euclidean distance), for the conditional-model examples:
// a kNN digit classifier, and the batch-mixing entropy and cell-type accuracy of a latent space.
import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '@varia/core';

/** Query rows per block: a block's distance matrix is block × references floats. */
const BLOCK = 256;

/**
 * The indices of the k nearest rows of `references` for each row of `queries` (nearest first), by
 * ‖q − r‖² = ‖q‖² − 2 q·r + ‖r‖², computed in blocks of query rows. With `excludeSelf` (queries = references) a row
 * is not its own neighbour.
 * @returns [queries.rows × k] row-major indices.
 */
export function nearestNeighbours(
  queries: Matrix,
  references: Matrix,
  k: number,
  options: { excludeSelf?: boolean } = {},
): Int32Array {
  const skip = options.excludeSelf ? 1 : 0;
  const out = new Int32Array(queries.rows * k);
  const refs = tf.tensor2d(references.data, [references.rows, references.cols]);
  const refNorms = tf.sum(tf.square(refs), 1);
  try {
    for (let start = 0; start < queries.rows; start += BLOCK) {
      const rows = Math.min(BLOCK, queries.rows - start);
      const indices = tf.tidy(() => {
        const q = tf.tensor2d(queries.data.subarray(start * queries.cols, (start + rows) * queries.cols), [
          rows,
          queries.cols,
        ]);
        // −‖q − r‖² without the per-query constant ‖q‖² (it does not change the order)
        const negDistance = tf.sub(tf.mul(2, tf.matMul(q, refs, false, true)), refNorms);
        return tf.topk(negDistance, k + skip).indices;
      });
      const found = indices.dataSync();
      indices.dispose();
      for (let i = 0; i < rows; i++) {
        let written = 0;
        for (let j = 0; j < k + skip && written < k; j++) {
          const r = found[i * (k + skip) + j]!;
          if (skip && r === start + i) continue;
          out[(start + i) * k + written++] = r;
        }
        // the query itself was not among the k + 1 (a duplicate row took its place): keep the k nearest
      }
    }
  } finally {
    tf.dispose([refs, refNorms]);
  }
  return out;
}

/** The most frequent label among each row's neighbours (ties: the label of the nearest tied neighbour). */
export function majorityLabels(neighbours: Int32Array, k: number, labels: ArrayLike<number>): Int32Array {
  const rows = neighbours.length / k;
  const out = new Int32Array(rows);
  const counts = new Map<number, number>();
  for (let i = 0; i < rows; i++) {
    counts.clear();
    let best = labels[neighbours[i * k]!]!;
    for (let j = 0; j < k; j++) {
      const label = labels[neighbours[i * k + j]!]!;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    for (let j = 0; j < k; j++) {
      const label = labels[neighbours[i * k + j]!]!;
      if (counts.get(label)! > counts.get(best)!) best = label;
    }
    out[i] = best;
  }
  return out;
}

/** The fraction of rows whose label equals the expected one. */
export function accuracy(predicted: ArrayLike<number>, expected: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === expected[i]) hits++;
  return hits / predicted.length;
}

/**
 * The batch-mixing score of a latent space: for each point, the entropy of the batch labels among its k nearest
 * neighbours (itself excluded), −Σ_b p_b log p_b, divided by log B (B batches), averaged over the points. 0: every
 * neighbourhood holds one batch (batches apart); 1: every neighbourhood holds the batches in equal shares.
 */
export function mixingEntropy(latent: Matrix, batches: ArrayLike<number>, k: number, batchCount: number): number {
  const neighbours = nearestNeighbours(latent, latent, k, { excludeSelf: true });
  const counts = new Float64Array(batchCount);
  let total = 0;
  for (let i = 0; i < latent.rows; i++) {
    counts.fill(0);
    for (let j = 0; j < k; j++) counts[batches[neighbours[i * k + j]!]!]! += 1;
    let h = 0;
    for (const c of counts) if (c > 0) h -= (c / k) * Math.log(c / k);
    total += h / Math.log(batchCount);
  }
  return total / latent.rows;
}
