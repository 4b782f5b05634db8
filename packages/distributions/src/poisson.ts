import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, mulberry32, nextSeed, samplePoisson } from '@varia/core';
import { type Constraint, nonNegativeInteger, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';

/** Parameters of {@link Poisson}: exactly one of `rate` (λ > 0) or `logRate` (log λ, any real). */
export type PoissonParams = { rate: TensorLike; logRate?: never } | { logRate: TensorLike; rate?: never };

/** Below this rate the entropy is summed exactly; above it the asymptotic series is used. */
const ENTROPY_SERIES_RATE = 50;

/**
 * The Poisson distribution on {0, 1, 2, …} with rate λ, stored as log λ:
 *
 * log p(x) = x·log λ − λ − log Γ(x + 1).
 *
 * `sample` uses an exact sampler (Knuth below λ = 10, Hörmann's PTRS above), drawn on the CPU: tfjs has none.
 */
export class Poisson extends Distribution {
  static readonly argConstraints = { rate: positive, logRate: real } as const;
  /** log λ, broadcast to the batch shape. */
  readonly logRate: tf.Tensor;

  constructor(params: PoissonParams, options: DistributionOptions = {}) {
    const validate = options.validateArgs ?? true;
    if ((params.rate === undefined) === (params.logRate === undefined)) {
      throw new ArgumentError('rate', 'Poisson: pass exactly one of "rate" or "logRate"');
    }
    if (params.logRate !== undefined) {
      const p = Distribution.prepareParams('Poisson', { logRate: params.logRate }, Poisson.argConstraints, validate);
      super(p.shape, [], options, p.owned);
      this.logRate = p.tensors.logRate;
    } else {
      const p = Distribution.prepareParams('Poisson', { rate: params.rate! }, Poisson.argConstraints, validate);
      const logRate = tf.log(p.tensors.rate);
      for (const t of p.owned) t.dispose();
      super(p.shape, [], options, [logRate]);
      this.logRate = logRate;
    }
  }
  override get argConstraints(): Readonly<Record<string, Constraint>> {
    return Poisson.argConstraints;
  }
  override get support(): Constraint {
    return nonNegativeInteger;
  }
  /** The rate λ = exp(log λ). */
  rate(): tf.Tensor {
    return tf.exp(this.logRate);
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    // Without validation, values outside the support get −∞.
    const lp = tf.sub(tf.sub(tf.mul(x, this.logRate), tf.exp(this.logRate)), lgamma(tf.add(tf.relu(x), 1)));
    if (this.validateArgs) return lp;
    const inSupport = tf.logicalAnd(tf.greaterEqual(x, 0), tf.equal(x, tf.round(x)));
    return tf.where(inSupport, lp, tf.fill(lp.shape, -Infinity));
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const rates = tf.broadcastTo(tf.exp(this.logRate), shape).dataSync();
    const rng = mulberry32(seed ?? nextSeed(Math.random));
    const out = new Float32Array(rates.length);
    for (let i = 0; i < rates.length; i++) out[i] = samplePoisson(rates[i]!, rng);
    return tf.tensor(out, shape, 'float32');
  }
  protected override _mean(): tf.Tensor {
    return tf.exp(this.logRate);
  }
  /** Mode ⌊λ⌋. */
  protected override _mode(): tf.Tensor {
    return tf.floor(tf.exp(this.logRate));
  }
  protected override _variance(): tf.Tensor {
    return tf.exp(this.logRate);
  }
  /**
   * H = −Σₖ p(k) log p(k): summed exactly over k ≤ λ + 12√λ + 20 for λ < 50; above, the asymptotic series
   * ½ log(2πeλ) − 1/(12λ) − 1/(24λ²) − 19/(360λ³) (error below 1e-7 there).
   */
  protected override _entropy(): tf.Tensor {
    const rate = tf.exp(this.logRate);
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
    return tf.where(tf.less(rate, ENTROPY_SERIES_RATE), exact, asymptotic);
  }
}
