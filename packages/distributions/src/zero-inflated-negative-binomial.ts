import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, nonNegativeInteger, positive, real, unitInterval } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { negativeBinomialCdf, zeroInflatedCdf } from './count-cdf.js';
import { zeroInflatedEntropy } from './count-entropy.js';
import { negativeBinomialEntropy } from './negative-binomial-entropy.js';
import { negativeBinomialLogPmf } from './saddle-point.js';
import { logGammaTensor, poissonTensor, subSeed } from './sampling.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';
import { type Gate, gateProbs, notGate, zeroInflatedLogProb } from './zero-inflation.js';

/**
 * Parameters of {@link ZeroInflatedNegativeBinomial} (scVI's ZINB): mean μ > 0, inverse dispersion θ > 0 and exactly
 * one of `gate` (π ∈ [0, 1]) or `gateLogits`.
 */
export type ZeroInflatedNegativeBinomialParams =
  | {
      /** Mean μ > 0. */
      mean: TensorLike;
      /** Inverse dispersion θ > 0 (variance μ + μ²/θ). */
      dispersion: TensorLike;
      /** Zero-inflation probability π ∈ [0, 1]. */
      gate: TensorLike;
      /** Only in the other parameterization. */
      gateLogits?: never;
    }
  | {
      /** Mean μ > 0. */
      mean: TensorLike;
      /** Inverse dispersion θ > 0 (variance μ + μ²/θ). */
      dispersion: TensorLike;
      /** Log-odds g of the zero-inflation gate (π = σ(g)). */
      gateLogits: TensorLike;
      /** Only in the other parameterization. */
      gate?: never;
    };

/**
 * scVI's zero-inflated negative binomial: with probability π a structural zero, otherwise NB(μ, θ)
 * (variance μ + μ²/θ):
 *
 * log p(0) = logaddexp(log π, log(1 − π) + θ(log θ − log(θ + μ))),
 * log p(x) = log(1 − π) + θ(log θ − log(θ + μ)) + x(log μ − log(θ + μ)) + log Γ(x + θ) − log Γ(θ) − log Γ(x + 1),
 *
 * with log π = −softplus(−g), log(1 − π) = −softplus(g), θ(log θ − log(θ + μ)) = −θ·softplus(log μ − log θ), and
 * the NB term by Loader's saddle-point form (as {@link NegativeBinomial}). Support: non-negative integers
 * (validated, or −∞ with `validateArgs: false`). Mean (1 − π)μ, variance (1 − π)(μ + μ²/θ + πμ²). No `rsample`.
 */
export class ZeroInflatedNegativeBinomial extends Distribution {
  /** The parameters: `mean`, `dispersion` (positive) and one of `gate` (in [0, 1]) or `gateLogits` (real). */
  static readonly parameters = declareParameters(
    {
      mean: { constraint: positive },
      dispersion: { constraint: positive },
      gate: { constraint: unitInterval },
      gateLogits: { constraint: real },
    },
    [
      ['mean', 'dispersion', 'gate'],
      ['mean', 'dispersion', 'gateLogits'],
    ],
  );
  /** μ, broadcast to the batch shape. */
  readonly meanParam: tf.Tensor;
  /** θ, broadcast to the batch shape. */
  readonly dispersion: tf.Tensor;
  /** Gate log-odds g, broadcast to the batch shape. */
  readonly gateLogits: tf.Tensor;
  private readonly logits: tf.Tensor;
  /** The gate as given (probability or logits), for gradients that stay finite at π = 0 and 1. */
  private readonly gateSpec: Gate;

  constructor(params: ZeroInflatedNegativeBinomialParams, options: DistributionOptions = {}) {
    const name = 'ZeroInflatedNegativeBinomial';
    const p = prepareParameters(
      name,
      ZeroInflatedNegativeBinomial.parameters,
      params,
      resolveValidateArgs(name, options),
    );
    const { mean, dispersion, gate } = p.tensors;
    const gateLogits = p.tensors.gateLogits ?? tf.tidy(() => tf.sub(tf.log(gate), tf.log1p(tf.neg(gate))));
    const logits = tf.tidy(() => tf.sub(tf.log(mean), tf.log(dispersion)));
    p.owned.push(...(gateLogits === p.tensors.gateLogits ? [] : [gateLogits]), logits);
    super(p, options);
    this.meanParam = mean;
    this.dispersion = dispersion;
    this.gateLogits = gateLogits;
    this.logits = logits;
    this.gateSpec = { probs: p.tensors.gateLogits === undefined ? gate : undefined, logits: gateLogits };
  }
  override get support(): Constraint {
    return nonNegativeInteger;
  }
  /** The gate π = σ(g) (a new tensor). */
  gateParameter(): tf.Tensor {
    return this.run(() => tf.sigmoid(this.gateLogits));
  }
  /** See `zeroInflatedLogProb`; the NB log p(0) = −θ·softplus(log μ − log θ). */
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const nbZero = tf.neg(tf.mul(this.dispersion, tf.softplus(this.logits)));
    return zeroInflatedLogProb(
      x,
      this.gateSpec,
      negativeBinomialLogPmf(tf.relu(x), this.dispersion, this.logits, this.meanParam),
      nbZero,
    );
  }
  /** P(X ≤ x) = π + (1 − π)·I_{θ/(θ+μ)}(θ, ⌊x⌋ + 1) for x ≥ 0. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return zeroInflatedCdf(this.gateSpec, negativeBinomialCdf(this.dispersion, this.logits, x), x);
  }
  /**
   * H in closed form from the NB entropy (see `zeroInflatedEntropy`), which is −Σ_k f(k) log f(k): a truncated sum,
   * or for large means its integral (see `negativeBinomialEntropy`); reads μ and θ on the host to place the terms,
   * differentiable in μ, θ and the gate.
   */
  protected override _entropy(): tf.Tensor {
    const nbLogPmf = (k: tf.Tensor): tf.Tensor =>
      negativeBinomialLogPmf(k, this.dispersion, this.logits, this.meanParam);
    const nbZero = tf.neg(tf.mul(this.dispersion, tf.softplus(this.logits)));
    const zero = tf.zeros([...this.batchShape]);
    return zeroInflatedEntropy(
      this.gateSpec,
      this._logProb(zero),
      nbZero,
      negativeBinomialEntropy(nbLogPmf, this.batchShape, this.dispersion.dataSync(), this.logits.dataSync()),
    );
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const logG = logGammaTensor(this.dispersion, shape, subSeed(seed, 0));
    const counts = poissonTensor(tf.exp(tf.add(logG, this.logits)), shape, subSeed(seed, 1));
    const u = tf.randomUniform(shape, 0, 1, 'float32', subSeed(seed, 2));
    return tf.where(tf.less(u, tf.sigmoid(this.gateLogits)), tf.zeros(shape), counts);
  }
  /** E[X] = (1 − π)μ. */
  protected override _mean(): tf.Tensor {
    return tf.mul(notGate(this.gateSpec), this.meanParam);
  }
  /** Var[X] = (1 − π)(μ + μ²/θ + πμ²). */
  protected override _variance(): tf.Tensor {
    const mu = this.meanParam;
    const mu2 = tf.square(mu);
    const inner = tf.add(tf.add(mu, tf.div(mu2, this.dispersion)), tf.mul(gateProbs(this.gateSpec), mu2));
    return tf.mul(notGate(this.gateSpec), inner);
  }
}
