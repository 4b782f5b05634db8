import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { Beta } from './beta.js';
import { corrCholesky } from './bijectors/matrix.js';
import { type Constraint, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { diagPart } from './linalg.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { FLOAT32_TINY, subSeed } from './sampling.js';
import { lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link LKJCholesky}. */
export interface LKJCholeskyParams {
  /** The matrix size D ≥ 2 (a number: part of the event shape). */
  dim: number;
  /** Concentration η > 0 (η = 1: uniform over correlation matrices; larger: closer to the identity). */
  concentration: TensorLike;
}

/** log Γ_p(a) = p(p − 1)/4·log π + Σ_{j=1}^{p} log Γ(a + (1 − j)/2), the multivariate log-gamma function. */
export function mvlgamma(a: tf.Tensor, p: number): tf.Tensor {
  let sum = tf.scalar((p * (p - 1) * Math.log(Math.PI)) / 4) as tf.Tensor;
  for (let j = 1; j <= p; j++) sum = tf.add(sum, lgamma(tf.add(a, (1 - j) / 2)));
  return sum;
}

/**
 * The LKJ distribution over Cholesky factors L of D×D correlation matrices (Lewandowski, Kurowicka & Joe 2009;
 * torch's `LKJCholesky`), with density proportional to |LLᵀ|^{η−1} in the correlation matrix, i.e.
 *
 * log p(L) = Σ_{i=2}^{D} (2(η − 1) + D − i) log Lᵢᵢ − log Z(η, D).
 *
 * Sampled by the onion method (Beta-distributed radii, uniform directions). A prior for correlation structure in
 * full-covariance posteriors; push unconstrained parameters onto its support with {@link CorrCholesky}.
 */
export class LKJCholesky extends Distribution {
  /** The parameters: `concentration`, positive (`dim` is a number, not a tensor). */
  static readonly parameters = declareParameters({ concentration: { constraint: positive } });
  /** η, broadcast to the batch shape. */
  readonly concentration: tf.Tensor;
  /** D. */
  readonly dim: number;

  constructor(params: LKJCholeskyParams, options: DistributionOptions = {}) {
    const { dim, ...rest } = params ?? ({} as LKJCholeskyParams);
    if (!Number.isInteger(dim) || dim < 2 || dim > 4096) {
      throw new ArgumentError('dim', `LKJCholesky: "dim" must be an integer in [2, 4096], got ${String(dim)}`);
    }
    const p = prepareParameters(
      'LKJCholesky',
      LKJCholesky.parameters,
      rest,
      resolveValidateArgs('LKJCholesky', options),
    );
    super({ ...p, eventShape: [dim, dim] }, options);
    this.concentration = p.tensors.concentration;
    this.dim = dim;
  }
  override get support(): Constraint {
    return corrCholesky;
  }
  /** Rebuilds with the same `dim` (expand and copy). */
  protected override _withParams(params: Record<string, tf.Tensor>, options: DistributionOptions): Distribution {
    return new LKJCholesky({ dim: this.dim, concentration: params.concentration! }, { ...this.options, ...options });
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const d = this.dim;
    const diag = tf.slice(diagPart(x), [...Array(x.rank - 2).fill(0), 1], [...x.shape.slice(0, -2), d - 1]);
    const eta = tf.expandDims(this.concentration, -1);
    const order = tf.add(tf.mul(2, tf.sub(eta, 1)), tf.tensor1d(Array.from({ length: d - 1 }, (_, i) => d - 2 - i)));
    const unnormalized = tf.sum(tf.mul(order, tf.log(diag)), -1);
    const dm1 = d - 1;
    const alpha = tf.add(this.concentration, 0.5 * dm1);
    const normalizer = tf.sub(
      tf.add(0.5 * dm1 * Math.log(Math.PI), mvlgamma(tf.sub(alpha, 0.5), dm1)),
      tf.mul(lgamma(alpha), dm1),
    );
    return tf.sub(unnormalized, normalizer);
  }
  /** The onion method (torch's sampler): row i of L is √yᵢ·uᵢ plus the diagonal that makes its norm 1. */
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const d = this.dim;
    const sampleShape = shape.slice(0, shape.length - this.batchShape.length - 2);
    const offset = tf.tensor1d([0, ...Array.from({ length: d - 1 }, (_, i) => i)]);
    const marginal = tf.expandDims(tf.add(this.concentration, 0.5 * (d - 2)), -1);
    const beta = new Beta(
      {
        concentration1: tf.add(tf.add(offset, 0.5), tf.zerosLike(marginal)),
        concentration0: tf.sub(marginal, tf.mul(0.5, offset)),
      },
      { validateArgs: false },
    );
    const y = tf.expandDims(beta.sample(sampleShape, { seed: subSeed(seed, 0) }), -1);
    beta.dispose();
    const strictLower = tf.tensor2d(
      Array.from({ length: d * d }, (_, k) => (k % d < Math.floor(k / d) ? 1 : 0)),
      [d, d],
    );
    const u = tf.mul(tf.randomNormal(shape, 0, 1, 'float32', subSeed(seed, 1)), strictLower);
    const norm = tf.sqrt(tf.sum(tf.square(u), -1, true));
    const direction = tf.div(u, tf.add(norm, tf.cast(tf.equal(norm, 0), 'float32')));
    const w = tf.mul(tf.sqrt(y), direction);
    const diag = tf.sqrt(tf.maximum(tf.sub(1, tf.sum(tf.square(w), -1)), FLOAT32_TINY));
    return tf.add(w, tf.mul(tf.expandDims(diag, -1), tf.eye(d)));
  }
}
