import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Constraint, nonNegativeInteger, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { poissonLogPmf } from './saddle-point.js';
import { poissonTensor } from './sampling.js';
import { gradFreeMask, lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';

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
   * `'direct'`, the textbook x·log λ − λ − log Γ(x + 1): about a third of the tensor operations and the same gradient
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
  /** Constraints on the constructor parameters, by name: validation reads them (torch's `arg_constraints`). */
  static readonly argConstraints = {
    /** `rate`: positive. */
    rate: positive,
    /** `logRate`: real. */
    logRate: real,
  } as const;
  /** log λ, broadcast to the batch shape. */
  readonly logRate: tf.Tensor;
  private readonly rateTensor: tf.Tensor;
  private readonly fromRate: boolean;
  /** How `logProb` is evaluated (see {@link PoissonOptions.logProbMethod}). */
  readonly logProbMethod: 'saddle-point' | 'direct';

  constructor(params: PoissonParams, options: PoissonOptions = {}) {
    const validate = options.validateArgs ?? true;
    const method = options.logProbMethod ?? 'saddle-point';
    if (method !== 'saddle-point' && method !== 'direct') {
      throw new ArgumentError('logProbMethod', `Poisson: "logProbMethod" must be saddle-point or direct, got ${JSON.stringify(method)}`);
    }
    if ((params.rate === undefined) === (params.logRate === undefined)) {
      throw new ArgumentError('rate', 'Poisson: pass exactly one of "rate" or "logRate"');
    }
    if (params.logRate !== undefined) {
      const p = Distribution.prepareParams('Poisson', { logRate: params.logRate }, Poisson.argConstraints, validate);
      const rate = tf.exp(p.tensors.logRate);
      super(p.shape, [], options, [...p.owned, rate]);
      this.logRate = p.tensors.logRate;
      this.rateTensor = rate;
      this.fromRate = false;
      this.logProbMethod = method;
    } else {
      const p = Distribution.prepareParams('Poisson', { rate: params.rate! }, Poisson.argConstraints, validate);
      const logRate = tf.log(p.tensors.rate);
      super(p.shape, [], options, [...p.owned, logRate]);
      this.logRate = logRate;
      this.rateTensor = p.tensors.rate;
      this.fromRate = true;
      this.logProbMethod = method;
    }
  }
  override get argConstraints(): Readonly<Record<string, Constraint>> {
    return Poisson.argConstraints;
  }
  override get support(): Constraint {
    return nonNegativeInteger;
  }
  /** The rate λ (a new tensor). */
  rate(): tf.Tensor {
    return tf.clone(this.rateTensor);
  }
  protected override _params(): Record<string, tf.Tensor> {
    return this.fromRate ? { rate: this.rateTensor } : { logRate: this.logRate };
  }
  protected override _withParams(params: Record<string, tf.Tensor>, options: DistributionOptions): Distribution {
    return new Poisson(params as unknown as PoissonParams, { ...options, logProbMethod: this.logProbMethod });
  }
  /**
   * log p(x) = −stirlerr(x) − ½ log(2πx) − bd0(x, λ), log p(0) = −λ (Loader 2000); or, with `logProbMethod:
   * 'direct'`, x·log λ − λ − log Γ(x + 1).
   */
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const xs = tf.relu(x);
    if (this.logProbMethod === 'direct') {
      return tf.sub(tf.sub(tf.mul(xs, this.logRate), this.rateTensor), lgamma(tf.add(xs, 1)));
    }
    return poissonLogPmf(xs, this.rateTensor, this.logRate);
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    return poissonTensor(this.rateTensor, shape, seed);
  }
  /** E[X] = λ. */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.rateTensor);
  }
  /** Mode ⌊λ⌋. */
  protected override _mode(): tf.Tensor {
    return tf.floor(this.rateTensor);
  }
  /** Var[X] = λ. */
  protected override _variance(): tf.Tensor {
    return tf.clone(this.rateTensor);
  }
  /**
   * H = −Σₖ p(k) log p(k): summed exactly over k ≤ λ + 12√λ + 20 for λ < 50; above, the asymptotic series
   * ½ log(2πeλ) − 1/(12λ) − 1/(24λ²) − 19/(360λ³) (error below 1e-7 there).
   */
  protected override _entropy(): tf.Tensor {
    const rate = this.rateTensor;
    const asymptotic = tf.sub(
      tf.mul(0.5, tf.log(tf.mul(rate, 2 * Math.PI * Math.E))),
      tf.add(tf.add(tf.div(1 / 12, rate), tf.div(1 / 24, tf.square(rate))), tf.div(19 / 360, tf.pow(rate, 3))),
    );
    const kMax = Math.ceil(ENTROPY_SERIES_RATE + 12 * Math.sqrt(ENTROPY_SERIES_RATE) + 20);
    const k = tf.reshape(tf.range(0, kMax + 1, 1, 'float32'), [kMax + 1, ...rate.shape.map(() => 1)]);
    const smallRate = tf.minimum(rate, ENTROPY_SERIES_RATE);
    const logRate = tf.log(smallRate);
    const lp = tf.sub(tf.sub(tf.mul(k, logRate), smallRate), lgamma(tf.add(k, 1)));
    const exact = tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), 0));
    return tf.where(gradFreeMask([rate], (v) => tf.less(v, ENTROPY_SERIES_RATE)), exact, asymptotic);
  }
}
