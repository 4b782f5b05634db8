import * as tf from '@tensorflow/tfjs-core';
import type { Distribution, DistributionOptions } from './distribution.js';
import { StickBreaking } from './bijectors/stick-breaking.js';
import { Normal } from './normal.js';
import { shapesEqual, type TensorLike } from './tensor-like.js';
import { TransformedDistribution } from './transformed-distribution.js';

/** Parameters of {@link LogisticNormal}: those of the K − 1 underlying normals. */
export interface LogisticNormalParams {
  /** μ, `[..., K − 1]`. */
  loc: TensorLike;
  /** σ > 0, broadcastable to `loc`. */
  scale: TensorLike;
}

/**
 * The logistic-normal distribution on the K-simplex: X = StickBreaking(Y), Y ~ N(μ, diag σ²) over ℝᴷ⁻¹ (torch's
 * `LogisticNormal`, a {@link TransformedDistribution}) — a reparameterizable, Dirichlet-like latent for topic models
 * (ProdLDA uses its Laplace approximation to a Dirichlet prior). Event shape `[K]`:
 *
 * log p(x) = log N(y; μ, σ²) − log |det ∂x/∂y|,  y = StickBreaking⁻¹(x).
 *
 * A scalar `loc` is a single normal (K = 2), as torch does. No closed-form moments or entropy.
 */
export class LogisticNormal extends TransformedDistribution {
  /** μ of the underlying normals, `[...batchShape, K − 1]`. */
  readonly loc: tf.Tensor;
  /** σ of the underlying normals, `[...batchShape, K − 1]`. */
  readonly scale: tf.Tensor;

  constructor(params: LogisticNormalParams, options: DistributionOptions = {}) {
    let base: Distribution = new Normal(params, options);
    if (base.batchShape.length === 0) {
      const vector = base.expand([1]);
      base.dispose();
      base = vector;
    }
    super(base, new StickBreaking(), options);
    const normal = (this.base as unknown as { base: Normal }).base;
    this.loc = normal.loc;
    this.scale = normal.scale;
  }
  /** Rebuilds from `loc` and `scale` broadcast to `[...batchShape, K − 1]`. */
  protected override _expand(batchShape: number[]): Distribution {
    const target = [...batchShape, this.loc.shape[this.loc.rank - 1]!];
    const loc = shapesEqual(this.loc.shape, target) ? tf.clone(this.loc) : tf.broadcastTo(this.loc, target);
    const scale = shapesEqual(this.scale.shape, target) ? tf.clone(this.scale) : tf.broadcastTo(this.scale, target);
    try {
      const d = new LogisticNormal({ loc, scale }, { validateArgs: this.validateArgs });
      d.adopt([loc, scale]);
      return d;
    } catch (e) {
      loc.dispose();
      scale.dispose();
      throw e;
    }
  }
}
