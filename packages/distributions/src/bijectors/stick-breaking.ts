import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, independent, real, simplex } from '../constraints.js';
import { FLOAT32_ONE_MINUS_EPS, FLOAT32_TINY } from '../sampling.js';
import { Bijector } from './bijector.js';
import { cumsumLast } from '../linalg.js';

/** log(K − 1 − i) for i = 0 … K − 2: the offsets that map x = 0 to the uniform point of the simplex. */
function logOffsets(n: number): tf.Tensor {
  return tf.tensor1d(Array.from({ length: n }, (_, i) => Math.log(n - i)));
}

/**
 * Stick-breaking ℝᴷ⁻¹ → the open simplex in ℝᴷ (torch's `StickBreakingTransform`): with zᵢ = σ(xᵢ − log(K − 1 − i)),
 * yᵢ = zᵢ Π_{j<i} (1 − zⱼ) and y_K = Π_j (1 − zⱼ). x = 0 maps to the uniform vector. Event dims 1 → 1.
 *
 * log |det J| = Σᵢ [−uᵢ + log σ(uᵢ) + log yᵢ], uᵢ = xᵢ − log(K − 1 − i).
 */
export class StickBreaking extends Bijector {
  readonly name = 'StickBreaking';
  override get domain(): Constraint {
    return independent(real, 1);
  }
  override get codomain(): Constraint {
    return simplex;
  }
  override forwardShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 1, 'x');
    return [...shape.slice(0, -1), shape[shape.length - 1]! + 1];
  }
  override inverseShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 1, 'y');
    return [...shape.slice(0, -1), shape[shape.length - 1]! - 1];
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    const n = x.shape[x.rank - 1]!;
    const u = tf.sub(x, logOffsets(n));
    const z = tf.clipByValue(tf.sigmoid(u), FLOAT32_TINY, FLOAT32_ONE_MINUS_EPS);
    // Π_{j≤i} (1 − zⱼ) in log space: log(1 − σ(u)) = −softplus(u)
    const logRest = cumsumLast(tf.neg(tf.softplus(u)));
    const lead = tf.zeros([...x.shape.slice(0, -1), 1]);
    const restBefore = tf.exp(tf.concat([lead, logRest], -1)); // Π_{j<i}, length K
    const zPadded = tf.concat([z, tf.onesLike(lead)], -1);
    return tf.mul(zPadded, restBefore);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    const k = y.shape[y.rank - 1]!;
    const crop = tf.slice(y, Array(y.rank).fill(0), [...y.shape.slice(0, -1), k - 1]);
    const survival = tf.maximum(tf.sub(1, cumsumLast(crop)), FLOAT32_TINY);
    return tf.add(tf.sub(tf.log(crop), tf.log(survival)), logOffsets(k - 1));
  }
  protected _forwardLogDetJacobian(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
    const n = x.shape[x.rank - 1]!;
    const u = tf.sub(x, logOffsets(n));
    const yCrop = tf.slice(y, Array(y.rank).fill(0), [...y.shape.slice(0, -1), n]);
    // log σ(u) = −softplus(−u): tf.logSigmoid's custom gradient reads u after this tidy has freed it (backprop fails)
    return tf.sum(tf.add(tf.sub(tf.neg(u), tf.softplus(tf.neg(u))), tf.log(yCrop)), -1);
  }
}
