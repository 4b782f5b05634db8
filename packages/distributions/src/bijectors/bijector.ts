import * as tf from '@tensorflow/tfjs-core';
import { DisposedError, ShapeError } from '@varia/core';
import type { Constraint } from '../constraints.js';
import { toTensorChecked } from '../tensor-input.js';
import type { TensorLike } from '../tensor-like.js';

/**
 * A differentiable, invertible map y = f(x) with a tractable log |det J_f(x)| (torch's `Transform`, TFP's
 * `Bijector`): the building block of {@link TransformedDistribution} and of normalizing flows.
 *
 * Event-rank bookkeeping: `domainEventDims` trailing dims of x form one event (one Jacobian block) and map to
 * `codomainEventDims` trailing dims of y. The log-determinant has the shape of x without its `domainEventDims`
 * trailing dims (for element-wise bijectors, `domainEventDims = 0`, it is element-wise). `forwardShape` /
 * `inverseShape` map full shapes (e.g. StickBreaking: `[…, K − 1]` ↔ `[…, K]`).
 *
 * Ownership: tensors a bijector makes from host parameters are its own and freed by {@link Bijector.dispose};
 * parameters given as tensors stay with the caller. A {@link TransformedDistribution} takes over the bijector it is
 * given (its `dispose` disposes the bijector).
 */
export abstract class Bijector {
  /** A short name for messages, e.g. `"Exp"`. */
  abstract readonly name: string;
  /** The set of valid inputs x. */
  abstract get domain(): Constraint;
  /** The set of outputs y. */
  abstract get codomain(): Constraint;
  /** Trailing dims of x that form one event. */
  get domainEventDims(): number {
    return this.domain.eventDims;
  }
  /** Trailing dims of y that form one event. */
  get codomainEventDims(): number {
    return this.codomain.eventDims;
  }
  /** False for maps that are not one-to-one (e.g. {@link Abs}); `inverse` then returns one preimage. */
  get bijective(): boolean {
    return true;
  }
  /**
   * For scalar (element-wise) maps, +1 where f is increasing and −1 where decreasing (a number or a tensor
   * broadcastable to x); `undefined` when not monotone or not element-wise. Used by `cdf` of a transformed
   * distribution.
   */
  get sign(): number | tf.Tensor | undefined {
    return undefined;
  }

  private refs = 1;
  private readonly owned: tf.Tensor[] = [];

  /** y = f(x). */
  forward(x: TensorLike): tf.Tensor {
    this.assertAlive();
    return tf.tidy(() => this._forward(toTensorChecked(this.name, 'x', x)));
  }
  /** x = f⁻¹(y). */
  inverse(y: TensorLike): tf.Tensor {
    this.assertAlive();
    return tf.tidy(() => this._inverse(toTensorChecked(this.name, 'y', y)));
  }
  /**
   * log |det ∂f(x)/∂x|, shape `x.shape` without its `domainEventDims` trailing dims. `y`, when given, must be f(x)
   * (saves recomputing it).
   */
  forwardLogDetJacobian(x: TensorLike, y?: TensorLike): tf.Tensor {
    this.assertAlive();
    return tf.tidy(() => {
      const xt = toTensorChecked(this.name, 'x', x);
      return this._forwardLogDetJacobian(xt, y === undefined ? this._forward(xt) : toTensorChecked(this.name, 'y', y));
    });
  }
  /** log |det ∂f⁻¹(y)/∂y| = −log |det ∂f(x)/∂x| at x = f⁻¹(y), shape `y.shape` without `codomainEventDims` dims. */
  inverseLogDetJacobian(y: TensorLike): tf.Tensor {
    this.assertAlive();
    return tf.tidy(() => {
      const yt = toTensorChecked(this.name, 'y', y);
      return tf.neg(this._forwardLogDetJacobian(this._inverse(yt), yt));
    });
  }
  /** The shape of f(x) for x of shape `shape`. @throws ShapeError when x cannot have that shape. */
  forwardShape(shape: readonly number[]): number[] {
    this.checkRank(shape, this.domainEventDims, 'x');
    return [...shape];
  }
  /** The shape of f⁻¹(y) for y of shape `shape`. @throws ShapeError when y cannot have that shape. */
  inverseShape(shape: readonly number[]): number[] {
    this.checkRank(shape, this.codomainEventDims, 'y');
    return [...shape];
  }

  /** Frees the tensors this bijector made (once every holder has released it). Idempotent per holder. */
  dispose(): void {
    if (this.refs <= 0) return;
    this.refs--;
    if (this.refs > 0) return;
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
    this.onDispose();
  }
  /** Whether {@link Bijector.dispose} has freed this bijector. */
  get isDisposed(): boolean {
    return this.refs <= 0;
  }
  /** Adds a holder: one more `dispose()` is then needed to free it (used when two distributions share a bijector). */
  retain(): this {
    this.assertAlive();
    this.refs++;
    return this;
  }

  /** f(x) (inside a tidy). */
  protected abstract _forward(x: tf.Tensor): tf.Tensor;
  /** f⁻¹(y) (inside a tidy). */
  protected abstract _inverse(y: tf.Tensor): tf.Tensor;
  /** log |det J_f(x)| given x and y = f(x) (inside a tidy). */
  protected abstract _forwardLogDetJacobian(x: tf.Tensor, y: tf.Tensor): tf.Tensor;
  /** Hook for composite bijectors to release their parts. */
  protected onDispose(): void {}

  /** Converts a host or tensor parameter to float32, owning the tensor when it made one. */
  protected param(value: TensorLike, argument = 'parameter'): tf.Tensor {
    const t = toTensorChecked(this.name, argument, value);
    if (t !== value) this.owned.push(t);
    return t;
  }

  /** @throws ShapeError when `shape` has fewer than `dims` dims. */
  protected checkRank(shape: readonly number[], dims: number, what: string): void {
    if (shape.length < dims) {
      throw new ShapeError(
        what,
        `${this.name}: "${what}" must have at least ${dims} dims (its event), got shape [${shape.join(', ')}]`,
      );
    }
  }
  private assertAlive(): void {
    if (this.refs <= 0) throw new DisposedError(this.name, `${this.name} bijector was disposed`);
  }
}

/** Σ over the `k` trailing dims of t (t itself when k ≤ 0): torch's `_sum_rightmost`. */
export function sumRightmost(t: tf.Tensor, k: number): tf.Tensor {
  if (k <= 0) return t;
  return tf.sum(
    t,
    Array.from({ length: k }, (_, i) => t.rank - 1 - i),
  );
}
