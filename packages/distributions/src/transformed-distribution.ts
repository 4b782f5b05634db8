import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, NotImplementedError, ShapeError } from '@varia/core';
import { type Constraint, independent } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { Independent } from './independent.js';
import { Bijector, sumRightmost } from './bijectors/bijector.js';
import { quantile } from './quantile.js';
import { shapesEqual, type TensorLike } from './tensor-like.js';

/**
 * The distribution of Y = f(X), X ~ `base`, for a bijector f (torch's and TFP's `TransformedDistribution`):
 *
 * log p_Y(y) = log p_X(f⁻¹(y)) − log |det J_f(f⁻¹(y))|.
 *
 * `sample`/`rsample` push the base's draws through f (reparameterized when the base is). Shapes: the batch and event
 * shapes are those of f applied to the base's `[...batchShape, ...eventShape]`; when f acts on more trailing dims than
 * the base's event has, those base batch dims become event dims (the base is wrapped in `Independent`), and when f's
 * parameters broadcast the shape, the base is expanded. `cdf` exists for scalar, monotone f (`bijector.sign`).
 * Moments and entropy have no general form (families built on this class give them).
 *
 * Ownership: the transformed distribution takes over `base` and `bijector` — its `dispose` frees both.
 *
 * @example
 * ```ts
 * const logNormal = new TransformedDistribution(new Normal({ loc: 0, scale: 1 }), new Exp());
 * ```
 */
export class TransformedDistribution extends Distribution {
  /** The base distribution (wrapped in `Independent` when f consumed some of its batch dims). */
  readonly base: Distribution;
  /** The bijector f. */
  readonly bijector: Bijector;

  constructor(base: Distribution, bijector: Bijector, options: DistributionOptions = {}) {
    if (!(base instanceof Distribution))
      throw new ArgumentError('base', 'TransformedDistribution: "base" must be a Distribution');
    if (!(bijector instanceof Bijector))
      throw new ArgumentError('bijector', 'TransformedDistribution: "bijector" must be a Bijector');
    const baseShape = [...base.batchShape, ...base.eventShape];
    const baseEvent = base.eventShape.length;
    const full = bijector.forwardShape(baseShape);
    const needed = bijector.inverseShape(full);
    let b = base;
    if (!shapesEqual(needed, baseShape)) b = base.expand(needed.slice(0, needed.length - baseEvent));
    const extra = bijector.domainEventDims - baseEvent;
    if (extra > 0) b = new Independent(b, extra);
    const eventRank = bijector.codomainEventDims + Math.max(baseEvent - bijector.domainEventDims, 0);
    super(full.slice(0, full.length - eventRank), full.slice(full.length - eventRank), {
      validateArgs: options.validateArgs ?? base.validateArgs,
      maskOutOfSupport: options.maskOutOfSupport ?? base.maskOutOfSupport,
    });
    if (b !== base && !(b instanceof Independent && b.base === base)) base.dispose(); // the expanded copy replaces it
    this.base = b;
    this.bijector = bijector;
  }
  override get argConstraints(): Readonly<Record<string, Constraint>> {
    return {};
  }
  override get support(): Constraint {
    const c = this.bijector.codomain;
    const extra = this.eventShape.length - c.eventDims;
    return extra > 0 ? independent(c, extra) : c;
  }
  override get hasRsample(): boolean {
    return this.base.hasRsample;
  }
  protected override _logProb(y: tf.Tensor): tf.Tensor {
    if (!this.bijector.bijective) {
      throw new NotImplementedError(
        `${this.displayName}.logProb: ${this.bijector.name} is not injective, so the density of f(X) is not log p(f⁻¹(y)) − log |J|`,
      );
    }
    const b = this.bijector;
    const x = b.inverse(y);
    const eventDims = this.eventShape.length + b.domainEventDims - b.codomainEventDims;
    const ldj = sumRightmost(b.forwardLogDetJacobian(x, y), eventDims - b.domainEventDims);
    const lp = sumRightmost(this.base.logProb(x), eventDims - this.base.eventShape.length);
    return tf.sub(lp, ldj);
  }
  private sampleShapeOf(shape: number[]): number[] {
    return shape.slice(0, shape.length - this.batchShape.length - this.eventShape.length);
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    return this.bijector.forward(this.base.sample(this.sampleShapeOf(shape), { seed }));
  }
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return this.bijector.forward(this.base.rsample(this.sampleShapeOf(shape), { seed }));
  }
  /** P(Y ≤ y) = F_X(f⁻¹(y)) for increasing f, 1 − F_X(f⁻¹(y)) for decreasing f (scalar events only). */
  protected override _cdf(y: tf.Tensor): tf.Tensor {
    const s = this.bijector.sign;
    if (s === undefined || this.eventShape.length > 0) {
      throw new NotImplementedError(
        `${this.displayName}.cdf needs a scalar, monotone bijector (${this.bijector.name} is not)`,
      );
    }
    const f = this.base.cdf(this.bijector.inverse(y));
    if (s === 1) return f;
    // ½(1 + s)·F + ½(1 − s)·(1 − F): F where increasing, 1 − F where decreasing
    return tf.add(tf.mul(tf.mul(0.5, tf.add(1, s)), f), tf.mul(tf.mul(0.5, tf.sub(1, s)), tf.sub(1, f)));
  }
  /**
   * F_Y⁻¹(q) = f(F_X⁻¹(q)) for increasing f, f(F_X⁻¹(1 − q)) for decreasing f (scalar events; the base needs an `icdf`).
   * @throws NotImplementedError when f is not scalar and monotone or the base has no `icdf`.
   */
  icdf(q: TensorLike): tf.Tensor {
    const base = this.base as Distribution & { icdf?: (q: tf.Tensor) => tf.Tensor };
    const s = this.bijector.sign;
    if (s === undefined || this.eventShape.length > 0 || typeof base.icdf !== 'function') {
      throw new NotImplementedError(
        `${this.displayName}.icdf needs a scalar, monotone bijector and a base with an icdf`,
      );
    }
    return quantile(this, q, (p) => {
      const pb =
        s === 1 ? p : tf.add(tf.mul(tf.mul(0.5, tf.add(1, s)), p), tf.mul(tf.mul(0.5, tf.sub(1, s)), tf.sub(1, p)));
      return this.bijector.forward(base.icdf!(pb));
    });
  }
  /** Expands the base and shares the bijector. Families built on this class expand through their own parameters. */
  protected override _expand(batchShape: number[]): Distribution {
    if (this.constructor !== TransformedDistribution) return super._expand(batchShape);
    const baseShape = this.bijector.inverseShape([...batchShape, ...this.eventShape]);
    const baseBatch = baseShape.slice(0, baseShape.length - this.base.eventShape.length);
    if (baseBatch.length < this.base.batchShape.length) {
      throw new ShapeError('batchShape', `${this.displayName}.expand: cannot expand to [${batchShape.join(', ')}]`);
    }
    const base = this.base.expand(baseBatch);
    return new TransformedDistribution(base, this.bijector.retain(), { validateArgs: this.validateArgs });
  }
  /** Frees the base and the bijector too. */
  override dispose(): void {
    if (this.released) return;
    this.released = true;
    super.dispose();
    this.base.dispose();
    this.bijector.dispose();
  }
  private released = false;
}
