import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { stopGradient } from '@varia/distributions';

/** What a {@link Baseline} sees in one step of a score-function objective. */
export interface BaselineInput {
  /** The observed batch x, `[n, …]`. */
  x: tf.Tensor;
  /** The learning signal f(z_k) of each sample, `[K, n]`, without gradient (the ELBO integrand, or the IWAE bound). */
  signal: tf.Tensor;
}

/** A baseline's answer for one step. Tensors live in the caller's `tf.tidy` scope. */
export interface BaselineOutput {
  /**
   * The control variate b, `[K, n]` or broadcastable to it (a scalar, `[n]`), without gradient. It must not depend on
   * the sample z_k it is subtracted from, so that E_q[b ∇φ log q(z|x)] = 0 and the gradient stays unbiased.
   */
  value: tf.Tensor;
  /**
   * A loss per example `[n]` whose gradient trains the baseline's own parameters (NVIL's squared error). The objective
   * adds it as `loss − ⊥loss`: zero in value, so the reported ELBO is unchanged, with the gradient of `loss`.
   */
  loss?: tf.Tensor;
}

/**
 * A control variate for the score-function estimator: the gradient becomes (f(z) − b) ∇φ log q(z|x) + ∇f(z), unbiased
 * for any b that does not depend on z, and of lower variance the closer b is to E[f | x]. Built-ins:
 * {@link MovingAverageBaseline}, {@link LearnedBaseline} (NVIL), and the `'leave-one-out'` option of the objectives.
 */
export interface Baseline {
  /** A short name, e.g. `'moving-average'`, reported with the estimator. */
  readonly name: string;
  /** The baseline for this step; stateful baselines update themselves here (after reading their current value). */
  compute(input: BaselineInput): BaselineOutput;
  /**
   * The non-trainable state the baseline updates (e.g. a moving average), by name: a trainer saves it in checkpoints
   * and rolls it back with the weights, so a resumed run continues exactly. Names start with `prefix/` when a prefix is
   * given. Absent or empty for a stateless baseline.
   */
  stateVariables?(prefix?: string): Map<string, tf.Variable>;
}

/** Options of {@link MovingAverageBaseline}. */
export interface MovingAverageBaselineOptions {
  /** Decay ρ of the exponential moving average, in [0, 1); default 0.9. */
  decay?: number;
}

/**
 * The moving-average baseline: b_t = the exponential moving average of the batch-mean learning signal over the
 * previous steps, bias-corrected as in Adam,
 *
 * m_t = ρ m_{t−1} + (1 − ρ) mean(f_t),  b_t = m_{t−1} / (1 − ρ^{t−1})  (b_1 = 0),
 *
 * so b_t never depends on the current samples. Input-independent: it removes the signal's global offset (large for
 * the ELBO: log p(x|z) is a sum over features), not its per-example part — see {@link LearnedBaseline}.
 * The bias correction 1 − ρ^t is itself kept as a moving average of ones (w_t = ρ w_{t−1} + (1 − ρ)), so the whole
 * state lives in two non-trainable variables ({@link MovingAverageBaseline.stateVariables}): `dispose()` them.
 */
export class MovingAverageBaseline implements Baseline {
  readonly name = 'moving-average';
  /** The decay ρ. */
  readonly decay: number;
  private readonly average: tf.Variable;
  /** 1 − ρ^t, the total weight of the observations folded in so far (0 before the first). */
  private readonly weight: tf.Variable;
  private steps = 0;

  constructor(options: MovingAverageBaselineOptions = {}) {
    const decay = options.decay ?? 0.9;
    if (!(decay >= 0 && decay < 1))
      throw new ArgumentError('decay', `MovingAverageBaseline: "decay" must be in [0, 1), got ${decay}`);
    this.decay = decay;
    const zero = tf.scalar(0);
    this.average = tf.variable(zero, false);
    this.weight = tf.variable(zero, false);
    zero.dispose(); // the variables keep their own reference to the data
  }

  /** How many steps have updated the average in this object (not restored with the state). */
  get updates(): number {
    return this.steps;
  }

  /** The running average m_t and its weight 1 − ρ^t, as `average` and `weight` (after `prefix/` when given). */
  stateVariables(prefix?: string): Map<string, tf.Variable> {
    const name = (k: string): string => (prefix ? `${prefix}/${k}` : k);
    return new Map([
      [name('average'), this.average],
      [name('weight'), this.weight],
    ]);
  }

  /** The current baseline value b (bias-corrected; 0 before the first update). You own the result. */
  current(): tf.Scalar {
    return tf.tidy(() => {
      const seen = tf.greater(this.weight, 0);
      return tf.where(
        seen,
        tf.div(this.average, tf.where(seen, this.weight, tf.onesLike(this.weight))),
        0,
      ) as tf.Scalar;
    });
  }

  compute(input: BaselineInput): BaselineOutput {
    const value = this.current();
    this.update(tf.mean(input.signal));
    return { value };
  }

  /** Folds one observation into the average (`observed` is consumed). */
  private update(observed: tf.Tensor): void {
    const [next, nextWeight] = tf.tidy(() => [
      tf.add(tf.mul(this.average, this.decay), tf.mul(stopGradient(observed), 1 - this.decay)),
      tf.add(tf.mul(this.weight, this.decay), 1 - this.decay),
    ]);
    observed.dispose();
    this.average.assign(next!);
    this.weight.assign(nextWeight!);
    tf.dispose([next!, nextWeight!]);
    this.steps++;
  }

  /** Forgets the history (b = 0 again). */
  reset(): void {
    const zero = tf.scalar(0);
    this.average.assign(zero);
    this.weight.assign(zero);
    zero.dispose();
    this.steps = 0;
  }

  /** Frees the state's variables. */
  dispose(): void {
    this.average.dispose();
    this.weight.dispose();
  }
}

/** Options of {@link LearnedBaseline}. */
export interface LearnedBaselineOptions {
  /**
   * The input-dependent baseline b_ψ(x): maps the batch x `[n, …]` to one value per example, `[n]` (or `[n, 1]`).
   * Its trainable variables (ψ, e.g. a small MLP from `@varia/layers`) must be among those the optimizer updates:
   * they are trained by the squared error of the learning signal. Its tensors live in the caller's `tf.tidy`.
   */
  predict: (x: tf.Tensor) => tf.Tensor;
  /**
   * Also subtract a moving average c of the signal (NVIL's centering), so b_ψ learns only the per-example residual:
   * the decay ρ of that average, or `false` for none. Default 0.9.
   */
  centering?: number | false;
}

/**
 * The input-dependent learned baseline of NVIL (Mnih & Gregor 2014): b(x) = c + b_ψ(x), with c a moving average of the
 * signal (optional centering) and b_ψ a network the user supplies, trained alongside the model by minimizing
 *
 * L_ψ = mean_k (f(z_k) − c − b_ψ(x))²,
 *
 * which enters the objective as L_ψ − ⊥L_ψ (zero in value). NVIL's variance normalization is not applied: it
 * rescales the step, which an adaptive optimizer (Adam) already does. Dispose it to free the centering average
 * (the network is the user's).
 */
export class LearnedBaseline implements Baseline {
  readonly name = 'learned';
  private readonly predict: (x: tf.Tensor) => tf.Tensor;
  private readonly centering: MovingAverageBaseline | undefined;

  constructor(options: LearnedBaselineOptions) {
    if (typeof options?.predict !== 'function') {
      throw new ArgumentError('predict', 'LearnedBaseline: "predict" must be a function x → b(x) of shape [n]');
    }
    const c = options.centering ?? 0.9;
    this.predict = options.predict;
    this.centering = c === false ? undefined : new MovingAverageBaseline({ decay: c });
  }

  compute(input: BaselineInput): BaselineOutput {
    const n = input.x.shape[0]!;
    let b = this.predict(input.x);
    if (b.rank === 2 && b.shape[1] === 1) b = tf.reshape(b, [n]);
    if (b.rank !== 1 || b.shape[0] !== n) {
      throw new ShapeError(
        'predict',
        `LearnedBaseline: "predict" must return one value per example, [${n}], got [${b.shape.join(', ')}]`,
      );
    }
    const c = this.centering ? this.centering.compute(input).value : tf.scalar(0);
    const loss = tf.mean(tf.square(tf.sub(tf.sub(input.signal, c), b)), 0);
    return { value: tf.add(c, stopGradient(b)), loss };
  }

  /** The centering average's state (`centering/average`, `centering/weight`, after `prefix/`); empty without centering. */
  stateVariables(prefix?: string): Map<string, tf.Variable> {
    return this.centering?.stateVariables(prefix ? `${prefix}/centering` : 'centering') ?? new Map();
  }

  /** Frees the centering average. */
  dispose(): void {
    this.centering?.dispose();
  }
}
