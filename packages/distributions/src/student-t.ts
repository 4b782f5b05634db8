import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { logGammaRsample } from './implicit-reparam.js';
import { studentTCdfStandard, studentTIcdfStandard } from './incomplete-beta.js';
import { quantile } from './quantile.js';
import { subSeed } from './sampling.js';
import { gradFreeMask, log1pSquare } from './special.js';
import { studentTEntropyStandard, studentTLogNormalizer } from './student-t-series.js';
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
 * The log-Γ ratio and the entropy use asymptotic series for ν ≥ 10, so both stay within 1e-5 relative of float64 up
 * to ν = 1e8 (see {@link studentTLogNormalizer}). `rsample` returns μ + σ·ε·√(ν / V) with ε ~ N(0, 1) and V = 2G,
 * G ~ Gamma(ν/2) drawn on the CPU with its implicit reparameterization gradient: gradients flow to `loc`, `scale` and
 * `df`. `cdf` and `icdf` go through the regularized incomplete beta function (double precision on the host).
 */
export class StudentT extends Distribution {
  /** The parameters: `df` positive, `loc` real, `scale` positive. */
  static readonly parameters = declareParameters({
    df: { constraint: positive },
    loc: { constraint: real },
    scale: { constraint: positive },
  });
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
    const norm = tf.sub(studentTLogNormalizer(nu), tf.log(this.scale));
    return tf.sub(norm, tf.mul(tf.mul(0.5, tf.add(nu, 1)), log1pSquare(z, nu)));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const eps = tf.randomNormal(shape, 0, 1, 'float32', subSeed(seed, 0));
    // G ~ Gamma(ν/2) with its implicit reparameterization gradient: the draw is differentiable in ν too
    const logG = logGammaRsample(tf.mul(0.5, this.df), shape, subSeed(seed, 1));
    // √(ν / (2G)) = exp(½ (log ν − log 2 − log G))
    const factor = tf.exp(tf.mul(0.5, tf.sub(tf.log(this.df), tf.add(logG, Math.LN2))));
    return tf.add(this.loc, tf.mul(this.scale, tf.mul(eps, factor)));
  }
  /** E[X] = μ for ν > 1, NaN otherwise. */
  protected override _mean(): tf.Tensor {
    return tf.where(
      gradFreeMask([this.df], (v) => tf.greater(v, 1)),
      this.loc,
      tf.fill(this.loc.shape, NaN),
    );
  }
  /** Mode μ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** Var[X] = σ²·ν/(ν − 2) for ν > 2, +∞ for 1 < ν ≤ 2, NaN for ν ≤ 1. */
  protected override _variance(): tf.Tensor {
    // safe where: ν/(ν − 2) is evaluated at ν = 3 where it is not used, so ν ≤ 2 gives a zero gradient, not NaN
    const finite = gradFreeMask([this.df], (d) => tf.greater(d, 2));
    const dfSafe = tf.where(finite, this.df, tf.fill(this.df.shape, 3));
    const v = tf.div(tf.mul(tf.square(this.scale), dfSafe), tf.sub(dfSafe, 2));
    const shape = v.shape;
    return tf.where(
      finite,
      v,
      tf.where(
        gradFreeMask([this.df], (d) => tf.greater(d, 1)),
        tf.fill(shape, Infinity),
        tf.fill(shape, NaN),
      ),
    );
  }
  /** H = (ν+1)/2 · (ψ((ν+1)/2) − ψ(ν/2)) + ½ log ν + log B(ν/2, ½) + log σ. */
  protected override _entropy(): tf.Tensor {
    return tf.add(studentTEntropyStandard(this.df), tf.log(this.scale));
  }
  /** F(x) = ½ + sign(z)·½(1 − I_{ν/(ν+z²)}(ν/2, ½)), z = (x − μ)/σ (double precision on the host; see {@link studentTCdfStandard}). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return studentTCdfStandard(this.df, tf.div(tf.sub(x, this.loc), this.scale));
  }
  /** F⁻¹(p) = μ + σ·t_ν(p), t_ν from the inverse incomplete beta function (see {@link studentTIcdfStandard}). */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => tf.add(this.loc, tf.mul(this.scale, studentTIcdfStandard(this.df, p))));
  }
}
