import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Constraint, independent } from '../constraints.js';
import { Bijector, sumRightmost } from './bijector.js';

/** A constraint with `extra` more event dims (`independent(c, extra)`; c itself when extra = 0). */
function withEventDims(c: Constraint, extra: number): Constraint {
  return extra > 0 ? independent(c, extra) : c;
}

/**
 * The composition of `bijectors`, applied in order: forward(x) = bₙ(…b₂(b₁(x))) — torch's `ComposeTransform` order
 * (TFP's `Chain` lists them the other way round). log |det J| = Σₖ log |det J_{bₖ}| at the intermediate values, each
 * summed over the dims by which the chain's event exceeds that bijector's. Owns its parts (disposes them).
 */
export class Chain extends Bijector {
  readonly name = 'Chain';
  /** The parts, in the order they are applied. */
  readonly bijectors: readonly Bijector[];
  private readonly eventIn: number;
  private readonly eventOut: number;
  constructor(bijectors: readonly Bijector[]) {
    super();
    if (!Array.isArray(bijectors) || bijectors.length === 0 || !bijectors.every((b) => b instanceof Bijector)) {
      throw new ArgumentError('bijectors', 'Chain: "bijectors" must be a non-empty array of Bijector');
    }
    this.bijectors = [...bijectors];
    // torch's ComposeTransform.domain / codomain event_dim
    let inDims = bijectors[bijectors.length - 1]!.codomainEventDims;
    for (const b of [...bijectors].reverse())
      inDims = Math.max(inDims + b.domainEventDims - b.codomainEventDims, b.domainEventDims);
    let outDims = bijectors[0]!.domainEventDims;
    for (const b of bijectors)
      outDims = Math.max(outDims + b.codomainEventDims - b.domainEventDims, b.codomainEventDims);
    this.eventIn = inDims;
    this.eventOut = outDims;
  }
  override get domain(): Constraint {
    const first = this.bijectors[0]!.domain;
    return withEventDims(first, this.eventIn - first.eventDims);
  }
  override get codomain(): Constraint {
    const last = this.bijectors[this.bijectors.length - 1]!.codomain;
    return withEventDims(last, this.eventOut - last.eventDims);
  }
  override get bijective(): boolean {
    return this.bijectors.every((b) => b.bijective);
  }
  override get sign(): number | tf.Tensor | undefined {
    let s: number | tf.Tensor = 1;
    for (const b of this.bijectors) {
      const bs = b.sign;
      if (bs === undefined) return undefined;
      s = typeof s === 'number' && typeof bs === 'number' ? s * bs : tf.mul(s, bs);
    }
    return s;
  }
  override forwardShape(shape: readonly number[]): number[] {
    return this.bijectors.reduce<number[]>((s, b) => b.forwardShape(s), [...shape]);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return [...this.bijectors].reverse().reduce<number[]>((s, b) => b.inverseShape(s), [...shape]);
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return this.bijectors.reduce((v, b) => b.forward(v), x);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return [...this.bijectors].reverse().reduce((v, b) => b.inverse(v), y);
  }
  protected _forwardLogDetJacobian(x: tf.Tensor): tf.Tensor {
    let eventDims = this.eventIn;
    let total: tf.Tensor | undefined;
    let v = x;
    for (const b of this.bijectors) {
      const next = b.forward(v);
      const term = sumRightmost(b.forwardLogDetJacobian(v, next), eventDims - b.domainEventDims);
      total = total === undefined ? term : tf.add(total, term);
      eventDims += b.codomainEventDims - b.domainEventDims;
      v = next;
    }
    return total!;
  }
  protected override onDispose(): void {
    for (const b of this.bijectors) b.dispose();
  }
}

/** The inverse of a bijector: forward and inverse swapped, log |det J| negated. Owns `bijector`. */
export class Invert extends Bijector {
  /** `Invert(<name of the inverted bijector>)`. */
  readonly name: string;
  /** The bijector whose inverse this is. */
  readonly bijector: Bijector;
  constructor(bijector: Bijector) {
    super();
    this.bijector = bijector;
    if (!(bijector instanceof Bijector)) throw new ArgumentError('bijector', 'Invert: "bijector" must be a Bijector');
    if (!bijector.bijective)
      throw new ArgumentError('bijector', `Invert: ${bijector.name} is not injective and has no inverse`);
    this.name = `Invert(${bijector.name})`;
  }
  override get domain(): Constraint {
    return this.bijector.codomain;
  }
  override get codomain(): Constraint {
    return this.bijector.domain;
  }
  override get sign(): number | tf.Tensor | undefined {
    return this.bijector.sign;
  }
  override forwardShape(shape: readonly number[]): number[] {
    return this.bijector.inverseShape(shape);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.bijector.forwardShape(shape);
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return this.bijector.inverse(x);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return this.bijector.forward(y);
  }
  protected _forwardLogDetJacobian(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return tf.neg(this.bijector.forwardLogDetJacobian(y, x));
  }
  protected override onDispose(): void {
    this.bijector.dispose();
  }
}

/**
 * Reinterprets `reinterpretedDims` batch dims of a bijector's input as event dims (torch's `IndependentTransform`):
 * the same map, with log |det J| summed over those dims. Owns `bijector`.
 */
export class IndependentBijector extends Bijector {
  /** `Independent(<name of the wrapped bijector>)`. */
  readonly name: string;
  /** The wrapped bijector. */
  readonly bijector: Bijector;
  /** How many batch dims of the input become event dims. */
  readonly reinterpretedDims: number;
  constructor(bijector: Bijector, reinterpretedDims: number) {
    super();
    this.bijector = bijector;
    this.reinterpretedDims = reinterpretedDims;
    if (!Number.isInteger(reinterpretedDims) || reinterpretedDims < 0) {
      throw new ArgumentError(
        'reinterpretedDims',
        `IndependentBijector: "reinterpretedDims" must be a non-negative integer, got ${reinterpretedDims}`,
      );
    }
    this.name = `Independent(${bijector.name})`;
  }
  override get domain(): Constraint {
    return withEventDims(this.bijector.domain, this.reinterpretedDims);
  }
  override get codomain(): Constraint {
    return withEventDims(this.bijector.codomain, this.reinterpretedDims);
  }
  override get bijective(): boolean {
    return this.bijector.bijective;
  }
  override forwardShape(shape: readonly number[]): number[] {
    this.checkRank(shape, this.domainEventDims, 'x');
    return this.bijector.forwardShape(shape);
  }
  override inverseShape(shape: readonly number[]): number[] {
    this.checkRank(shape, this.codomainEventDims, 'y');
    return this.bijector.inverseShape(shape);
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return this.bijector.forward(x);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return this.bijector.inverse(y);
  }
  protected _forwardLogDetJacobian(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return sumRightmost(this.bijector.forwardLogDetJacobian(x, y), this.reinterpretedDims);
  }
  protected override onDispose(): void {
    this.bijector.dispose();
  }
}
