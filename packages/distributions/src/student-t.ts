import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { logGammaTensor, subSeed } from './sampling.js';
import { digamma, gradFreeMask, lbeta, lgamma, stopGradient } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link StudentT}. */
export interface StudentTParams {
  /** Degrees of freedom ν > 0. */
  df: TensorLike;
  /** Location μ. */
  loc: TensorLike;
  /** Scale σ > 0. */
  scale: TensorLike;
}

/**
 * Student's t distribution with ν degrees of freedom, location μ and scale σ; with z = (x − μ)/σ:
 *
 * log p(x) = log Γ((ν+1)/2) − log Γ(ν/2) − ½ log(νπ) − log σ − (ν+1)/2 · log(1 + z²/ν).
 *
 * `rsample` returns μ + σ·ε·√(ν / V) with ε ~ N(0, 1) and V = 2G, G ~ Gamma(ν/2) drawn on the CPU: gradients flow to
 * `loc` and `scale`, not to `df` (the Gamma draw is not reparameterized). No closed-form `cdf` (incomplete beta).
 */
export class StudentT extends Distribution {
  /** The parameters: `df` positive, `loc` real, `scale` positive. */
  static readonly parameters = declareParameters({ df: { constraint: positive }, loc: { constraint: real }, scale: { constraint: positive } });
  /** ν, broadcast to the batch shape. */
  readonly df: tf.Tensor;
  /** μ, broadcast to the batch shape. */
  readonly loc: tf.Tensor;
  /** σ, broadcast to the batch shape. */
  readonly scale: tf.Tensor;

  constructor(params: StudentTParams, options: DistributionOptions = {}) {
    const p = prepareParameters('StudentT', StudentT.parameters, params, resolveValidateArgs('StudentT', options));
    super(p, options);
    this.df = p.tensors.df;
    this.loc = p.tensors.loc;
    this.scale = p.tensors.scale;
  }
  override get support(): Constraint {
    return real;
  }
  override get hasRsample(): boolean {
    return true;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const nu = this.df;
    const z = tf.div(tf.sub(x, this.loc), this.scale);
    const halfNuPlus1 = tf.mul(0.5, tf.add(nu, 1));
    const norm = tf.sub(
      tf.sub(lgamma(halfNuPlus1), lgamma(tf.mul(0.5, nu))),
      tf.add(tf.mul(0.5, tf.log(tf.mul(nu, Math.PI))), tf.log(this.scale)),
    );
    return tf.sub(norm, tf.mul(halfNuPlus1, tf.log1p(tf.div(tf.square(z), nu))));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const eps = tf.randomNormal(shape, 0, 1, 'float32', subSeed(seed, 0));
    const halfNu = stopGradient(tf.mul(0.5, this.df));
    const logG = logGammaTensor(halfNu, shape, subSeed(seed, 1));
    // √(ν / (2G)) = exp(½ (log ν − log 2 − log G))
    const factor = tf.exp(tf.mul(0.5, tf.sub(tf.log(tf.broadcastTo(stopGradient(this.df), shape)), tf.add(logG, Math.LN2))));
    return tf.add(this.loc, tf.mul(this.scale, tf.mul(eps, factor)));
  }
  /** E[X] = μ for ν > 1, NaN otherwise. */
  protected override _mean(): tf.Tensor {
    return tf.where(gradFreeMask([this.df], (v) => tf.greater(v, 1)), this.loc, tf.fill(this.loc.shape, NaN));
  }
  /** Mode μ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** Var[X] = σ²·ν/(ν − 2) for ν > 2, +∞ for 1 < ν ≤ 2, NaN for ν ≤ 1. */
  protected override _variance(): tf.Tensor {
    const v = tf.div(tf.mul(tf.square(this.scale), this.df), tf.sub(this.df, 2));
    const shape = this.df.shape;
    return tf.where(gradFreeMask([this.df], (d) => tf.greater(d, 2)), v, tf.where(gradFreeMask([this.df], (d) => tf.greater(d, 1)), tf.fill(shape, Infinity), tf.fill(shape, NaN)));
  }
  /** H = (ν+1)/2 · (ψ((ν+1)/2) − ψ(ν/2)) + ½ log ν + log B(ν/2, ½) + log σ. */
  protected override _entropy(): tf.Tensor {
    const nu = this.df;
    const half = tf.mul(0.5, nu);
    const halfPlus = tf.mul(0.5, tf.add(nu, 1));
    return tf.add(
      tf.add(tf.mul(halfPlus, tf.sub(digamma(halfPlus), digamma(half))), tf.mul(0.5, tf.log(nu))),
      tf.add(lbeta(half, tf.fill(half.shape, 0.5)), tf.log(this.scale)),
    );
  }
}
