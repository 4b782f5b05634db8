import type * as tf from '@tensorflow/tfjs-core';
import { LIKELIHOOD_STEP_KERNELS, MUL_SUB_KERNEL, SCALED_SUM_KERNEL, TABLE_LOOKUP_KERNEL } from '@varia/core';
import { hostLogFactorial, logFactorialTable32 } from '@varia/distributions';
import { gaussianPart } from './gaussian-likelihood.js';
import type { KernelRunner } from './kernel-runner.js';

/**
 * The likelihoods a fused step replays: the head's output is the logits / log-rate / mean μ of every feature; a
 * Gaussian's σ = softplus(u) + minScale comes from a learned scalar or per-feature u (its variable `rawScale`).
 */
export type FusedLikelihood =
  | { kind: 'bernoulli' }
  | { kind: 'poisson' }
  | { kind: 'gaussian'; rawScale: tf.Variable; rawScaleName: string; minScale: number };

/** What a likelihood's backward gives: ∂loss/∂(head output), and the gradients of its own variables by name. */
export interface LikelihoodGradients {
  dOut: tf.TensorInfo;
  grads: [string, tf.TensorInfo][];
}

/** A likelihood's part of a step: Σ_features log p(x|z) per example, and the gradient of the decoder's output. */
export interface LikelihoodPart {
  /** Σⱼ log p(xⱼ|z) per example, [n]. */
  rowSums: tf.TensorInfo;
  /** The gradients, every row's log-likelihood having the gradient `g` given to {@link likelihoodPart}. */
  backward(): LikelihoodGradients;
  /** Tensors the part made outside the runner (freed with the step). */
  extra: tf.Tensor[];
}

/**
 * x·y − z: one {@link MUL_SUB_KERNEL} pass where the backend has it, else the `Multiply` and `Sub` kernels it stands
 * for (the same bits: each operation is rounded on its own either way).
 */
function mulSub(r: KernelRunner, x: tf.TensorInfo, y: tf.TensorInfo, z: tf.TensorInfo): tf.TensorInfo {
  if (r.has(MUL_SUB_KERNEL)) return r.run(MUL_SUB_KERNEL, { a: x, b: y, c: z });
  return r.run('Sub', { a: r.run('Multiply', { a: x, b: y }), b: z });
}

/**
 * g·x + (−g)·z for x, z [n, D] and a number g: one {@link SCALED_SUM_KERNEL} pass where the backend has it, else what
 * the taped backward runs — `Multiply` by a column [n, 1] filled with g, the same with −g, and `Add` (the same bits).
 */
function scaledDifference(r: KernelRunner, g: number, x: tf.TensorInfo, z: tf.TensorInfo): tf.TensorInfo {
  if (r.has(SCALED_SUM_KERNEL)) return r.run(SCALED_SUM_KERNEL, { x, z }, { alpha: g, beta: -g });
  const n = x.shape[0]!;
  const a = r.run('Multiply', { a: r.fill(g, [n, 1]), b: x });
  const b = r.run('Multiply', { a: r.fill(-g, [n, 1]), b: z });
  return r.run('Add', { a, b });
}

/**
 * The kernels of `Independent(Bernoulli(logits), 1).logProb(x)` in a training step — `bernoulliLogProbSum`'s forward
 * (x·ℓ − softplus(ℓ), summed over features) and its hand-written backward dy·x + (−dy)·σ(ℓ), dy [n, 1] filled with g —
 * in one pass where the backend has {@link LIKELIHOOD_STEP_KERNELS}' Bernoulli kernel (the same bits), else kernel by
 * kernel.
 */
function bernoulliPart(r: KernelRunner, x: tf.TensorInfo, logits: tf.TensorInfo, g: number): LikelihoodPart {
  if (r.has(LIKELIHOOD_STEP_KERNELS.bernoulli)) {
    const [rowSums, dOut] = r.runAll(LIKELIHOOD_STEP_KERNELS.bernoulli, { x, logits }, { g });
    return { rowSums: rowSums!, backward: () => ({ dOut: dOut!, grads: [] }), extra: [] };
  }
  const d = mulSub(r, x, logits, r.run('Softplus', { x: logits }));
  return {
    rowSums: r.run('Sum', { x: d }, { axis: -1, keepDims: false }),
    backward: () => ({ dOut: scaledDifference(r, g, x, r.run('Sigmoid', { x: logits })), grads: [] }),
    extra: [],
  };
}

/**
 * The kernels of `Independent(Poisson({ logRate }, { logProbMethod: 'direct' }), 1).logProb(x)` for counts:
 * x·log λ − λ − log x! (log x! from `hostLogFactorial`'s table, a constant of the batch), summed over features; backward
 * dy·x + (−dy)·λ (λ = exp(log λ) from the forward pass) — in one pass where the backend has
 * {@link LIKELIHOOD_STEP_KERNELS}' Poisson kernel and x holds counts below the table's size (the same bits), else
 * kernel by kernel with log x! looked up ({@link TABLE_LOOKUP_KERNEL}) or from `hostLogFactorial` (larger counts).
 * @returns undefined when x holds a value that is not a count (the generic path then evaluates it).
 */
function poissonPart(r: KernelRunner, x: tf.Tensor, logRate: tf.TensorInfo, g: number): LikelihoodPart | undefined {
  const fused = r.has(LIKELIHOOD_STEP_KERNELS.poisson);
  if (fused) {
    const inputs = { x, logRate, table: logFactorialTable(r) };
    const [rowSums, dOut, misses] = r.runAll(LIKELIHOOD_STEP_KERNELS.poisson, inputs, { g });
    if (r.read(misses!)[0] === 0) return { rowSums: rowSums!, backward: () => ({ dOut: dOut!, grads: [] }), extra: [] };
  }
  // the look-up would miss the same values as the fused kernel: straight to the host then
  const looked = fused ? undefined : lookedUpLogFactorial(r, x);
  const host = looked ? undefined : hostLogFactorial(x);
  const logFactorial = looked ?? host;
  if (!logFactorial) return undefined;
  try {
    const rate = r.run('Exp', { x: logRate });
    const lp = r.run('Sub', { a: mulSub(r, x, logRate, rate), b: logFactorial });
    return {
      rowSums: r.run('Sum', { x: lp }, { axis: [1], keepDims: false }),
      backward: () => ({ dOut: scaledDifference(r, g, x, rate), grads: [] }),
      extra: host ? [host] : [],
    };
  } catch (e) {
    host?.dispose(); // the step frees `extra` only once this part is returned
    throw e;
  }
}

/** `hostLogFactorial`'s float32 table of log k! (k < 1024), made once. */
let logFactorials: Float32Array | undefined;

/** That table as a runner tensor, for a look-up where the data lives. */
export function logFactorialTable(r: KernelRunner): tf.TensorInfo {
  logFactorials ??= logFactorialTable32();
  return r.values(logFactorials, [logFactorials.length]);
}

/**
 * log x! of a count batch by the backend's table look-up ({@link TABLE_LOOKUP_KERNEL}, one pass where the data lives)
 * with `hostLogFactorial`'s float32 table — the same values it gives, without reading the batch back and uploading
 * the result; undefined where the backend has no such kernel or a value is not an integer count below the table's
 * size (the caller then asks `hostLogFactorial`).
 */
function lookedUpLogFactorial(r: KernelRunner, x: tf.Tensor): tf.TensorInfo | undefined {
  if (!r.has(TABLE_LOOKUP_KERNEL)) return undefined;
  const [values, misses] = r.runAll(TABLE_LOOKUP_KERNEL, { x, table: logFactorialTable(r) });
  return r.read(misses!)[0] === 0 ? values : undefined;
}

/**
 * The likelihood part of a step for the head's output `out` [n, D] and the batch x [n, D], where every row's
 * log-likelihood has the gradient `g` (a float32 value: −1/n in a step, as the loss is −mean) — known before the
 * forward pass, so a backend may compute the forward sums and the backward pass in one.
 */
export function likelihoodPart(
  r: KernelRunner,
  likelihood: FusedLikelihood,
  x: tf.Tensor,
  out: tf.TensorInfo,
  g: number,
): LikelihoodPart | undefined {
  if (likelihood.kind === 'gaussian') return gaussianPart(r, x, out, likelihood, g);
  return likelihood.kind === 'bernoulli' ? bernoulliPart(r, x, out, g) : poissonPart(r, x, out, g);
}
