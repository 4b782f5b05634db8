import * as tf from '@tensorflow/tfjs-core';
import { boolean, type Constraint, unitInterval } from './constraints.js';
import { binaryParameters, prepareBinaryLogits } from './binary-logits.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import type { LogitsOrProbsParams } from './logits-or-probs.js';
import { shapesEqual } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Bernoulli}: exactly one of `logits` or `probs`. */
export type BernoulliParams = LogitsOrProbsParams;

/**
 * The Bernoulli distribution on {0, 1}, parameterized by logits ℓ (p = σ(ℓ)):
 *
 * log p(x) = x·ℓ − softplus(ℓ)  (= x log p + (1−x) log(1−p), computed without log(sigmoid)).
 *
 * Given `probs`, the logits are log p − log(1 − p) (probabilities 0 and 1 map to ∓∞ logits).
 *
 * Support {0, 1}: with `validateArgs` (default) other values make `logProb` throw an ArgumentError; without, they
 * get −∞. No `rsample` (discrete; see {@link ContinuousBernoulli} for a relaxation).
 */
/**
 * Σ over the last axis of the soft log-mass x·ℓ − softplus(ℓ) as one taped operation (the Independent-over-features
 * likelihood of a decoder): the forward kernels of the formula and its sum, and a backward pass written out with the
 * same arithmetic as tfjs's autodiff of it (∂/∂ℓ = dy·x + (−dy)·σ(ℓ), ∂/∂x = dy·ℓ, dy broadcast over the summed axis),
 * so values and gradients are the same bits with fewer kernels and tape copies.
 */
const softLogProbSum = tf.customGrad((x: unknown, logits: unknown, save: unknown) => {
  const xs = x as tf.Tensor;
  const l = logits as tf.Tensor;
  (save as tf.GradSaveFunc)([xs, l]);
  return {
    value: tf.sum(tf.sub(tf.mul(xs, l), tf.softplus(l)), -1),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sl] = saved as [tf.Tensor, tf.Tensor];
      const dyr = tf.reshape(dy, [...dy.shape, 1]);
      const dLogits = tf.add(tf.mul(dyr, sx), tf.mul(tf.neg(dyr), tf.sigmoid(sl)));
      return [tf.mul(dyr, sl), dLogits];
    },
  };
}) as unknown as (x: tf.Tensor, logits: tf.Tensor) => tf.Tensor;

/**
 * Σ over the last axis of `d.logProb(x)` in one taped operation when `logProb` is the soft formula (validation and
 * masking off, as the heads of `@varia/layers` build it) and `x` has the logits' shape; `undefined` otherwise. For
 * `Independent(Bernoulli, 1)`, which has already checked `x`'s shape.
 */
export function bernoulliLogProbSum(d: Bernoulli, x: tf.Tensor): tf.Tensor | undefined {
  if (d.validateArgs || d.maskOutOfSupport || d.logits.rank < 1 || !shapesEqual(x.shape, d.logits.shape)) {
    return undefined;
  }
  return softLogProbSum(x, d.logits);
}

export class Bernoulli extends Distribution {
  /** The parameters: `logits` (real) or `probs` (in [0, 1]), exactly one. */
  static readonly parameters = binaryParameters(unitInterval);
  /** Log-odds ℓ, broadcast to the batch shape. */
  readonly logits: tf.Tensor;

  constructor(params: BernoulliParams, options: DistributionOptions = {}) {
    const p = prepareBinaryLogits('Bernoulli', Bernoulli.parameters, params, resolveValidateArgs('Bernoulli', options));
    super(p.prepared, options);
    this.logits = p.logits;
  }
  override get support(): Constraint {
    return boolean;
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  /** {0, 1}: `enumerateSupport()` has shape `[2, ...batchShape]`. */
  protected override _enumerateSupport(): tf.Tensor {
    return this.supportShaped(tf.tensor1d([0, 1]));
  }
  /** Probability p = σ(ℓ) of a 1 (a new tensor). */
  probsParameter(): tf.Tensor {
    return this.run(() => tf.sigmoid(this.logits));
  }
  /**
   * x ∈ {0, 1} (validated, or masked): log p(x) = −softplus(ℓ(1 − 2x)), exact at p = 0 and 1 (ℓ = ∓∞: 0 and −∞).
   * Soft targets (`validateArgs` and `maskOutOfSupport` off): the cross-entropy x·ℓ − softplus(ℓ), for finite ℓ.
   */
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    if (!this.validateArgs && !this.maskOutOfSupport) return tf.sub(tf.mul(x, this.logits), tf.softplus(this.logits));
    return tf.neg(tf.softplus(tf.mul(this.logits, tf.sub(1, tf.mul(2, x)))));
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const u = tf.randomUniform(shape, 0, 1, 'float32', seed);
    return tf.cast(tf.less(u, tf.sigmoid(this.logits)), 'float32');
  }
  protected override _mean(): tf.Tensor {
    return tf.sigmoid(this.logits);
  }
  protected override _mode(): tf.Tensor {
    return tf.cast(tf.greater(this.logits, 0), 'float32');
  }
  /** Var = p(1 − p). */
  protected override _variance(): tf.Tensor {
    const p = tf.sigmoid(this.logits);
    return tf.mul(p, tf.sub(1, p));
  }
  /**
   * H = softplus(ℓ) − ℓ·σ(ℓ), with ℓ clipped to ±200 where H < 1e-85 underflows to 0 anyway: exactly 0 at p = 0
   * and 1 (ℓ = ∓∞), with gradient 0 there instead of ∞ − ∞ = NaN.
   */
  protected override _entropy(): tf.Tensor {
    const l = tf.clipByValue(this.logits, -200, 200);
    return tf.sub(tf.softplus(l), tf.mul(l, tf.sigmoid(l)));
  }
  /** F(x) = 0 for x < 0, 1 − p for 0 ≤ x < 1, 1 for x ≥ 1. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    const q = tf.sigmoid(tf.neg(this.logits));
    return tf.where(tf.less(x, 0), tf.zerosLike(q), tf.where(tf.less(x, 1), q, tf.onesLike(q)));
  }
}
