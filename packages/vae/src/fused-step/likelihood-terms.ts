import type * as tf from '@tensorflow/tfjs-core';
import { hostLogFactorial } from '@varia/distributions';
import type { KernelRunner } from './kernel-runner.js';

/** The likelihoods a fused step replays (their heads' output is the logits / log-rate of every feature). */
export type FusedLikelihood = 'bernoulli' | 'poisson';

/** A likelihood's part of a step: Σ_features log p(x|z) per example, and the gradient of the decoder's output. */
export interface LikelihoodPart {
  /** Σⱼ log p(xⱼ|z) per example, [n]. */
  rowSums: tf.TensorInfo;
  /** ∂loss/∂(head output) when every row's log-likelihood has the gradient `g` (−1/n: the loss is −mean). */
  backward(g: number): tf.TensorInfo;
  /** Tensors the part made outside the runner (freed with the step). */
  extra: tf.Tensor[];
}

/**
 * The kernels of `Independent(Bernoulli(logits), 1).logProb(x)` in a training step — `bernoulliLogProbSum`'s forward
 * (x·ℓ − softplus(ℓ), summed over features) and its hand-written backward dy·x + (−dy)·σ(ℓ), dy [n, 1].
 */
function bernoulliPart(r: KernelRunner, x: tf.TensorInfo, logits: tf.TensorInfo, n: number): LikelihoodPart {
  const d = r.run('Sub', { a: r.run('Multiply', { a: x, b: logits }), b: r.run('Softplus', { x: logits }) });
  return {
    rowSums: r.run('Sum', { x: d }, { axis: -1, keepDims: false }),
    backward: (g) => {
      const a = r.run('Multiply', { a: r.fill(g, [n, 1]), b: x });
      const b = r.run('Multiply', { a: r.fill(-g, [n, 1]), b: r.run('Sigmoid', { x: logits }) });
      return r.run('Add', { a, b });
    },
    extra: [],
  };
}

/**
 * The kernels of `Independent(Poisson({ logRate }, { logProbMethod: 'direct' }), 1).logProb(x)` for counts:
 * x·log λ − λ − log x! (log x! from the host table, a constant of the batch), summed over features; backward
 * dy·x + (−dy)·λ (λ = exp(log λ) from the forward pass).
 * @returns undefined when x holds a value that is not a count (the generic path then evaluates it).
 */
function poissonPart(r: KernelRunner, x: tf.Tensor, logRate: tf.TensorInfo, n: number): LikelihoodPart | undefined {
  const logFactorial = hostLogFactorial(x);
  if (!logFactorial) return undefined;
  const rate = r.run('Exp', { x: logRate });
  const a = r.run('Sub', { a: r.run('Multiply', { a: x, b: logRate }), b: rate });
  const lp = r.run('Sub', { a, b: logFactorial });
  return {
    rowSums: r.run('Sum', { x: lp }, { axis: [1], keepDims: false }),
    backward: (g) => {
      const dx = r.run('Multiply', { a: r.fill(g, [n, 1]), b: x });
      const dRate = r.run('Multiply', { a: r.fill(-g, [n, 1]), b: rate });
      return r.run('Add', { a: dx, b: dRate });
    },
    extra: [logFactorial],
  };
}

/** The likelihood part of a step for the head's output `out` [n, D] and the batch x [n, D]. */
export function likelihoodPart(
  r: KernelRunner,
  likelihood: FusedLikelihood,
  x: tf.Tensor,
  out: tf.TensorInfo,
): LikelihoodPart | undefined {
  const n = x.shape[0]!;
  return likelihood === 'bernoulli' ? bernoulliPart(r, x, out, n) : poissonPart(r, x, out, n);
}
