import type * as tf from '@tensorflow/tfjs-core';
import type { KernelRunner } from './kernel-runner.js';

/** The attributes of `tf.mean(x)` (every axis). */
const MEAN_ALL = { axis: null, keepDims: false } as unknown as tf.NamedAttrMap;

/**
 * The mean of float32 values exactly as tfjs-backend-wasm 4.x's `Mean` kernel computes it (`Mean.cc`): a float32 sum
 * from +0 in index order, s ← fl(s + xᵢ), then fl(s / fl(n)). Each float32 operation is done in double on float32
 * operands and rounded with `Math.fround`: a double holds more than 2·24 + 2 bits, so fl₆₄ then fl₃₂ of a + b, a − b,
 * a·b or a / b is the float32 result of that operation (no double-rounding error) — NaN, ±∞, −0 and subnormals
 * included. `values` must not be empty.
 */
export function wasmMean(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum = Math.fround(sum + values[i]!);
  // Mean.cc divides by the count converted to float (exact below 2²⁴)
  return Math.fround(sum / Math.fround(values.length));
}

/** A step's loss terms as runner outputs: the loss, the mean reconstruction term and the mean KL (float32 scalars). */
export interface StepTerms {
  loss: tf.TensorInfo;
  reconstruction: tf.TensorInfo;
  kl: tf.TensorInfo;
}

/**
 * The loss terms of a step from its per-example rows, as the taped path computes them: reconstruction =
 * mean(log p(x|z) rows), kl = mean(KL rows), loss = β·kl − reconstruction — the kernels `Mean`, `Mean`, `Multiply` by
 * the float32 β (unless β = 1) and `Sub`. On the wasm backend (where a fused step runs) the same float32 operations
 * run in the same order on the rows' values ({@link wasmMean}; x − y and x·y rounded once each), and the three values
 * are written as scalars: no kernel calls and no output buffers for them. Elsewhere those kernels run.
 */
export function stepTerms(r: KernelRunner, rowSums: tf.TensorInfo, klRows: tf.TensorInfo, beta: number): StepTerms {
  if (r.backendName !== 'wasm') {
    const reconstruction = r.run('Mean', { x: rowSums }, MEAN_ALL);
    const kl = r.run('Mean', { x: klRows }, MEAN_ALL);
    const penalty = beta === 1 ? kl : r.run('Multiply', { a: kl, b: r.scalar(beta) });
    return { loss: r.run('Sub', { a: penalty, b: reconstruction }), reconstruction, kl };
  }
  const reconstruction = wasmMean(r.peek(rowSums));
  const kl = wasmMean(r.peek(klRows));
  const penalty = beta === 1 ? kl : Math.fround(kl * Math.fround(beta));
  const loss = Math.fround(penalty - reconstruction);
  return { loss: r.scalar(loss), reconstruction: r.scalar(reconstruction), kl: r.scalar(kl) };
}

/** A step's terms handed out by the runner as the trainer's loss terms (reparameterized: one Gaussian sample). */
export function keptTerms(
  r: KernelRunner,
  t: StepTerms,
): { loss: tf.Scalar; reconstruction: tf.Scalar; kl: tf.Scalar; estimator: 'reparam' } {
  return {
    loss: r.keep<tf.Scalar>(t.loss),
    reconstruction: r.keep<tf.Scalar>(t.reconstruction),
    kl: r.keep<tf.Scalar>(t.kl),
    estimator: 'reparam',
  };
}
