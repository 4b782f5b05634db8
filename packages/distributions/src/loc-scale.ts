import type * as tf from '@tensorflow/tfjs-core';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import type { TensorLike } from './tensor-like.js';

/** Parameters of a location–scale family: a location and a positive scale. */
export interface LocScaleParams {
  /** Location (for LogNormal: of the underlying normal). */
  loc: TensorLike;
  /** Scale > 0. */
  scale: TensorLike;
}

/**
 * The shared base of reparameterized location–scale families (Normal, LogNormal, Laplace): it holds `loc` and
 * `scale` broadcast to the batch shape, declares `loc` real and `scale` positive, and implements `expand`.
 * Subclasses give the density, sampler and moments.
 */
export abstract class LocScaleDistribution extends Distribution {
  /** Constraints on the constructor parameters, by name: validation reads them (torch's `arg_constraints`). */
  static readonly argConstraints = {
    /** `loc`: real. */
    loc: real,
    /** `scale`: positive. */
    scale: positive,
  } as const;
  /** Location, broadcast to the batch shape. */
  readonly loc: tf.Tensor;
  /** Scale, broadcast to the batch shape. */
  readonly scale: tf.Tensor;

  protected constructor(name: string, params: LocScaleParams, options: DistributionOptions) {
    const p = Distribution.prepareParams(
      name,
      { loc: params.loc, scale: params.scale },
      LocScaleDistribution.argConstraints,
      options.validateArgs ?? true,
    );
    super(p.shape, [], options, p.owned, p.constants);
    this.loc = p.tensors.loc;
    this.scale = p.tensors.scale;
  }
  override get argConstraints(): Readonly<Record<string, Constraint>> {
    return LocScaleDistribution.argConstraints;
  }
  override get hasRsample(): boolean {
    return true;
  }
  protected override _params(): Record<string, tf.Tensor> {
    return { loc: this.loc, scale: this.scale };
  }
  protected override _withParams(params: Record<string, tf.Tensor>, options: DistributionOptions): Distribution {
    const Family = this.constructor as new (p: LocScaleParams, o: DistributionOptions) => Distribution;
    return new Family(params as unknown as LocScaleParams, options);
  }
}
