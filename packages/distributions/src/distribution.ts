import * as tf from '@tensorflow/tfjs-core';
import { DisposedError, NotImplementedError } from '@varia/core';
import { type Constraint, real } from './constraints.js';
import { checkSampleShape, checkValueShape, expandTarget, rejectNaN } from './distribution-checks.js';
import {
  type DistributionInit,
  type DistributionOptions,
  normalizeInit,
  type SampleOptions,
} from './distribution-options.js';
import { insideSupport, isTrivialSupport, maskOutsideSupport, offTape, withCdfLimits } from './distribution-ops.js';
import { broadcastParams, buildAdopting } from './distribution-ownership.js';
import { declareParameters, type ParameterDeclaration, type PreparedParams, prepareParameters } from './parameters.js';
import { toTensorChecked } from './tensor-input.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs, validateValue } from './validate.js';

export type { DistributionOptions } from './distribution-options.js';
export type { PreparedParams } from './parameters.js';

/** A family class as `copy` and `expand` call it. */
type FamilyConstructor = new (params: Record<string, tf.Tensor>, options: DistributionOptions) => Distribution;

/**
 * The seed handed to the families' samplers. tfjs's random ops read a seed of 0 as "no seed" (`seed ? seed :
 * Math.random()`), so `{ seed: 0 }` drew fresh noise on every call; 0 is passed on as this fixed non-zero value instead
 * (2^31 − 1 is not a seed any tfjs-based sampler derives from 0).
 */
const SEED_ZERO_SUBSTITUTE = 0x7fffffff;

/** `seed`, with 0 replaced by `SEED_ZERO_SUBSTITUTE` so a seed of 0 is reproducible too. */
function tfjsSeed(seed: number | undefined): number | undefined {
  return seed === 0 ? SEED_ZERO_SUBSTITUTE : seed;
}

/**
 * The base of every distribution (torch.distributions / TFP contract).
 *
 * Shapes: `sample(sampleShape)` returns `[...sampleShape, ...batchShape, ...eventShape]`; `logProb(x)` takes values
 * whose trailing dims are `[...batchShape, ...eventShape]` (or broadcast to them) and returns one log-density per event:
 * `[...sampleShape, ...batchShape]`.
 *
 * The public methods check shapes and (when `validateArgs`) support once, wrap the work in `tf.tidy`, and delegate to
 * the protected `_logProb`, `_sample`, `_rsample`, … of the subclass.
 *
 * **Declaring a family.** Declare the constructor parameters once, in a static `parameters` made by
 * {@link declareParameters} (name → constraint, event rank, default transform; alternative parameterizations
 * listed); the constructor calls {@link prepareParameters} and hands the result to `super`; stored parameters are
 * `readonly` tensor properties, derived ones are methods (`probsParameter()`). `argConstraints`, validation,
 * broadcasting, `expand` and `copy` then come from the base:
 *
 * ```ts
 * export class Gamma extends Distribution {
 *   static readonly parameters = declareParameters({ concentration: { constraint: positive }, rate: { constraint: positive } });
 *   readonly concentration: tf.Tensor;
 *   readonly rate: tf.Tensor;
 *   constructor(params: GammaParams, options: DistributionOptions = {}) {
 *     const p = prepareParameters('Gamma', Gamma.parameters, params, resolveValidateArgs('Gamma', options));
 *     super(p, options); // with event dims: super({ ...p, eventShape: p.shape.slice(-1) }, options)
 *     this.concentration = p.tensors.concentration;
 *     this.rate = p.tensors.rate;
 *   }
 *   override get support(): Constraint { return positive; }
 *   protected override _logProb(x: tf.Tensor): tf.Tensor { … } // and _sample, _mean, … as the family has them
 * }
 * ```
 *
 * Tensors a constructor derives (e.g. logits from `probs`) are handed to {@link Distribution.adopt}. Family-specific
 * options (e.g. `atol`) travel through `options`, which `expand` and `copy` pass on.
 */
export abstract class Distribution {
  /** Shape of a batch of independent, non-identical distributions. */
  readonly batchShape: readonly number[];
  /** Shape of one draw (`[]` for scalar distributions). */
  readonly eventShape: readonly number[];
  /** Whether parameters and values are validated (see {@link DistributionOptions.validateArgs}). */
  readonly validateArgs: boolean;
  /** Whether `logProb` masks out-of-support values with −∞ when validation is off. */
  readonly maskOutOfSupport: boolean;
  /** Constraints on the constructor parameters, by name (from the family's static `parameters` declaration). */
  get argConstraints(): Readonly<Record<string, Constraint>> {
    return (this.constructor as { parameters?: ParameterDeclaration }).parameters?.constraints ?? {};
  }
  /** The set of values with positive density. */
  abstract get support(): Constraint;
  /** Whether `rsample` (a reparameterized, differentiable sample) is implemented. */
  get hasRsample(): boolean {
    return false;
  }
  private readonly owned: tf.Tensor[];
  private readonly constants: Readonly<Record<string, number | undefined>>;
  /** The constructor parameters as given (for `expand` and `copy`); empty for families that record none. */
  private readonly given: Readonly<Record<string, tf.Tensor>>;
  /** The constructor options, passed on by `expand` and `copy`. */
  protected readonly options: DistributionOptions;
  private disposed = false;

  /**
   * `init`: the {@link PreparedParams} of the family (with `eventShape` where it has event dims) or bare shapes. The
   * positional form `(batchShape, eventShape, options, owned, constants)` is kept for families written before
   * {@link declareParameters}.
   */
  protected constructor(init: DistributionInit, options?: DistributionOptions);
  protected constructor(
    batchShape: readonly number[],
    eventShape: readonly number[],
    options?: DistributionOptions,
    owned?: tf.Tensor[],
    constants?: Readonly<Record<string, number | undefined>>,
  );
  protected constructor(
    first: DistributionInit | readonly number[],
    second?: DistributionOptions | readonly number[],
    options?: DistributionOptions,
    owned?: tf.Tensor[],
    constants?: Readonly<Record<string, number | undefined>>,
  ) {
    const { init, options: opts } = normalizeInit(first, second, options, owned, constants);
    this.batchShape = [...init.batchShape];
    this.eventShape = [...(init.eventShape ?? [])];
    this.validateArgs = resolveValidateArgs(this.displayName, opts);
    this.maskOutOfSupport = opts.maskOutOfSupport ?? true;
    this.owned = init.owned ?? [];
    this.constants = init.constants ?? {};
    this.given = init.tensors ?? {};
    this.options = opts;
  }

  /**
   * The value of parameter `name` when it is known on the host, without reading a tensor, to be the same number
   * everywhere: the parameter was given as a number, or as an array or Float32Array whose entries all equal that number
   * (as float32). `undefined` otherwise: parameters given as tensors are never read (and families that do not record
   * their parameters always answer `undefined`).
   *
   * Formulas use it to skip operations a constant makes trivial, e.g. KL(N(μ, σ²) ‖ N(0, 1)) without the division by
   * σ₂ = 1 and the subtraction of μ₂ = 0: the same numbers with fewer tensor operations in a training step.
   */
  knownConstant(name: string): number | undefined {
    return this.constants[name];
  }

  /**
   * Converts parameters to float32 tensors, broadcasts them and validates them against `constraints` (all with
   * event rank 0).
   * @deprecated Declare the family's parameters with {@link declareParameters} and call {@link prepareParameters}.
   */
  static prepareParams<K extends string>(
    owner: string,
    params: Record<K, TensorLike>,
    constraints: Readonly<Record<string, Constraint>>,
    validate: boolean,
  ): PreparedParams<K> {
    const names = params === null || typeof params !== 'object' ? [] : (Object.keys(params) as K[]);
    const decl = declareParameters(
      Object.fromEntries(names.map((n) => [n, { constraint: constraints[n] ?? real }])) as Record<
        K,
        { constraint: Constraint }
      >,
    );
    return prepareParameters(owner, decl, params, validate);
  }

  /** The class name used in messages. */
  protected get displayName(): string {
    return this.constructor.name;
  }

  /**
   * Log-density (or log-mass) of `value`, one number per event: shape `[...sampleShape, ...batchShape]`.
   * @throws ShapeError when `value`'s trailing dims do not broadcast with `[...batchShape, ...eventShape]`;
   *   ArgumentError when `validateArgs` is on and `value` is outside the support.
   */
  logProb(value: TensorLike): tf.Tensor {
    this.assertAlive();
    return tf.tidy(() => {
      const x = toTensorChecked(this.displayName, 'value', value);
      checkValueShape(this.displayName, x, this.batchShape, this.eventShape);
      if (this.validateArgs) {
        validateValue(this.displayName, 'value', x, this.support);
        return this._logProb(x);
      }
      const support = this.support;
      if (!this.maskOutOfSupport || isTrivialSupport(support)) return this._logProb(x);
      // Without validation, values outside the support (and NaN) get −∞. The formula sees a point inside instead of them, so
      // that its NaN there (log of a negative, ∞ − ∞) cannot reach the gradients of the values inside through the mask.
      return maskOutsideSupport(x, this._logProb(insideSupport(x, support)), support);
    });
  }

  /** Density (or mass) exp(logProb(value)). */
  prob(value: TensorLike): tf.Tensor {
    return tf.tidy(() => tf.exp(this.logProb(value)));
  }

  /**
   * Draws a sample of shape `[...sampleShape, ...batchShape, ...eventShape]`. No gradient flows through it: the draw
   * runs off the gradient tape, so `tf.grads` of anything computed from it works for every family (the sampling ops,
   * e.g. tfjs's Less or ArgMax, have no gradients); the parameters get no gradient through the draw.
   */
  sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): tf.Tensor {
    this.assertAlive();
    const shape = checkSampleShape(this.displayName, sampleShape, (shape) => this.extendedShape(shape));
    return tf.tidy(() => offTape(() => this._sample(shape, tfjsSeed(options.seed))));
  }

  /**
   * Draws a reparameterized sample x = g(ε, θ) of shape `[...sampleShape, ...batchShape, ...eventShape]`: gradients
   * flow to the parameters.
   * @throws NotImplementedError when the distribution has no reparameterized sampler (`hasRsample` is false).
   */
  rsample(sampleShape: readonly number[] = [], options: SampleOptions = {}): tf.Tensor {
    this.assertAlive();
    if (!this.hasRsample) {
      throw new NotImplementedError(
        `${this.displayName} has no reparameterized sampler (hasRsample is false); use sample() for draws without gradients`,
      );
    }
    const shape = checkSampleShape(this.displayName, sampleShape, (shape) => this.extendedShape(shape));
    return tf.tidy(() => this._rsample(shape, tfjsSeed(options.seed)));
  }

  /** Mean E[X], shape `[...batchShape, ...eventShape]`. */
  mean(): tf.Tensor {
    return this.run(() => this._mean());
  }
  /** Mode (most likely value), shape `[...batchShape, ...eventShape]`. */
  mode(): tf.Tensor {
    return this.run(() => this._mode());
  }
  /** Variance Var[X], shape `[...batchShape, ...eventShape]`. */
  variance(): tf.Tensor {
    return this.run(() => this._variance());
  }
  /** Standard deviation √Var[X]. */
  stddev(): tf.Tensor {
    return this.run(() => tf.sqrt(this._variance()));
  }
  /** Entropy H = −E[log p(X)] in nats, shape `batchShape`. */
  entropy(): tf.Tensor {
    return this.run(() => this._entropy());
  }
  /** Perplexity e^H (the effective number of equally likely outcomes), shape `batchShape`. */
  perplexity(): tf.Tensor {
    return this.run(() => tf.exp(this._entropy()));
  }
  /** Whether {@link Distribution.enumerateSupport} is implemented (finite discrete support). */
  get hasEnumerateSupport(): boolean {
    return false;
  }
  /**
   * Every value of the (finite) support, stacked on a new leading axis of size n (torch's `enumerate_support`):
   * shape `[n, ...batchShape, ...eventShape]` with `expand` (default), else `[n, 1, …, 1, ...eventShape]` (one per
   * batch dim), ready to broadcast against the batch. `logProb` of it gives `[n, ...batchShape]`.
   * @throws NotImplementedError when the family has no finite support (`hasEnumerateSupport` is false).
   */
  enumerateSupport(expand = true): tf.Tensor {
    this.assertAlive();
    const values = tf.tidy(() => this._enumerateSupport());
    if (!expand) return values;
    return tf.tidy(() => {
      const out = tf.broadcastTo(values, [values.shape[0]!, ...this.batchShape, ...this.eventShape]);
      values.dispose();
      return out;
    });
  }
  /** The support values, shape `[n, 1, …, 1 (one per batch dim), ...eventShape]`. */
  protected _enumerateSupport(): tf.Tensor {
    throw new NotImplementedError(
      `${this.displayName} has no finite support to enumerate (hasEnumerateSupport is false)`,
    );
  }
  /** `[n, 1, …, 1 (batch), ...tail]` from a `[n, ...tail]` tensor. */
  protected supportShaped(values: tf.Tensor): tf.Tensor {
    const [n, ...tail] = values.shape;
    return tf.reshape(values, [n!, ...this.batchShape.map(() => 1), ...tail]);
  }
  /**
   * Cumulative distribution function P(X ≤ value), where closed-form. For every family, `value` = −∞ gives exactly 0
   * and +∞ exactly 1 (the limits).
   * @throws ShapeError when `value`'s shape does not fit (as in {@link Distribution.logProb}); ArgumentError when
   *   `validateArgs` is on and `value` holds a NaN (with validation off a NaN gives NaN).
   */
  cdf(value: TensorLike): tf.Tensor {
    this.assertAlive();
    return tf.tidy(() => {
      const x = toTensorChecked(this.displayName, 'value', value);
      checkValueShape(this.displayName, x, this.batchShape, this.eventShape);
      if (this.validateArgs) rejectNaN(this.displayName, x);
      const c = this._cdf(x);
      if (this.eventShape.length > 0) return c;
      // the exact limits at ±∞, and NaN at NaN
      return withCdfLimits(x, c);
    });
  }

  /**
   * A new distribution of the same family whose parameters are broadcast to `batchShape` (torch's `expand`). The
   * current batch shape must broadcast to `batchShape`, e.g. `[3]` → `[2, 3]`. The result owns copies of the
   * parameters: dispose both.
   * @throws ShapeError when the batch shape cannot be broadcast to `batchShape`.
   */
  expand(batchShape: readonly number[]): this {
    this.assertAlive();
    return this._expand(expandTarget(this.displayName, this.batchShape, batchShape)) as this;
  }

  /**
   * The tensors that define this distribution, by constructor-parameter name, each of shape
   * `[...batchShape, ...parameterEventShape]`: by default the parameters as given to the constructor.
   */
  protected _params(): Record<string, tf.Tensor> {
    if (Object.keys(this.given).length === 0)
      throw new NotImplementedError(`${this.displayName}.expand is not implemented`);
    return { ...this.given };
  }
  /** A new distribution of this family from parameters shaped like those of {@link Distribution._params}. */
  protected _withParams(params: Record<string, tf.Tensor>, options: DistributionOptions): Distribution {
    return new (this.constructor as FamilyConstructor)(params, { ...this.options, ...options });
  }

  /**
   * A new distribution of the same family and options with the same parameters, except those in `overrides`
   * (TFP's `copy`), e.g. `d.copy({ scale: 2 })`. The copy owns its tensors: dispose both.
   * @throws what the constructor throws for the new parameters.
   */
  copy(overrides: Readonly<Record<string, TensorLike | undefined>> = {}): this {
    this.assertAlive();
    const clones = Object.entries(this._params()).map(([name, t]) => [name, tf.clone(t)] as const);
    const created = clones.map(([, t]) => t);
    return buildAdopting(created, () =>
      this._withParams({ ...Object.fromEntries(clones), ...overrides } as Record<string, tf.Tensor>, {
        validateArgs: this.validateArgs,
      }),
    ) as this;
  }
  /** Generic expand: broadcasts every tensor of `_params()` and rebuilds with `_withParams` (which then owns them). */
  protected _expand(batchShape: number[]): Distribution {
    const { expanded, created } = broadcastParams(this._params(), this.batchShape.length, batchShape);
    return buildAdopting(created, () => this._withParams(expanded, { validateArgs: this.validateArgs }));
  }
  /**
   * Hands `tensors` to this distribution: its {@link Distribution.dispose} frees them (the ownership rule of
   * `docs/memory.md`). Families call it for the tensors their constructor derives; {@link buildOwned} calls it for the
   * tensors a distribution was built from. Returns `this`.
   * @throws DisposedError when this distribution was already disposed (the tensors then stay with the caller).
   */
  adopt(tensors: readonly tf.Tensor[]): this {
    this.assertAlive();
    this.owned.push(...tensors);
    return this;
  }

  /** Whether {@link Distribution.dispose} was called: every other method then throws a `DisposedError`. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Frees the tensors this distribution owns: those it created (derived parameters, host values it converted,
   * `copy`/`expand` clones) and those handed to it by {@link Distribution.adopt} — for distributions returned by
   * varia's methods, the tensors they were built from. Parameters you passed as tensors stay yours. Afterwards every
   * method throws a `DisposedError`; a second `dispose()` does nothing.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
  }

  /** The log-density of x (already checked and broadcast by {@link Distribution.logProb}); shape `[...sampleShape, ...batchShape]`. */
  protected abstract _logProb(x: tf.Tensor): tf.Tensor;
  /** Draws `[...shape, ...batchShape, ...eventShape]` without gradients; the default uses `_rsample` when `hasRsample`. */
  protected _sample(shape: number[], seed?: number): tf.Tensor {
    if (this.hasRsample) return this._rsample(shape, seed);
    throw new NotImplementedError(`${this.displayName}.sample is not implemented`);
  }
  /** A reparameterized (differentiable) draw of `[...shape, ...batchShape, ...eventShape]`; override with `hasRsample`. */
  protected _rsample(_shape: number[], _seed?: number): tf.Tensor {
    throw new NotImplementedError(`${this.displayName}.rsample is not implemented`);
  }
  /** E[X], shape `[...batchShape, ...eventShape]`. */
  protected _mean(): tf.Tensor {
    throw new NotImplementedError(`${this.displayName}.mean is not implemented`);
  }
  /** The mode, shape `[...batchShape, ...eventShape]`. */
  protected _mode(): tf.Tensor {
    throw new NotImplementedError(`${this.displayName}.mode is not implemented`);
  }
  /** Var[X], shape `[...batchShape, ...eventShape]`. */
  protected _variance(): tf.Tensor {
    throw new NotImplementedError(`${this.displayName}.variance is not implemented`);
  }
  /** The differential (or Shannon) entropy −E[log p(X)], shape `batchShape`. */
  protected _entropy(): tf.Tensor {
    throw new NotImplementedError(`${this.displayName}.entropy is not implemented`);
  }
  /** P(X ≤ x) for scalar events, shape `[...sampleShape, ...batchShape]`. */
  protected _cdf(_x: tf.Tensor): tf.Tensor {
    throw new NotImplementedError(`${this.displayName}.cdf has no closed form`);
  }

  /** `[...sampleShape, ...batchShape, ...eventShape]`. */
  protected extendedShape(sampleShape: readonly number[]): number[] {
    return [...sampleShape, ...this.batchShape, ...this.eventShape];
  }

  /** `f` in a `tf.tidy`, after checking that this distribution is alive (a `DisposedError` otherwise). */
  protected run(f: () => tf.Tensor): tf.Tensor {
    this.assertAlive();
    return tf.tidy(f);
  }

  private assertAlive(): void {
    if (this.disposed) throw new DisposedError(this.displayName);
  }
}
