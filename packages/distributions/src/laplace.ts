import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { expm1 } from './special.js';
import type { TensorLike } from './tensor-like.js';

/** Parameters of {@link Laplace}. */
export interface LaplaceParams {
  /** Location μ (the median). */
  loc: TensorLike;
  /** Scale b > 0. */
  scale: TensorLike;
}

/**
 * The Laplace (double-exponential) distribution:
 *
 * log p(x) = −log(2b) − |x − μ| / b.
 *
 * Reparameterized: `rsample` returns μ − b·sign(u)·log(1 − 2|u|) with u ~ U(−½, ½).
 */
export class Laplace extends Distribution {
  static readonly argConstraints = { loc: real, scale: positive } as const;
  /** μ, broadcast to the batch shape. */
  readonly loc: tf.Tensor;
  /** b, broadcast to the batch shape. */
  readonly scale: tf.Tensor;

  constructor(params: LaplaceParams, options: DistributionOptions = {}) {
    const p = Distribution.prepareParams('Laplace', { loc: params.loc, scale: params.scale }, Laplace.argConstraints, options.validateArgs ?? true);
    super(p.shape, [], options, p.owned);
    this.loc = p.tensors.loc;
    this.scale = p.tensors.scale;
  }
  override get argConstraints(): Readonly<Record<string, Constraint>> {
    return Laplace.argConstraints;
  }
  override get support(): Constraint {
    return real;
  }
  override get hasRsample(): boolean {
    return true;
  }
  protected override _params(): Record<string, tf.Tensor> {
    return { loc: this.loc, scale: this.scale };
  }
  protected override _withParams(params: Record<string, tf.Tensor>, options: DistributionOptions): Distribution {
    return new Laplace(params as unknown as LaplaceParams, options);
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return tf.neg(tf.add(tf.log(tf.mul(2, this.scale)), tf.div(tf.abs(tf.sub(x, this.loc)), this.scale)));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    // u in (−½, ½), kept away from ±½ so log(1 − 2|u|) stays finite.
    const u = tf.randomUniform(shape, -0.5 + 2 ** -25, 0.5, 'float32', seed);
    return tf.sub(this.loc, tf.mul(tf.mul(this.scale, tf.sign(u)), tf.log1p(tf.mul(-2, tf.abs(u)))));
  }
  /** E[X] = μ. */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** Mode μ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** Var[X] = 2b². */
  protected override _variance(): tf.Tensor {
    return tf.mul(2, tf.square(this.scale));
  }
  /** H = 1 + log(2b). */
  protected override _entropy(): tf.Tensor {
    return tf.add(tf.log(tf.mul(2, this.scale)), 1);
  }
  /** F(x) = ½ − ½·sign(x − μ)·(e^{−|x − μ|/b} − 1). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    const z = tf.sub(x, this.loc);
    return tf.sub(0.5, tf.mul(tf.mul(0.5, tf.sign(z)), expm1(tf.neg(tf.div(tf.abs(z), this.scale)))));
  }
}
