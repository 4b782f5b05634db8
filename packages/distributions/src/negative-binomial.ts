import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, nonNegativeInteger, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { negativeBinomialCdf } from './count-cdf.js';
import { negativeBinomialEntropy } from './negative-binomial-entropy.js';
import { negativeBinomialLogPmf } from './saddle-point.js';
import { gradFreeMask, unaryCustomGrad } from './special.js';
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

/** The largest exponent used as such: e^88.7 ≈ 3.3e38, just below the float32 maximum 3.4e38 (e^88.72). */
const EXP_ARG_MAX = 88.7;

/**
 * e^x, +∞ where it overflows float32, with the gradient e^min(x, 88.7): finite, so that a zero upstream gradient (a
 * branch not taken) stays zero instead of 0·∞ = NaN.
 */
const expFiniteGradient = unaryCustomGrad((x, save) => {
  save([x]);
  return {
    value: tf.exp(x),
    gradFunc: (dy, [saved]) => [tf.mul(dy, tf.exp(tf.minimum(saved!, EXP_ARG_MAX)))],
  };
});

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
 *
 * Any real logits are accepted, as in torch and TFP. Where the mean r·e^ℓ exceeds the float32 maximum (≈ 3.4e38,
 * log r + ℓ > 88.72, e.g. `{ totalCount: 1, logits: 100 }`), `mean()` and `variance()` are +∞ — the float32 value of
 * the true moments — and draws are +∞ too (nearly all the mass lies beyond the largest float32: P(X ≤ 3.4e38) ≈ 1e-5
 * at logits 100), while `logProb` and `cdf` of every representable count stay finite and exact.
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
    // μ = r·e^ℓ (exact for the stored float32 parameters; torch's form), or e^(log r + ℓ) where e^ℓ alone overflows
    const derived =
      mean === undefined
        ? tf.tidy(() => {
            const small = gradFreeMask([logits], (v) => tf.lessEqual(v, EXP_ARG_MAX));
            const direct = tf.mul(totalCount, tf.exp(tf.minimum(logits, EXP_ARG_MAX)));
            // the unused branch gets exponent 0, and an overflowed mean a finite gradient, so no gradient is ∞·0 = NaN
            const viaLog = expFiniteGradient(tf.where(small, tf.zerosLike(logits), tf.add(tf.log(totalCount), logits)));
            return tf.where(small, direct, viaLog);
          })
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
  /**
   * Mode ⌊(r − 1)·e^ℓ⌋ = ⌊μ·(r − 1)/r⌋ for r > 1, else 0 (the second form never forms e^ℓ, which overflows float32
   * before μ does when r < 1), exactly 0 for r ≤ 1 (also where μ is +∞: torch gives NaN).
   */
  protected override _mode(): tf.Tensor {
    const above1 = tf.greater(this.totalCount, 1);
    const m = tf.floor(tf.mul(this.meanTensor, tf.div(tf.sub(this.totalCount, 1), this.totalCount)));
    return tf.where(above1, m, tf.zerosLike(m));
  }
  /**
   * Var[X] = μ + μ²/r, formed as μ + μ·(μ/r): finite and accurate whenever the variance is below the float32 maximum
   * (μ² alone overflows from μ ≈ 1.8e19, e.g. at μ = 1e20, r = 1e10 where Var = 1e30), +∞ exactly when it is above.
   */
  protected override _variance(): tf.Tensor {
    return tf.add(this.meanTensor, tf.mul(this.meanTensor, tf.div(this.meanTensor, this.totalCount)));
  }
  /**
   * H = −Σ_k p(k) log p(k): the sum truncated at the (1 − 1e-12) quantile K (dropped tail below 1e-9 nats; see
   * `truncatedCountEntropy`) up to 2^14 terms, beyond that (means of order 1e4 and up, to ~1e36) the sum as an
   * integral of the smooth log-mass by Gauss–Legendre panels (see `negativeBinomialEntropy`; within 1e-6 of the
   * float64 sum). Reads the parameters on the host to place the terms; differentiable in r and ℓ. Throws an
   * ArgumentError when the terms exceed MAX_ENTROPY_GRID (2^20) over the batch.
   */
  protected override _entropy(): tf.Tensor {
    return negativeBinomialEntropy(
      (k) => this._logProb(k),
      this.batchShape,
      this.totalCount.dataSync(),
      this.logits.dataSync(),
    );
  }
  /** P(X ≤ x) = I_{1−p}(r, ⌊x⌋ + 1), p = σ(ℓ), the regularized incomplete beta function; differentiable in r and ℓ. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return negativeBinomialCdf(this.totalCount, this.logits, x);
  }
}
