import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { Bernoulli, bernoulliLogProbSum } from './bernoulli.js';
import { type Constraint, independent } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';

/**
 * Reinterprets the last `reinterpretedBatchDims` batch dimensions of `base` as event dimensions (TFP's and torch's
 * `Independent`): with base batch shape `[…, d₁, …, dₖ]` the result has batch shape `[…]` and event shape
 * `[d₁, …, dₖ, …baseEvent]`, and
 *
 * log p(x) = Σ_{last k dims} log p_base(x).
 *
 * This turns a batch of D univariate Normals into one diagonal Gaussian over ℝᴰ.
 */
export class Independent extends Distribution {
  /** The wrapped distribution. */
  readonly base: Distribution;
  /** How many batch dims were moved into the event. */
  readonly reinterpretedBatchDims: number;

  constructor(base: Distribution, reinterpretedBatchDims: number, options: DistributionOptions = {}) {
    if (!(base instanceof Distribution)) {
      throw new ArgumentError(
        'base',
        `Independent: "base" must be a Distribution, got ${base === null ? 'null' : typeof base}`,
      );
    }
    if (
      !Number.isInteger(reinterpretedBatchDims) ||
      reinterpretedBatchDims < 0 ||
      reinterpretedBatchDims > base.batchShape.length
    ) {
      throw new ArgumentError(
        'reinterpretedBatchDims',
        `Independent: "reinterpretedBatchDims" must be an integer in [0, ${base.batchShape.length}] (the base's batch rank), got ${reinterpretedBatchDims}`,
      );
    }
    const split = base.batchShape.length - reinterpretedBatchDims;
    super(base.batchShape.slice(0, split), [...base.batchShape.slice(split), ...base.eventShape], {
      validateArgs: options.validateArgs ?? base.validateArgs,
      maskOutOfSupport: options.maskOutOfSupport ?? base.maskOutOfSupport,
    });
    this.base = base;
    this.reinterpretedBatchDims = reinterpretedBatchDims;
  }
  override get support(): Constraint {
    return independent(this.base.support, this.reinterpretedBatchDims);
  }
  override get hasRsample(): boolean {
    return this.base.hasRsample;
  }
  private sumReinterpreted(t: tf.Tensor): tf.Tensor {
    if (this.reinterpretedBatchDims === 0) return t;
    const axes = Array.from({ length: this.reinterpretedBatchDims }, (_, i) => t.rank - 1 - i);
    return tf.sum(t, axes);
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    // a decoder's Bernoulli likelihood: log-mass and sum as one taped op (same bits, fewer kernels per training step)
    if (this.reinterpretedBatchDims === 1 && this.base instanceof Bernoulli) {
      const summed = bernoulliLogProbSum(this.base, x);
      if (summed) return summed;
    }
    return this.sumReinterpreted(this.base.logProb(x));
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    return this.base.sample(shape.slice(0, shape.length - this.batchShape.length - this.eventShape.length), { seed });
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return this.base.rsample(shape.slice(0, shape.length - this.batchShape.length - this.eventShape.length), { seed });
  }
  protected override _mean(): tf.Tensor {
    return this.base.mean();
  }
  protected override _mode(): tf.Tensor {
    return this.base.mode();
  }
  protected override _variance(): tf.Tensor {
    return this.base.variance();
  }
  protected override _entropy(): tf.Tensor {
    return this.sumReinterpreted(this.base.entropy());
  }
  /** Expands the base to `[...batchShape, ...reinterpreted dims]` and wraps it again. */
  protected override _expand(batchShape: number[]): Distribution {
    const split = this.base.batchShape.length - this.reinterpretedBatchDims;
    const base = this.base.expand([...batchShape, ...this.base.batchShape.slice(split)]);
    return new Independent(base, this.reinterpretedBatchDims, { validateArgs: this.validateArgs });
  }
  /** Frees the base distribution's tensors too. */
  override dispose(): void {
    super.dispose();
    this.base.dispose();
  }
}
