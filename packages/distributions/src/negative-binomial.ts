import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Constraint, nonNegativeInteger, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { negativeBinomialLogPmf } from './saddle-point.js';
import { logGammaTensor, poissonTensor, subSeed } from './sampling.js';
import type { TensorLike } from './tensor-like.js';

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
 * Poisson(μ·G/r), G ~ Gamma(r), on the CPU. No `rsample`; no closed-form entropy or cdf.
 */
export class NegativeBinomial extends Distribution {
  /** Constraints on the constructor parameters, by name: validation reads them (torch's `arg_constraints`). */
  static readonly argConstraints = {
    /** `totalCount`: positive. */
    totalCount: positive,
    /** `logits`: real. */
    logits: real,
    /** `mean`: positive. */
    mean: positive,
    /** `dispersion`: positive. */
    dispersion: positive,
  } as const;
  /** r (θ in scVI's terms), broadcast to the batch shape. */
  readonly totalCount: tf.Tensor;
  /** ℓ = log μ − log r, broadcast to the batch shape. */
  readonly logits: tf.Tensor;
  private readonly meanTensor: tf.Tensor;
  private readonly fromMean: boolean;

  constructor(params: NegativeBinomialParams, options: DistributionOptions = {}) {
    const validate = options.validateArgs ?? true;
    const torchForm = params.totalCount !== undefined || params.logits !== undefined;
    const scviForm = params.mean !== undefined || params.dispersion !== undefined;
    if (torchForm === scviForm) {
      throw new ArgumentError('totalCount', 'NegativeBinomial: pass either { totalCount, logits } or { mean, dispersion }');
    }
    if (torchForm) {
      const p = Distribution.prepareParams(
        'NegativeBinomial',
        { totalCount: params.totalCount!, logits: params.logits! },
        NegativeBinomial.argConstraints,
        validate,
      );
      const mean = tf.tidy(() => tf.exp(tf.add(tf.log(p.tensors.totalCount), p.tensors.logits)));
      super(p.shape, [], options, [...p.owned, mean]);
      this.totalCount = p.tensors.totalCount;
      this.logits = p.tensors.logits;
      this.meanTensor = mean;
      this.fromMean = false;
    } else {
      const p = Distribution.prepareParams(
        'NegativeBinomial',
        { mean: params.mean!, dispersion: params.dispersion! },
        NegativeBinomial.argConstraints,
        validate,
      );
      const logits = tf.tidy(() => tf.sub(tf.log(p.tensors.mean), tf.log(p.tensors.dispersion)));
      super(p.shape, [], options, [...p.owned, logits]);
      this.totalCount = p.tensors.dispersion;
      this.logits = logits;
      this.meanTensor = p.tensors.mean;
      this.fromMean = true;
    }
  }

  /**
   * scVI's parameterization: mean μ > 0 and inverse dispersion θ > 0 (variance μ + μ²/θ). μ is kept as given, so
   * `logProb` is computed from log μ and log θ without a lossy round trip through the logits.
   */
  static fromMeanDispersion(params: { /** Mean μ > 0. */ mean: TensorLike; /** Inverse dispersion θ > 0 (variance μ + μ²/θ). */ dispersion: TensorLike }, options: DistributionOptions = {}): NegativeBinomial {
    return new NegativeBinomial({ mean: params.mean, dispersion: params.dispersion }, options);
  }

  override get argConstraints(): Readonly<Record<string, Constraint>> {
    return NegativeBinomial.argConstraints;
  }
  override get support(): Constraint {
    return nonNegativeInteger;
  }
  protected override _params(): Record<string, tf.Tensor> {
    return this.fromMean ? { mean: this.meanTensor, dispersion: this.totalCount } : { totalCount: this.totalCount, logits: this.logits };
  }
  protected override _withParams(params: Record<string, tf.Tensor>, options: DistributionOptions): Distribution {
    return new NegativeBinomial(params as unknown as NegativeBinomialParams, options);
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
}
