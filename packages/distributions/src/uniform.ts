import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Constraint, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { quantile } from './quantile.js';
import { broadcastShapes, type TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Uniform}. */
export interface UniformParams {
  /** Lower bound a (inclusive). */
  low: TensorLike;
  /** Upper bound b > a (exclusive). */
  high: TensorLike;
}

/**
 * The continuous uniform distribution on [a, b):
 *
 * log p(x) = −log(b − a) for a ≤ x < b.
 *
 * Reparameterized: `rsample` returns a + (b − a)·u with u ~ U[0, 1). The mode is not unique: `mode()` is NaN (torch).
 */
export class Uniform extends Distribution {
  /** The parameters: `low` and `high`, real, with low < high (checked at construction when validating). */
  static readonly parameters = declareParameters({ low: { constraint: real }, high: { constraint: real } });
  /** a, broadcast to the batch shape. */
  readonly low: tf.Tensor;
  /** b, broadcast to the batch shape. */
  readonly high: tf.Tensor;

  constructor(params: UniformParams, options: DistributionOptions = {}) {
    const validate = resolveValidateArgs('Uniform', options);
    const p = prepareParameters('Uniform', Uniform.parameters, params, validate);
    if (validate) checkOrdered('Uniform', p.tensors.low, p.tensors.high, p.owned, 'high', '"high" must be > "low"');
    super(p, options);
    this.low = p.tensors.low;
    this.high = p.tensors.high;
  }
  /** [low, high). */
  override get support(): Constraint {
    return {
      name: 'interval',
      description: 'in [low, high)',
      finite: true,
      eventDims: 0,
      check: (x) => tf.logicalAnd(tf.greaterEqual(x, this.low), tf.less(x, this.high)),
    };
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** F⁻¹(q) = a + q(b − a). */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => tf.add(this.low, tf.mul(p, tf.sub(this.high, this.low))));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const lp = tf.neg(tf.log(tf.sub(this.high, this.low)));
    return tf.add(lp, tf.zeros(broadcastShapes([x.shape, lp.shape])));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return tf.add(this.low, tf.mul(tf.sub(this.high, this.low), tf.randomUniform(shape, 0, 1, 'float32', seed)));
  }
  /** (a + b)/2. */
  protected override _mean(): tf.Tensor {
    return tf.mul(0.5, tf.add(this.low, this.high));
  }
  /** NaN: every point of [a, b) is a mode. */
  protected override _mode(): tf.Tensor {
    return tf.fill([...this.batchShape], NaN);
  }
  /** (b − a)²/12. */
  protected override _variance(): tf.Tensor {
    return tf.div(tf.square(tf.sub(this.high, this.low)), 12);
  }
  /** H = log(b − a). */
  protected override _entropy(): tf.Tensor {
    return tf.log(tf.sub(this.high, this.low));
  }
  /** F(x) = clamp((x − a)/(b − a), 0, 1). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return tf.clipByValue(tf.div(tf.sub(x, this.low), tf.sub(this.high, this.low)), 0, 1);
  }
}

/**
 * Throws an ArgumentError (after disposing `owned`) where `lower < upper` fails, naming `argument` and the first index.
 */
export function checkOrdered(
  owner: string,
  lower: tf.Tensor,
  upper: tf.Tensor,
  owned: tf.Tensor[],
  argument: string,
  message: string,
): void {
  const bad = tf.tidy(() => tf.logicalNot(tf.less(lower, upper)));
  const flags = bad.dataSync();
  bad.dispose();
  const i = flags.findIndex((f) => f !== 0);
  if (i < 0) return;
  const got = `got low ${lower.dataSync()[i]} and high ${upper.dataSync()[i]} at flat index ${i}`;
  for (const t of owned) t.dispose();
  throw new ArgumentError(argument, `${owner}: ${message}, ${got}`);
}
