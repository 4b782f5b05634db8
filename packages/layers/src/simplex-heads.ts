import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { Dirichlet, type Distribution, LogisticNormal } from '@varia/distributions';
import { Dense } from './dense.js';
import {
  checkHeadDims,
  checkInput,
  type DistributionHead,
  HEAD_DISTRIBUTION_OPTIONS,
  type HeadOptions,
} from './heads.js';
import { collectVariables } from './module.js';

/** Options of {@link DirichletHead} and {@link LogisticNormalHead}: `units` is the number K ≥ 2 of topics. */
export interface SimplexHeadOptions extends HeadOptions {
  /** Lower bound added to the softplus (concentration or scale); default 1e-4. */
  minValue?: number;
}

function checkSimplexOptions(name: string, options: SimplexHeadOptions): number {
  checkHeadDims(name, options);
  if (options.units < 2)
    throw new ArgumentError('units', `${name}: "units" (the number of categories K) must be ≥ 2, got ${options.units}`);
  const minValue = options.minValue ?? 1e-4;
  if (!(minValue >= 0) || !Number.isFinite(minValue)) {
    throw new ArgumentError('minValue', `${name}: "minValue" must be finite and ≥ 0, got ${minValue}`);
  }
  return minValue;
}

/**
 * Dirichlet head for simplex latents (topic proportions): q(θ | h) = Dir(α(h)), α = softplus(hW + b) + minValue,
 * batch shape [batch], event shape [K]. Its `rsample` is pathwise through implicit reparameterization (Figurnov et
 * al. 2018), so it trains inside an ELBO; the KL against a Dirichlet prior is analytic.
 */
export class DirichletHead implements DistributionHead {
  readonly family = 'dirichlet';
  readonly inputDim: number;
  readonly units: number;
  /** Lower bound of α. */
  readonly minValue: number;
  /** Layer producing the unconstrained concentration. */
  readonly layer: Dense;

  constructor(options: SimplexHeadOptions) {
    this.minValue = checkSimplexOptions('DirichletHead', options);
    this.inputDim = options.inputDim;
    this.units = options.units;
    this.layer = new Dense({ inputDim: this.inputDim, units: this.units, init: options.init, seed: options.seed ?? 0 });
  }

  apply(h: tf.Tensor): Distribution {
    checkInput('DirichletHead', h, this.inputDim);
    const concentration = tf.add(tf.softplus(this.layer.apply(h)), this.minValue);
    return new Dirichlet({ concentration }, HEAD_DISTRIBUTION_OPTIONS);
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.layer.namedVariables(prefix);
  }

  dispose(): void {
    this.layer.dispose();
  }
}

/**
 * Logistic-normal head for simplex latents (ProdLDA's posterior): q(θ | h) = LogisticNormal(μ(h), σ(h)), i.e.
 * θ = StickBreaking(y), y ~ N(μ, diag σ²) over ℝᴷ⁻¹, with μ = hW_μ + b_μ and σ = softplus(hW_σ + b_σ) + minValue.
 * Batch shape [batch], event shape [K]; reparameterized.
 */
export class LogisticNormalHead implements DistributionHead {
  readonly family = 'logistic-normal';
  readonly inputDim: number;
  readonly units: number;
  /** Lower bound of σ. */
  readonly minValue: number;
  /** Layer producing μ (K − 1 wide). */
  readonly locLayer: Dense;
  /** Layer producing the unconstrained σ (K − 1 wide). */
  readonly scaleLayer: Dense;

  constructor(options: SimplexHeadOptions) {
    this.minValue = checkSimplexOptions('LogisticNormalHead', options);
    this.inputDim = options.inputDim;
    this.units = options.units;
    const seed = options.seed ?? 0;
    this.locLayer = new Dense({ inputDim: this.inputDim, units: this.units - 1, init: options.init, seed });
    this.scaleLayer = new Dense({ inputDim: this.inputDim, units: this.units - 1, init: options.init, seed: seed + 1 });
  }

  apply(h: tf.Tensor): Distribution {
    checkInput('LogisticNormalHead', h, this.inputDim);
    const scale = tf.add(tf.softplus(this.scaleLayer.apply(h)), this.minValue);
    return new LogisticNormal({ loc: this.locLayer.apply(h), scale }, HEAD_DISTRIBUTION_OPTIONS);
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return collectVariables(
      [
        ['loc', this.locLayer],
        ['scale', this.scaleLayer],
      ],
      prefix,
    );
  }

  dispose(): void {
    this.locLayer.dispose();
    this.scaleLayer.dispose();
  }
}
