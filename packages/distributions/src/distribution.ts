import * as tf from '@tensorflow/tfjs-core';
import { NotImplementedError, ShapeError } from '@varia/core';
import type { Constraint } from './constraints.js';
import { broadcastShapes, shapesEqual, toFloatTensor, type TensorLike, uniformValue } from './tensor-like.js';
import { gradFreeMask, stopGradient } from './special.js';
import { validateValue } from './validate.js';

/** Options every distribution accepts. */
export interface DistributionOptions {
  /**
   * Validate parameters at construction and values in `logProb` (default `true`). Validation reads tensors
   * synchronously; turn it off in hot loops (the heads in `@varia/layers` do). With validation off, out-of-support
   * values give `-Infinity` or NaN log-densities instead of an error.
   */
  validateArgs?: boolean;
  /**
   * With validation off, whether `logProb` maps out-of-support values to −∞ (default `true`). `false` evaluates the
   * density formula at any value without the support check: for data already validated at a boundary (the heads in
   * `@varia/layers` use it in the training loop, where the mask would cost an extra pass), and for soft targets such as
   * Bernoulli's x ∈ [0, 1] (the binary cross-entropy of PyTorch VAEs). Ignored when `validateArgs` is on.
   */
  maskOutOfSupport?: boolean;
}

/** Options of `sample` / `rsample`. */
export interface SampleOptions {
  /** Seed for reproducible draws: the same seed gives the same sample. Omitted: a fresh random draw. */
  seed?: number;
}

/** Whether a constraint accepts every finite value (then `logProb` needs no support mask). */
function isTrivialSupport(c: Constraint): boolean {
  return c.name === 'real' || /^independent\(real, \d+\)$/.test(c.name);
}

/** Result of {@link Distribution.prepareParams}. */
export interface PreparedParams<K extends string> {
  /** The parameters as float32 tensors, broadcast to one batch shape. */
  readonly tensors: Record<K, tf.Tensor>;
  /** The broadcast batch shape (before removing event dims). */
  readonly shape: number[];
  /** Tensors the distribution created itself and must dispose. */
  readonly owned: tf.Tensor[];
  /** Parameters given as host data with one value everywhere, by name (see {@link Distribution.knownConstant}). */
  readonly constants: Readonly<Partial<Record<K, number>>>;
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
  /** Constraints on the constructor parameters, by name. */
  abstract get argConstraints(): Readonly<Record<string, Constraint>>;
  /** The set of values with positive density. */
  abstract get support(): Constraint;
  /** Whether `rsample` (a reparameterized, differentiable sample) is implemented. */
  get hasRsample(): boolean {
    return false;
  }
  private readonly owned: tf.Tensor[];
  private readonly constants: Readonly<Record<string, number | undefined>>;
  private disposed = false;

  /**
   * `owned`: tensors this distribution made and disposes; `constants`: parameters known on the host to be one number
   * everywhere (from {@link Distribution.prepareParams}), for {@link Distribution.knownConstant}.
   */
  protected constructor(
    batchShape: readonly number[],
    eventShape: readonly number[],
    options: DistributionOptions = {},
    owned: tf.Tensor[] = [],
    constants: Readonly<Record<string, number | undefined>> = {},
  ) {
    this.batchShape = [...batchShape];
    this.eventShape = [...eventShape];
    this.validateArgs = options.validateArgs ?? true;
    this.maskOutOfSupport = options.maskOutOfSupport ?? true;
    this.owned = owned;
    this.constants = constants;
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
   * Converts parameters to float32 tensors, broadcasts them to a common shape and validates them against
   * `constraints` when `validate` is true. Tensors created here are returned in `owned`.
   * @throws ArgumentError for invalid values, ShapeError for shapes that cannot be broadcast.
   */
  static prepareParams<K extends string>(
    owner: string,
    params: Record<K, TensorLike>,
    constraints: Readonly<Record<string, Constraint>>,
    validate: boolean,
  ): PreparedParams<K> {
    const names = Object.keys(params) as K[];
    const owned: tf.Tensor[] = [];
    const raw = {} as Record<K, tf.Tensor>;
    const constants: Partial<Record<K, number>> = {};
    for (const name of names) {
      const value = params[name];
      if (value === undefined || value === null) {
        throw new ShapeError(name, `${owner}: "${name}" is required`);
      }
      const constant = uniformValue(value);
      if (constant !== undefined) constants[name] = constant;
      const t = toFloatTensor(value);
      if (t !== value) owned.push(t);
      raw[name] = t;
    }
    // Broadcast all parameters to one shape (batch dims, plus the event dims they carry).
    let shape: number[];
    try {
      shape = broadcastShapes(names.map((n) => raw[n].shape));
    } catch (e) {
      throw new ShapeError(names.join(', '), `${owner}: parameters ${(e as Error).message}`);
    }
    const tensors = {} as Record<K, tf.Tensor>;
    for (const name of names) {
      const t = raw[name];
      if (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) {
        tensors[name] = t;
      } else {
        // t + 0 broadcasts like tf.broadcastTo, but its gradient is one reduction: broadcastTo is a Tile, whose
        // gradient takes one Slice per repeat (128 per step for a shared scale over a batch of 128)
        const b = tf.tidy(() => tf.add(t, tf.zeros(shape)));
        owned.push(b);
        tensors[name] = b;
      }
    }
    if (validate) {
      try {
        for (const name of names) {
          const c = constraints[name];
          if (c) validateValue(owner, name, tensors[name], c);
        }
      } catch (e) {
        for (const t of owned) t.dispose();
        throw e;
      }
    }
    return { tensors, shape, owned, constants };
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
      const x = toFloatTensor(value);
      this.checkValueShape(x);
      if (this.validateArgs) {
        validateValue(this.displayName, 'value', x, this.support);
        return this._logProb(x);
      }
      const lp = this._logProb(x);
      const support = this.support;
      if (!this.maskOutOfSupport || isTrivialSupport(support)) return lp;
      // Without validation, values outside the support get −∞ (NaN values stay NaN).
      let ok = gradFreeMask([x], (v) => support.check(v));
      if (!shapesEqual(ok.shape, lp.shape)) ok = tf.broadcastTo(ok, lp.shape);
      return tf.where(ok, lp, tf.fill(lp.shape, -Infinity));
    });
  }

  /** Density (or mass) exp(logProb(value)). */
  prob(value: TensorLike): tf.Tensor {
    return tf.tidy(() => tf.exp(this.logProb(value)));
  }

  /**
   * Draws a sample of shape `[...sampleShape, ...batchShape, ...eventShape]`. No gradient flows through it.
   */
  sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): tf.Tensor {
    this.assertAlive();
    const shape = this.checkSampleShape(sampleShape);
    return tf.tidy(() => stopGradient(this._sample(shape, options.seed)));
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
    const shape = this.checkSampleShape(sampleShape);
    return tf.tidy(() => this._rsample(shape, options.seed));
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
  /** Cumulative distribution function P(X ≤ value), where closed-form. */
  cdf(value: TensorLike): tf.Tensor {
    this.assertAlive();
    return tf.tidy(() => {
      const x = toFloatTensor(value);
      this.checkValueShape(x);
      return this._cdf(x);
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
    const target = [...batchShape];
    let ok = Array.isArray(batchShape) && target.every((d) => Number.isInteger(d) && d >= 0);
    if (ok) {
      try {
        ok = shapesEqual(broadcastShapes([this.batchShape, target]), target);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      throw new ShapeError(
        'batchShape',
        `${this.displayName}.expand: batch shape [${this.batchShape.join(', ')}] does not broadcast to ${JSON.stringify(batchShape)}`,
      );
    }
    return this._expand(target) as this;
  }

  /**
   * The tensors that define this distribution, by constructor-option name, each of shape
   * `[...batchShape, ...parameterEventShape]`. Used by the generic {@link Distribution.expand}.
   */
  protected _params(): Record<string, tf.Tensor> {
    throw new NotImplementedError(`${this.displayName}.expand is not implemented`);
  }
  /** A new distribution of this family from parameters shaped like those of {@link Distribution._params}. */
  protected _withParams(_params: Record<string, tf.Tensor>, _options: DistributionOptions): Distribution {
    throw new NotImplementedError(`${this.displayName}.expand is not implemented`);
  }
  /** Generic expand: broadcasts every tensor of `_params()` and rebuilds with `_withParams` (which then owns them). */
  protected _expand(batchShape: number[]): Distribution {
    const params = this._params();
    const created: tf.Tensor[] = [];
    const expanded: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(params)) {
      const target = [...batchShape, ...t.shape.slice(this.batchShape.length)];
      const b = shapesEqual(t.shape, target) ? tf.clone(t) : tf.broadcastTo(t, target);
      created.push(b);
      expanded[name] = b;
    }
    try {
      const d = this._withParams(expanded, { validateArgs: this.validateArgs });
      d.adopt(created);
      return d;
    } catch (e) {
      for (const t of created) t.dispose();
      throw e;
    }
  }
  /** Makes this distribution responsible for disposing `tensors`. */
  protected adopt(tensors: readonly tf.Tensor[]): void {
    this.owned.push(...tensors);
  }

  /** Frees the tensors this distribution created (parameters given as tensors stay with their owner). */
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

  private run(f: () => tf.Tensor): tf.Tensor {
    this.assertAlive();
    return tf.tidy(f);
  }

  private assertAlive(): void {
    if (this.disposed) throw new ShapeError('this', `${this.displayName} was disposed`);
  }

  private checkSampleShape(sampleShape: readonly number[]): number[] {
    if (!Array.isArray(sampleShape) || sampleShape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError('sampleShape', `${this.displayName}: "sampleShape" must be an array of non-negative integers, got ${JSON.stringify(sampleShape)}`);
    }
    return this.extendedShape(sampleShape);
  }

  private checkValueShape(x: tf.Tensor): void {
    const expected = [...this.batchShape, ...this.eventShape];
    const ev = this.eventShape.length;
    if (x.rank < ev) {
      throw new ShapeError('value', `${this.displayName}: "value" must have event shape [${this.eventShape.join(', ')}], got shape [${x.shape.join(', ')}]`);
    }
    try {
      broadcastShapes([x.shape, expected]);
    } catch {
      throw new ShapeError(
        'value',
        `${this.displayName}: "value" of shape [${x.shape.join(', ')}] does not broadcast with batchShape+eventShape [${expected.join(', ')}]`,
      );
    }
    for (let i = 0; i < ev; i++) {
      if (x.shape[x.rank - ev + i] !== this.eventShape[i] && x.shape[x.rank - ev + i] !== 1) {
        throw new ShapeError('value', `${this.displayName}: "value" must have event shape [${this.eventShape.join(', ')}], got shape [${x.shape.join(', ')}]`);
      }
    }
  }
}
