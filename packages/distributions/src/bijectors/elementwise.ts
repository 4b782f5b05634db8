import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Constraint, independent, openUnitInterval, positive, real } from '../constraints.js';
import { softplusInverse } from '../special.js';
import { FLOAT32_ONE_MINUS_EPS, FLOAT32_TINY } from '../sampling.js';
import { broadcastShapes, type TensorLike } from '../tensor-like.js';
import { Bijector } from './bijector.js';

/** An element-wise bijector between two element-wise constraints. */
abstract class ElementwiseBijector extends Bijector {
  /** The bijector's name, e.g. `"Exp"`. */
  readonly name: string;
  private readonly from: Constraint;
  private readonly to: Constraint;
  constructor(name: string, from: Constraint, to: Constraint) {
    super();
    this.name = name;
    this.from = from;
    this.to = to;
  }
  override get domain(): Constraint {
    return this.from;
  }
  override get codomain(): Constraint {
    return this.to;
  }
  override get sign(): number | tf.Tensor | undefined {
    return 1;
  }
}

/** The identity y = x on ℝ (log-det 0): what {@link bijectorFor} returns for the real line. */
export class Identity extends ElementwiseBijector {
  constructor() {
    super('Identity', real, real);
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return tf.clone(x);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return tf.clone(y);
  }
  protected _forwardLogDetJacobian(x: tf.Tensor): tf.Tensor {
    return tf.zerosLike(x);
  }
}

/** y = eˣ: ℝ → (0, ∞); log |dy/dx| = x. */
export class Exp extends ElementwiseBijector {
  constructor() {
    super('Exp', real, positive);
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return tf.exp(x);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return tf.log(y);
  }
  protected _forwardLogDetJacobian(x: tf.Tensor): tf.Tensor {
    return tf.clone(x);
  }
}

/** y = softplus(x) = log(1 + eˣ): ℝ → (0, ∞); x = y + log(1 − e⁻ʸ); log |dy/dx| = log σ(x) = −softplus(−x). */
export class Softplus extends ElementwiseBijector {
  constructor() {
    super('Softplus', real, positive);
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return tf.softplus(x);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return softplusInverse(y);
  }
  protected _forwardLogDetJacobian(x: tf.Tensor): tf.Tensor {
    return tf.neg(tf.softplus(tf.neg(x)));
  }
}

/**
 * y = σ(x) = 1 / (1 + e⁻ˣ): ℝ → (0, 1), clipped to [float32 tiny, 1 − 2⁻²⁴] as torch does so y stays inside the open
 * interval; x = log y − log(1 − y); log |dy/dx| = −softplus(−x) − softplus(x).
 */
export class Sigmoid extends ElementwiseBijector {
  constructor() {
    super('Sigmoid', real, openUnitInterval);
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return tf.clipByValue(tf.sigmoid(x), FLOAT32_TINY, FLOAT32_ONE_MINUS_EPS);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return tf.sub(tf.log(y), tf.log1p(tf.neg(y)));
  }
  protected _forwardLogDetJacobian(x: tf.Tensor): tf.Tensor {
    return tf.neg(tf.add(tf.softplus(tf.neg(x)), tf.softplus(x)));
  }
}

const openInterval11: Constraint = {
  name: 'interval(-1, 1)',
  description: 'in (-1, 1)',
  finite: true,
  eventDims: 0,
  check: (x) => tf.logicalAnd(tf.greater(x, -1), tf.less(x, 1)),
};

/** y = tanh x: ℝ → (−1, 1); x = atanh y; log |dy/dx| = 2 (log 2 − x − softplus(−2x)) (stable for large |x|). */
export class Tanh extends ElementwiseBijector {
  constructor() {
    super('Tanh', real, openInterval11);
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return tf.tanh(x);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return tf.atanh(y);
  }
  protected _forwardLogDetJacobian(x: tf.Tensor): tf.Tensor {
    return tf.mul(2, tf.sub(tf.sub(Math.LN2, x), tf.softplus(tf.mul(-2, x))));
  }
}

/** y = xᵖ on (0, ∞) for a fixed exponent p ≠ 0; log |dy/dx| = log |p·y/x|. */
export class Power extends ElementwiseBijector {
  /** The exponent p. */
  readonly exponent: tf.Tensor;
  constructor(exponent: TensorLike) {
    super('Power', positive, positive);
    this.exponent = this.param(exponent, 'exponent');
  }
  /** sign(p): increasing for p > 0, decreasing for p < 0. */
  override get sign(): tf.Tensor {
    return tf.sign(this.exponent);
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return tf.pow(x, this.exponent);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return tf.pow(y, tf.reciprocal(this.exponent));
  }
  protected _forwardLogDetJacobian(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return tf.log(tf.abs(tf.div(tf.mul(this.exponent, y), x)));
  }
}

/**
 * y = |x|. **Not injective**: `inverse` returns the non-negative preimage only and the log-det is 0, so a
 * {@link TransformedDistribution} with it can sample (torch's `AbsTransform`) but refuses `logProb` — the folded
 * density needs both preimages (use HalfNormal / HalfCauchy for the folded families).
 */
export class Abs extends ElementwiseBijector {
  constructor() {
    super('Abs', real, { ...positive, name: 'nonNegative', description: '>= 0', check: (x) => tf.greaterEqual(x, 0) });
  }
  override get bijective(): boolean {
    return false;
  }
  /** `undefined`: |x| is not monotone. */
  override get sign(): undefined {
    return undefined;
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return tf.abs(x);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return tf.clone(y);
  }
  protected _forwardLogDetJacobian(x: tf.Tensor): tf.Tensor {
    return tf.zerosLike(x);
  }
}

/** Parameters of {@link Affine}. */
export interface AffineParams {
  /** Shift b (default 0). */
  shift?: TensorLike;
  /** Scale a ≠ 0 (default 1). */
  scale?: TensorLike;
  /** How many trailing dims form one event (default 0: element-wise); the log-det sums over them. */
  eventDims?: number;
}

/**
 * y = b + a·x (element-wise, broadcasting): ℝ → ℝ; log |det J| = Σ_{event dims} log |a|. torch's `AffineTransform`.
 */
export class Affine extends Bijector {
  readonly name = 'Affine';
  /** b. */
  readonly shift: tf.Tensor;
  /** a. */
  readonly scale: tf.Tensor;
  private readonly eventDims: number;
  constructor(params: AffineParams = {}) {
    super();
    const eventDims = params.eventDims ?? 0;
    if (!Number.isInteger(eventDims) || eventDims < 0) {
      throw new ArgumentError('eventDims', `Affine: "eventDims" must be a non-negative integer, got ${eventDims}`);
    }
    this.eventDims = eventDims;
    this.shift = this.param(params.shift ?? 0, 'shift');
    this.scale = this.param(params.scale ?? 1, 'scale');
  }
  override get domain(): Constraint {
    return independent(real, this.eventDims);
  }
  override get codomain(): Constraint {
    return independent(real, this.eventDims);
  }
  override get sign(): number | tf.Tensor | undefined {
    return this.eventDims === 0 ? tf.sign(this.scale) : undefined;
  }
  /** The input shape broadcast with the shapes of `shift` and `scale`. */
  override forwardShape(shape: readonly number[]): number[] {
    this.checkRank(shape, this.eventDims, 'x');
    return broadcastShapes([shape, this.shift.shape, this.scale.shape], 'x');
  }
  /** The output shape broadcast with the shapes of `shift` and `scale`. */
  override inverseShape(shape: readonly number[]): number[] {
    this.checkRank(shape, this.eventDims, 'y');
    return broadcastShapes([shape, this.shift.shape, this.scale.shape], 'y');
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return tf.add(this.shift, tf.mul(this.scale, x));
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return tf.div(tf.sub(y, this.shift), this.scale);
  }
  protected _forwardLogDetJacobian(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
    const full = tf.broadcastTo(
      tf.log(tf.abs(this.scale)),
      tf.broadcast_util.assertAndGetBroadcastShape(x.shape, y.shape),
    );
    const k = this.eventDims;
    return k === 0
      ? full
      : tf.sum(
          full,
          Array.from({ length: k }, (_, i) => full.rank - 1 - i),
        );
  }
}
