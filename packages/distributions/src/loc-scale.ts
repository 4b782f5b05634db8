import type * as tf from '@tensorflow/tfjs-core';
import { positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of a location–scale family: a location and a positive scale. */
export interface LocScaleParams {
  /** Location (for LogNormal: of the underlying normal). */
  loc: TensorLike;
  /** Scale > 0. */
  scale: TensorLike;
}

/**
 * The shared base of reparameterized location–scale families (Normal, LogNormal, Laplace): it holds `loc` and
 * `scale` broadcast to the batch shape and declares `loc` real and `scale` positive. Subclasses give the density,
 * sampler and moments.
 */
export abstract class LocScaleDistribution extends Distribution {
  /** The parameters: `loc` real, `scale` positive. */
  static readonly parameters = declareParameters({ loc: { constraint: real }, scale: { constraint: positive } });
  /** Location, broadcast to the batch shape. */
  readonly loc: tf.Tensor;
  /** Scale, broadcast to the batch shape. */
  readonly scale: tf.Tensor;

  protected constructor(name: string, params: LocScaleParams, options: DistributionOptions) {
    const p = prepareParameters(name, LocScaleDistribution.parameters, params, resolveValidateArgs(name, options));
    super(p, options);
    this.loc = p.tensors.loc;
    this.scale = p.tensors.scale;
  }
  override get hasRsample(): boolean {
    return true;
  }
}
