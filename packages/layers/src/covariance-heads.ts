import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Distribution, LowRankMultivariateNormal, MultivariateNormal } from '@varia/distributions';
import { Dense } from './dense.js';
import {
  checkHeadDims,
  checkInput,
  type DistributionHead,
  HEAD_DISTRIBUTION_OPTIONS,
  type HeadOptions,
} from './heads.js';
import { collectVariables } from './module.js';

/** Options of {@link FullCovarianceNormalHead} and {@link LowRankNormalHead}. */
export interface CovarianceHeadOptions extends HeadOptions {
  /** Lower bound added to the softplus of the diagonal (scale or variance); default 1e-4. */
  minScale?: number;
}

function checkMinScale(name: string, minScale: number): void {
  if (!(minScale >= 0) || !Number.isFinite(minScale)) {
    throw new ArgumentError('minScale', `${name}: "minScale" must be finite and ≥ 0, got ${minScale}`);
  }
}

/**
 * For each entry of a D×D matrix (row-major), its index into [0, u₁, …, u_{D(D−1)/2}]: the strictly lower entries
 * take the free values u in row-major order, all others the leading 0.
 */
function strictlyLowerIndex(d: number): Int32Array {
  const idx = new Int32Array(d * d);
  let next = 1;
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) idx[i * d + j] = next++;
  return idx;
}

/**
 * Full-covariance Gaussian head: q(z | h) = N(μ(h), L(h)L(h)ᵀ) as a {@link MultivariateNormal} with `scaleTril` L,
 * from three output layers: D values for μ, D for the diagonal of L and D(D−1)/2 for its strictly lower part:
 *
 * μ = hW_μ + b_μ,  Lᵢᵢ = softplus(uᵢᵢ) + minScale,  Lᵢⱼ = uᵢⱼ (i > j, free),  Lᵢⱼ = 0 (i < j).
 *
 * Costs O(D³) per density (Cholesky-based); for large D prefer {@link LowRankNormalHead}.
 */
export class FullCovarianceNormalHead implements DistributionHead {
  readonly family = 'multivariate-normal';
  readonly inputDim: number;
  readonly units: number;
  /** Lower bound of the diagonal of L. */
  readonly minScale: number;
  /** Layer producing μ. */
  readonly locLayer: Dense;
  /** Layer producing the unconstrained diagonal of L. */
  readonly diagLayer: Dense;
  /** Layer producing the strictly lower part of L (absent for D = 1). */
  readonly lowerLayer?: Dense;
  private readonly lowerIndex: Int32Array;

  constructor(options: CovarianceHeadOptions) {
    checkHeadDims('FullCovarianceNormalHead', options);
    this.minScale = options.minScale ?? 1e-4;
    checkMinScale('FullCovarianceNormalHead', this.minScale);
    const { inputDim, units } = options;
    const seed = options.seed ?? 0;
    this.inputDim = inputDim;
    this.units = units;
    this.locLayer = new Dense({ inputDim, units, init: options.init, seed });
    this.diagLayer = new Dense({ inputDim, units, init: options.init, seed: seed + 1 });
    const lower = (units * (units - 1)) / 2;
    if (lower > 0) this.lowerLayer = new Dense({ inputDim, units: lower, init: options.init, seed: seed + 2 });
    this.lowerIndex = strictlyLowerIndex(units);
  }

  /** L(h), [batch, D, D]. */
  scaleTril(h: tf.Tensor): tf.Tensor {
    const d = this.units;
    return tf.tidy(() => {
      const diag = tf.add(tf.softplus(this.diagLayer.apply(h)), this.minScale);
      const diagMatrix = tf.mul(tf.expandDims(diag, 2), tf.eye(d));
      if (!this.lowerLayer) return diagMatrix;
      // the free values scattered below the diagonal by a 0/1 matrix [D(D−1)/2, D²] (a gather's gradient needs
      // UnsortedSegmentSum, which the wasm backend does not have)
      const free = this.lowerLayer.apply(h);
      const scatter = new Float32Array(free.shape[1]! * d * d);
      this.lowerIndex.forEach((k, cell) => {
        if (k > 0) scatter[(k - 1) * d * d + cell] = 1;
      });
      const lower = tf.reshape(tf.matMul(free, tf.tensor2d(scatter, [free.shape[1]!, d * d])), [-1, d, d]);
      return tf.add(lower, diagMatrix);
    });
  }

  apply(h: tf.Tensor): Distribution {
    checkInput('FullCovarianceNormalHead', h, this.inputDim);
    return new MultivariateNormal(
      { loc: this.locLayer.apply(h), scaleTril: this.scaleTril(h) },
      HEAD_DISTRIBUTION_OPTIONS,
    );
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return collectVariables(
      [
        ['loc', this.locLayer],
        ['diag', this.diagLayer],
        ['lower', this.lowerLayer],
      ],
      prefix,
    );
  }

  dispose(): void {
    this.locLayer.dispose();
    this.diagLayer.dispose();
    this.lowerLayer?.dispose();
  }
}

/** Options of {@link LowRankNormalHead}. */
export interface LowRankNormalHeadOptions extends CovarianceHeadOptions {
  /** Rank R of the covariance factor (≥ 1). */
  rank: number;
}

/**
 * Low-rank-plus-diagonal Gaussian head: q(z | h) = N(μ(h), W(h)W(h)ᵀ + diag d(h)) as a
 * {@link LowRankMultivariateNormal}, with μ = hW_μ + b_μ, W = reshape(hW_W + b_W, [D, R]) (free) and
 * d = softplus(hW_d + b_d) + minScale. O(DR²) per density.
 */
export class LowRankNormalHead implements DistributionHead {
  readonly family = 'low-rank-multivariate-normal';
  readonly inputDim: number;
  readonly units: number;
  /** Rank R. */
  readonly rank: number;
  /** Lower bound of the diagonal d. */
  readonly minScale: number;
  /** Layer producing μ. */
  readonly locLayer: Dense;
  /** Layer producing the factor W (flattened D·R). */
  readonly factorLayer: Dense;
  /** Layer producing the unconstrained diagonal. */
  readonly diagLayer: Dense;

  constructor(options: LowRankNormalHeadOptions) {
    checkHeadDims('LowRankNormalHead', options);
    if (!Number.isInteger(options.rank) || options.rank < 1) {
      throw new ArgumentError('rank', `LowRankNormalHead: "rank" must be a positive integer, got ${options.rank}`);
    }
    this.minScale = options.minScale ?? 1e-4;
    checkMinScale('LowRankNormalHead', this.minScale);
    const { inputDim, units, rank } = options;
    const seed = options.seed ?? 0;
    this.inputDim = inputDim;
    this.units = units;
    this.rank = rank;
    this.locLayer = new Dense({ inputDim, units, init: options.init, seed });
    this.factorLayer = new Dense({ inputDim, units: units * rank, init: options.init, seed: seed + 1 });
    this.diagLayer = new Dense({ inputDim, units, init: options.init, seed: seed + 2 });
  }

  apply(h: tf.Tensor): Distribution {
    checkInput('LowRankNormalHead', h, this.inputDim);
    const covFactor = tf.reshape(this.factorLayer.apply(h), [-1, this.units, this.rank]);
    const covDiag = tf.add(tf.softplus(this.diagLayer.apply(h)), this.minScale);
    return new LowRankMultivariateNormal(
      { loc: this.locLayer.apply(h), covFactor, covDiag },
      HEAD_DISTRIBUTION_OPTIONS,
    );
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return collectVariables(
      [
        ['loc', this.locLayer],
        ['factor', this.factorLayer],
        ['diag', this.diagLayer],
      ],
      prefix,
    );
  }

  dispose(): void {
    this.locLayer.dispose();
    this.factorLayer.dispose();
    this.diagLayer.dispose();
  }
}
