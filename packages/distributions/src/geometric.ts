import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, nonNegativeInteger, unitInterval } from './constraints.js';
import { binaryParameters, prepareBinaryLogits } from './binary-logits.js';
import type { LogitsOrProbsParams } from './logits-or-probs.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { expm1, gradFreeMask } from './special.js';
import { FLOAT32_TINY } from './sampling.js';
import { resolveValidateArgs } from './validate.js';
import { mulZeroSafe } from './zero-safe.js';

/** Parameters of {@link Geometric}: the success probability as `probs` p ∈ (0, 1] or `logits` ℓ, exactly one. */
export type GeometricParams = LogitsOrProbsParams;

/**
 * The geometric distribution of the number of failures before the first success (torch's convention), on
 * {0, 1, 2, …}, with success probability p = σ(ℓ):
 *
 * log p(k) = k·log(1 − p) + log p = −k·softplus(ℓ) − softplus(−ℓ).
 *
 * Exact at the boundary: p = 1 gives log p(0) = 0.
 */
export class Geometric extends Distribution {
  /** The parameters: `logits` (real) or `probs` (in [0, 1]), exactly one. */
  static readonly parameters = binaryParameters(unitInterval);
  /** Log-odds ℓ of a success, broadcast to the batch shape. */
  readonly logits: tf.Tensor;

  constructor(params: GeometricParams, options: DistributionOptions = {}) {
    const p = prepareBinaryLogits('Geometric', Geometric.parameters, params, resolveValidateArgs('Geometric', options));
    super(p.prepared, options);
    this.logits = p.logits;
  }
  override get support(): Constraint {
    return nonNegativeInteger;
  }
  /** Success probability p = σ(ℓ) (a new tensor). */
  probsParameter(): tf.Tensor {
    return this.run(() => tf.sigmoid(this.logits));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return tf.sub(tf.neg(mulZeroSafe(x, tf.softplus(this.logits))), tf.softplus(tf.neg(this.logits)));
  }
  /** ⌊log u / log(1 − p)⌋ with u ~ U(0, 1). */
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const u = tf.randomUniform(shape, FLOAT32_TINY, 1, 'float32', seed);
    return tf.floor(tf.div(tf.neg(tf.log(u)), tf.softplus(this.logits)));
  }
  /** (1 − p)/p = e^{−ℓ}. */
  protected override _mean(): tf.Tensor {
    return tf.exp(tf.neg(this.logits));
  }
  /** 0. */
  protected override _mode(): tf.Tensor {
    return tf.zerosLike(this.logits);
  }
  /** (1 − p)/p² = e^{−ℓ}(1 + e^{−ℓ}). */
  protected override _variance(): tf.Tensor {
    const e = tf.exp(tf.neg(this.logits));
    return tf.mul(e, tf.add(1, e));
  }
  /** H = [−(1 − p) log(1 − p) − p log p]/p = (softplus(ℓ) − ℓσ(ℓ))/σ(ℓ); 0 at p = 1. */
  protected override _entropy(): tf.Tensor {
    const l = this.logits;
    const certain = gradFreeMask([l], (v) => tf.equal(v, Infinity));
    const safe = tf.where(certain, tf.zerosLike(l), l);
    const h = tf.div(tf.sub(tf.softplus(safe), tf.mul(safe, tf.sigmoid(safe))), tf.sigmoid(safe));
    return tf.where(certain, tf.zerosLike(h), h);
  }
  /** F(k) = 1 − (1 − p)^{⌊k⌋+1} for k ≥ 0, 0 below. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    const f = tf.neg(expm1(tf.neg(tf.mul(tf.add(tf.floor(tf.relu(x)), 1), tf.softplus(this.logits)))));
    return tf.where(tf.less(x, 0), tf.zerosLike(f), f);
  }
}
