import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Constraint, lessThan, nonNegativeInteger, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { poissonCdf } from './count-cdf.js';
import { hostLogFactorial } from './log-factorial.js';
import { poissonLogPmf } from './saddle-point.js';
import { poissonTensor } from './sampling.js';
import { gradFreeMask, lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Poisson}: exactly one of `rate` (λ > 0) or `logRate` (log λ, any real). */
export type PoissonParams =
  | {
      /** Rate λ > 0. */
      rate: TensorLike;
      /** Only in the other parameterization. */
      logRate?: never;
    }
  | {
      /** Log-rate log λ. */
      logRate: TensorLike;
      /** Only in the other parameterization. */
      rate?: never;
    };

/** Options of {@link Poisson}. */
export interface PoissonOptions extends DistributionOptions {
  /**
   * How `logProb` is evaluated: `'saddle-point'` (default; Loader's form, float32-accurate for counts up to 1e6) or
   * `'direct'`, the textbook x·log λ − λ − log Γ(x + 1) (log x! of integer counts looked up on the host, on the CPU and
   * wasm backends: a constant of the data, so no gradient flows to x through it): about a third of the tensor operations and the same gradient
   * in λ, but its value loses ~1e-4 absolute per element at counts ~250 and ~1e-2 at 1e4 (float32 cancellation).
   * The heads in `@varia/layers` use `'direct'` in the training loop, where speed matters and the loss is a sum.
   */
  logProbMethod?: 'saddle-point' | 'direct';
}

/** Below this rate the entropy is summed exactly; above it the asymptotic series is used. */
const ENTROPY_SERIES_RATE = 50;

/**
 * The Poisson distribution on {0, 1, 2, …} with rate λ:
 *
 * p(x) = λˣ e^{−λ} / x!,  log p(x) = x·log λ − λ − log Γ(x + 1).
 *
 * `logProb` evaluates this by Loader's saddle-point form, log p(x) = −stirlerr(x) − ½ log(2πx) − bd0(x, λ)
 * (log p(0) = −λ), which keeps float32 accuracy for counts up to 1e6 and rates 1e-3…1e4 where the textbook form
 * cancels. Both λ and log λ are kept, so either parameterization is used without a lossy round trip.
 *
 * Support: non-negative integers. With `validateArgs` (default) other values make `logProb` throw an
 * ArgumentError; without, they get −∞. `sample` uses an exact sampler (Knuth below λ = 10, Hörmann's PTRS above),
 * drawn on the CPU: tfjs has none. No `rsample` (discrete).
 */
export class Poisson extends Distribution {
  /**
   * The parameters: `rate` (positive, finite) or `logRate` (below 88.7228, the log of the largest float32, so that
   * the rate is finite), exactly one.
   */
  static readonly parameters = declareParameters(
    { rate: { constraint: positive }, logRate: { constraint: lessThan(88.7228) } },
    [['rate'], ['logRate']],
  );
  /** log λ, broadcast to the batch shape. */
  readonly logRate: tf.Tensor;
  /** λ, broadcast to the batch shape. */
  readonly rate: tf.Tensor;
  /** How `logProb` is evaluated (see {@link PoissonOptions.logProbMethod}). */
  readonly logProbMethod: 'saddle-point' | 'direct';

  constructor(params: PoissonParams, options: PoissonOptions = {}) {
    const validate = resolveValidateArgs('Poisson', options);
    const method = options.logProbMethod ?? 'saddle-point';
    if (method !== 'saddle-point' && method !== 'direct') {
      throw new ArgumentError(
        'logProbMethod',
        `Poisson: "logProbMethod" must be saddle-point or direct, got ${JSON.stringify(method)}`,
      );
    }
    const p = prepareParameters('Poisson', Poisson.parameters, params, validate);
    const { rate, logRate } = p.tensors;
    const derived = rate === undefined ? tf.exp(logRate) : tf.log(rate);
    p.owned.push(derived);
    super(p, options);
    this.rate = rate ?? derived;
    this.logRate = logRate ?? derived;
    this.logProbMethod = method;
  }
  override get support(): Constraint {
    return nonNegativeInteger;
  }
  /**
   * log p(x) = −stirlerr(x) − ½ log(2πx) − bd0(x, λ), log p(0) = −λ (Loader 2000); or, with `logProbMethod:
   * 'direct'`, x·log λ − λ − log Γ(x + 1).
   */
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    if (this.logProbMethod === 'direct') {
      // counts (every value a non-negative integer, so relu(x) = x): log x! from a host table, off the tape
      const logFactorial = hostLogFactorial(x);
      if (logFactorial) return tf.sub(tf.sub(tf.mul(x, this.logRate), this.rate), logFactorial);
      const xs = tf.relu(x);
      return tf.sub(tf.sub(tf.mul(xs, this.logRate), this.rate), lgamma(tf.add(xs, 1)));
    }
    const xs = tf.relu(x);
    return poissonLogPmf(xs, this.rate, this.logRate);
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    return poissonTensor(this.rate, shape, seed);
  }
  /** P(X ≤ x) = Q(⌊x⌋ + 1, λ), the regularized upper incomplete gamma function (0 for x < 0); differentiable in λ. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return poissonCdf(this.rate, x);
  }
  /** E[X] = λ. */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.rate);
  }
  /** Mode ⌊λ⌋. */
  protected override _mode(): tf.Tensor {
    return tf.floor(this.rate);
  }
  /** Var[X] = λ. */
  protected override _variance(): tf.Tensor {
    return tf.clone(this.rate);
  }
  /**
   * H = −Σₖ p(k) log p(k): summed exactly over k ≤ λ + 12√λ + 20 for λ < 50; above, the asymptotic series
   * ½ log(2πeλ) − 1/(12λ) − 1/(24λ²) − 19/(360λ³) (error below 1e-7 there). Each branch sees a sanitized rate
   * (safe where), so the gradient is finite at tiny rates (20.72 at λ = 1e-9, where 1/λ³ would overflow).
   */
  protected override _entropy(): tf.Tensor {
    return poissonEntropy(this.rate);
  }
}

/**
 * The Poisson entropy H(λ) (see {@link Poisson} `entropy`): exact sum for λ < 50, asymptotic series above; finite
 * gradients at tiny rates. Shared with ZeroInflatedPoisson.
 */
export function poissonEntropy(rate: tf.Tensor): tf.Tensor {
  const largeRate = tf.maximum(rate, ENTROPY_SERIES_RATE);
  const inv = tf.div(1, largeRate); // Horner in 1/λ: λ² and λ³ overflow float32 (NaN gradients) past λ ≈ 1e13
  const asymptotic = tf.sub(
    tf.mul(0.5, tf.log(tf.mul(largeRate, 2 * Math.PI * Math.E))),
    tf.mul(inv, tf.add(1 / 12, tf.mul(inv, tf.add(1 / 24, tf.mul(inv, 19 / 360))))),
  );
  const kMax = Math.ceil(ENTROPY_SERIES_RATE + 12 * Math.sqrt(ENTROPY_SERIES_RATE) + 20);
  const k = tf.reshape(tf.range(0, kMax + 1, 1, 'float32'), [kMax + 1, ...rate.shape.map(() => 1)]);
  const smallRate = tf.minimum(rate, ENTROPY_SERIES_RATE);
  const logRate = tf.log(smallRate);
  const lp = poissonLogPmf(k, smallRate, logRate); // saddle-point form: lgamma(1) ≠ 0 in float32 cost 1e-4 at λ = 1e-3
  const exact = tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), 0));
  return tf.where(
    gradFreeMask([rate], (v) => tf.less(v, ENTROPY_SERIES_RATE)),
    exact,
    asymptotic,
  );
}
