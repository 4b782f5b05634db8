import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, nonNegativeInteger, positive, real, unitInterval } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { poissonCdf, zeroInflatedCdf } from './count-cdf.js';
import { zeroInflatedEntropy } from './count-entropy.js';
import { poissonEntropy } from './poisson.js';
import { poissonLogPmf } from './saddle-point.js';
import { poissonTensor, subSeed } from './sampling.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';
import { type Gate, gateProbs, notGate, zeroInflatedLogProb } from './zero-inflation.js';

/** Parameters of {@link ZeroInflatedPoisson}: the rate λ > 0 and exactly one of `gate` (π ∈ [0, 1]) or `gateLogits`. */
export type ZeroInflatedPoissonParams =
  | {
      /** Rate λ > 0. */
      rate: TensorLike;
      /** Zero-inflation probability π ∈ [0, 1]. */
      gate: TensorLike;
      /** Only in the other parameterization. */
      gateLogits?: never;
    }
  | {
      /** Rate λ > 0. */
      rate: TensorLike;
      /** Log-odds g of the zero-inflation gate (π = σ(g)). */
      gateLogits: TensorLike;
      /** Only in the other parameterization. */
      gate?: never;
    };

/**
 * Log-probabilities of the gate (a structural zero, with log-odds g) and of the count component:
 * log π = −softplus(−g), log(1 − π) = −softplus(g).
 */
export function logGates(gateLogits: tf.Tensor): { logGate: tf.Tensor; logNotGate: tf.Tensor } {
  return { logGate: tf.neg(tf.softplus(tf.neg(gateLogits))), logNotGate: tf.neg(tf.softplus(gateLogits)) };
}

/** log(eᵃ + eᵇ), stable. */
export function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const m = tf.maximum(a, b);
  const safeM = tf.where(tf.isInf(m), tf.zerosLike(m), m);
  return tf.add(safeM, tf.log(tf.add(tf.exp(tf.sub(a, safeM)), tf.exp(tf.sub(b, safeM)))));
}

/**
 * The zero-inflated Poisson: with probability π (the gate) a structural zero, otherwise Poisson(λ):
 *
 * log p(0) = log(π + (1 − π)e^{−λ}) = logaddexp(log π, log(1 − π) − λ),
 * log p(x) = log(1 − π) + x·log λ − λ − log Γ(x + 1)   for x ≥ 1,
 *
 * with log π = −softplus(−g), log(1 − π) = −softplus(g) from the gate logits g, and the Poisson term by Loader's
 * form (as {@link Poisson}). Support: non-negative integers (validated, or −∞ with `validateArgs: false`).
 * Mean (1 − π)λ, variance (1 − π)λ(1 + πλ). No `rsample`.
 */
export class ZeroInflatedPoisson extends Distribution {
  /** The parameters: `rate` (positive) and one of `gate` (in [0, 1]) or `gateLogits` (real). */
  static readonly parameters = declareParameters(
    { rate: { constraint: positive }, gate: { constraint: unitInterval }, gateLogits: { constraint: real } },
    [
      ['rate', 'gate'],
      ['rate', 'gateLogits'],
    ],
  );
  /** λ, broadcast to the batch shape. */
  readonly rate: tf.Tensor;
  /** Gate log-odds g, broadcast to the batch shape (±∞ for gates 1 and 0). */
  readonly gateLogits: tf.Tensor;
  private readonly logRate: tf.Tensor;
  /** The gate as given (probability or logits), for gradients that stay finite at π = 0 and 1. */
  private readonly gateSpec: Gate;

  constructor(params: ZeroInflatedPoissonParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'ZeroInflatedPoisson',
      ZeroInflatedPoisson.parameters,
      params,
      resolveValidateArgs('ZeroInflatedPoisson', options),
    );
    const { rate, gate } = p.tensors;
    const gateLogits = p.tensors.gateLogits ?? tf.tidy(() => tf.sub(tf.log(gate), tf.log1p(tf.neg(gate))));
    const logRate = tf.log(rate);
    p.owned.push(...(gateLogits === p.tensors.gateLogits ? [] : [gateLogits]), logRate);
    super(p, options);
    this.rate = rate;
    this.gateLogits = gateLogits;
    this.logRate = logRate;
    this.gateSpec = { probs: p.tensors.gateLogits === undefined ? gate : undefined, logits: gateLogits };
  }
  override get support(): Constraint {
    return nonNegativeInteger;
  }
  /** The gate π = σ(g) (a new tensor). */
  gateParameter(): tf.Tensor {
    return this.run(() => tf.sigmoid(this.gateLogits));
  }
  /** See `zeroInflatedLogProb`: log p(0) = log(π + (1 − π)e^{−λ}), log p(x) = log(1 − π) + log Poisson(x; λ). */
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return zeroInflatedLogProb(x, this.gateSpec, poissonLogPmf(tf.relu(x), this.rate, this.logRate), tf.neg(this.rate));
  }
  /** P(X ≤ x) = π + (1 − π)·Q(⌊x⌋ + 1, λ) for x ≥ 0. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return zeroInflatedCdf(this.gateSpec, poissonCdf(this.rate, x), x);
  }
  /**
   * H in closed form from the Poisson entropy (see `zeroInflatedEntropy`; Poisson p(0) = e^{−λ}): no sum over
   * the support, so any rate (1e30 included) is O(1) work; differentiable in λ and the gate.
   */
  protected override _entropy(): tf.Tensor {
    const zero = tf.zeros([...this.batchShape]);
    return zeroInflatedEntropy(this.gateSpec, this._logProb(zero), tf.neg(this.rate), poissonEntropy(this.rate));
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const counts = poissonTensor(this.rate, shape, subSeed(seed, 0));
    const u = tf.randomUniform(shape, 0, 1, 'float32', subSeed(seed, 1));
    return tf.where(tf.less(u, tf.sigmoid(this.gateLogits)), tf.zeros(shape), counts);
  }
  /** E[X] = (1 − π)λ. */
  protected override _mean(): tf.Tensor {
    return tf.mul(notGate(this.gateSpec), this.rate);
  }
  /** Var[X] = (1 − π)λ(1 + πλ). */
  protected override _variance(): tf.Tensor {
    const pi = gateProbs(this.gateSpec);
    return tf.mul(tf.mul(notGate(this.gateSpec), this.rate), tf.add(1, tf.mul(pi, this.rate)));
  }
}
