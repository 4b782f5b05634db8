import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, nonNegativeInteger, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { negativeBinomialCdf } from './count-cdf.js';
import { negativeBinomialEntropyCutoff, truncatedCountEntropy } from './count-entropy.js';
import { negativeBinomialLogPmf } from './saddle-point.js';
import { logGammaTensor, poissonTensor, subSeed } from './sampling.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/**
 * Parameters of {@link NegativeBinomial}: torch's `{ totalCount, logits }` (mean r·e^ℓ), or scVI's
 * `{ mean, dispersion }` (μ and the inverse dispersion θ, variance μ + μ²/θ).
 */
export type NegativeBinomialParams =
  | {
      /** Number of failures r > 0. */
      totalCount: TensorLike;
      /** Log-odds ℓ (p = σ(ℓ)). */
      logits: TensorLike;
      /** Only in the other parameterization. */
      mean?: never;
      /** Only in the other parameterization. */
      dispersion?: never;
    }
  | {
      /** Mean μ > 0. */
      mean: TensorLike;
      /** Inverse dispersion θ > 0 (variance μ + μ²/θ). */
      dispersion: TensorLike;
      /** Only in the other parameterization. */
      totalCount?: never;
      /** Only in the other parameterization. */
      logits?: never;
    };

/**
 * The negative binomial distribution on {0, 1, 2, …}, in torch's convention: the number of successes before r
 * failures, success log-odds ℓ (p = σ(ℓ)), mean μ = r·e^ℓ, variance μ + μ²/r:
 *
 * log p(x) = log Γ(x + r) − log Γ(r) − log Γ(x + 1) + x·ℓ − (x + r)·softplus(ℓ).
 *
 * In scVI's parameterization (`NegativeBinomial.fromMeanDispersion`), r = θ (the inverse dispersion) and
 * ℓ = log μ − log θ, so log p(x) = θ(log θ − log(θ + μ)) + x(log μ − log(θ + μ)) + log Γ(x + θ) − log Γ(θ) − log Γ(x + 1).
 *
 * `logProb` uses Loader's saddle-point form (R's dnbinom; see {@link negativeBinomialLogPmf}), accurate in float32 for
 * counts up to 1e6 where the log-gamma differences cancel, and without overflow for logits ±100. Support:
 * non-negative integers (validated, or −∞ with `validateArgs: false`). `sample` draws the Poisson–Gamma mixture
 * Poisson(μ·G/r), G ~ Gamma(r), on the CPU. No `rsample`. `cdf` through the incomplete beta function, `entropy` by a
 * truncated sum (neither has a closed form).
 */
export class NegativeBinomial extends Distribution {
  /** The parameters: `{ totalCount (positive), logits (real) }` or `{ mean, dispersion }` (both positive). */
  static readonly parameters = declareParameters(
    {
      totalCount: { constraint: positive },
      logits: { constraint: real },
      mean: { constraint: positive },
      dispersion: { constraint: positive },
    },
    [
      ['totalCount', 'logits'],
      ['mean', 'dispersion'],
    ],
  );
  /** r (θ in scVI's terms), broadcast to the batch shape. */
  readonly totalCount: tf.Tensor;
  /** ℓ = log μ − log r, broadcast to the batch shape. */
  readonly logits: tf.Tensor;
  private readonly meanTensor: tf.Tensor;

  constructor(params: NegativeBinomialParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'NegativeBinomial',
      NegativeBinomial.parameters,
      params,
      resolveValidateArgs('NegativeBinomial', options),
    );
    const { totalCount, logits, mean, dispersion } = p.tensors;
    const derived =
      mean === undefined
        ? tf.tidy(() => tf.exp(tf.add(tf.log(totalCount), logits)))
        : tf.tidy(() => tf.sub(tf.log(mean), tf.log(dispersion)));
    p.owned.push(derived);
    super(p, options);
    this.totalCount = totalCount ?? dispersion;
    this.logits = logits ?? derived;
    this.meanTensor = mean ?? derived;
  }

  /**
   * scVI's parameterization: mean μ > 0 and inverse dispersion θ > 0 (variance μ + μ²/θ). μ is kept as given, so
   * `logProb` is computed from log μ and log θ without a lossy round trip through the logits.
   */
  static fromMeanDispersion(
    params: {
      /** Mean μ > 0. */ mean: TensorLike /** Inverse dispersion θ > 0 (variance μ + μ²/θ). */;
      dispersion: TensorLike;
    },
    options: DistributionOptions = {},
  ): NegativeBinomial {
    return new NegativeBinomial({ mean: params.mean, dispersion: params.dispersion }, options);
  }

  override get support(): Constraint {
    return nonNegativeInteger;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return negativeBinomialLogPmf(tf.relu(x), this.totalCount, this.logits, this.meanTensor);
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const logG = logGammaTensor(this.totalCount, shape, subSeed(seed, 0));
    const rate = tf.exp(tf.add(logG, this.logits));
    return poissonTensor(rate, shape, subSeed(seed, 1));
  }
  /** E[X] = μ = r·e^ℓ. */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.meanTensor);
  }
  /** Mode ⌊(r − 1)·e^ℓ⌋ for r > 1, else 0. */
  protected override _mode(): tf.Tensor {
    return tf.floor(tf.relu(tf.mul(tf.sub(this.totalCount, 1), tf.exp(this.logits))));
  }
  /** Var[X] = μ + μ²/r. */
  protected override _variance(): tf.Tensor {
    return tf.add(this.meanTensor, tf.div(tf.square(this.meanTensor), this.totalCount));
  }
  /**
   * H = −Σ_{k=0}^{K} p(k) log p(k), truncated at the (1 − 1e-12) quantile K (dropped tail below 1e-9 nats; see
   * `truncatedCountEntropy`). Reads the parameters on the host to choose K; differentiable in r and ℓ. Throws an
   * ArgumentError when K·(batch size) exceeds MAX_ENTROPY_GRID (2^20 terms; a mean of order 1e5 or more) instead of
   * summing for minutes.
   */
  protected override _entropy(): tf.Tensor {
    const cutoff = negativeBinomialEntropyCutoff(this.totalCount.dataSync(), this.logits.dataSync());
    return truncatedCountEntropy((k) => this._logProb(k), this.batchShape, cutoff);
  }
  /** P(X ≤ x) = I_{1−p}(r, ⌊x⌋ + 1), p = σ(ℓ), the regularized incomplete beta function; differentiable in r and ℓ. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return negativeBinomialCdf(this.totalCount, this.logits, x);
  }
}
