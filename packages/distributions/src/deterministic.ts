import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Constraint, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { gradFreeMask } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Deterministic}. */
export interface DeterministicParams {
  /** The point x₀ carrying all the mass. */
  loc: TensorLike;
}

/** Options of {@link Deterministic}. */
export interface DeterministicOptions extends DistributionOptions {
  /** Values within `atol` of `loc` count as equal to it (default 0: exact equality). */
  atol?: number;
}

/**
 * The point mass at x₀ (TFP's `Deterministic`), a degenerate distribution on scalars:
 *
 * log p(x) = 0 if |x − x₀| ≤ atol, −∞ otherwise.
 *
 * Every finite value is accepted by `logProb` (it returns −∞ away from x₀, with or without validation). `rsample`
 * returns x₀ broadcast to the sample shape with gradient 1 to `loc`. Variance and entropy are 0; the cdf is the step
 * 1[x ≥ x₀]. KL(Deterministic ‖ q) = −log q(x₀) for any q with a `logProb`.
 */
export class Deterministic extends Distribution {
  /** The parameters: `loc`, real. */
  static readonly parameters = declareParameters({ loc: { constraint: real } });
  /** x₀, the batch of points. */
  readonly loc: tf.Tensor;
  /** Tolerance for equality with `loc`. */
  readonly atol: number;

  constructor(params: DeterministicParams, options: DeterministicOptions = {}) {
    const validate = resolveValidateArgs('Deterministic', options);
    const atol = options.atol ?? 0;
    if (!(atol >= 0) || !Number.isFinite(atol)) {
      throw new ArgumentError('atol', `Deterministic: "atol" must be finite and >= 0, got ${atol}`);
    }
    const p = prepareParameters('Deterministic', Deterministic.parameters, params, validate);
    super(p, options);
    this.loc = p.tensors.loc;
    this.atol = atol;
  }
  override get support(): Constraint {
    return real;
  }
  override get hasRsample(): boolean {
    return true;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const at = gradFreeMask([x, this.loc], (v, l) => tf.lessEqual(tf.abs(tf.sub(v, l!)), this.atol));
    return tf.where(at, tf.zeros(at.shape), tf.fill(at.shape, -Infinity));
  }
  protected override _rsample(shape: number[]): tf.Tensor {
    return tf.add(tf.zeros(shape), this.loc);
  }
  /** E[X] = x₀. */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** Mode x₀. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** Var[X] = 0. */
  protected override _variance(): tf.Tensor {
    return tf.zerosLike(this.loc);
  }
  /** H = 0 (the discrete entropy of a point mass). */
  protected override _entropy(): tf.Tensor {
    return tf.zerosLike(this.loc);
  }
  /** F(x) = 1 if x ≥ x₀ − atol, else 0. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return tf.cast(tf.greaterEqual(x, tf.sub(this.loc, this.atol)), 'float32');
  }
}
