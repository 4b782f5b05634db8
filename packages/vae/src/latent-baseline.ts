import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '@varia/distributions';
import { collectVariables, Dense, type Initializer, type Module } from '@varia/layers';
import { type Baseline, type BaselineInput, type BaselineOutput, LearnedBaseline } from '@varia/losses';

/** Decay ρ of the moving average of the learning signal. */
const DECAY = 0.9;

/**
 * The score-function baseline of a Poisson-latent VAE, with its state in variables (so checkpoints, resume and the
 * divergence guard's roll-back carry it):
 *
 * - `'moving-average'`: b = m_{t−1}/(1 − ρ^{t−1}) (0 at the first step), m_t = ρ m_{t−1} + (1 − ρ) mean(f_t), ρ = 0.9;
 * - `'learned'` (NVIL, Mnih & Gregor 2014): b(x) = m + b_ψ(x), b_ψ a 32-unit ReLU network on the encoder's input,
 *   trained by the squared error (f − b(x))² (entering the loss as L − ⊥L: zero in value).
 *
 * b never depends on the sample it is subtracted from, so the gradient stays unbiased.
 */
export class LatentBaseline implements Baseline, Module {
  readonly name: 'moving-average' | 'learned';
  /** The moving average m of the signal (state). */
  readonly average: tf.Variable;
  /** How many steps updated m (state; a float for `tf.pow`). */
  readonly updates: tf.Variable;
  /** NVIL's network b_ψ (learned baseline only). */
  readonly network?: { hidden: Dense; out: Dense };
  private readonly learned?: LearnedBaseline;

  constructor(options: {
    kind: 'moving-average' | 'learned';
    dataDim: number;
    transform: (x: tf.Tensor) => tf.Tensor;
    init: Initializer;
    seed: number;
  }) {
    this.name = options.kind;
    const zero = tf.scalar(0);
    this.average = tf.variable(zero, false);
    this.updates = tf.variable(zero, false);
    zero.dispose(); // the variables keep their own references to the data
    if (options.kind === 'learned') {
      const hidden = new Dense({
        inputDim: options.dataDim,
        units: 32,
        activation: 'relu',
        init: options.init,
        seed: options.seed,
      });
      const out = new Dense({ inputDim: 32, units: 1, init: 'zeros', seed: options.seed + 1 });
      this.network = { hidden, out };
      this.learned = new LearnedBaseline({
        predict: (x) => tf.add(tf.reshape(out.apply(hidden.apply(options.transform(x))), [-1]), this.current()),
        centering: false,
      });
    }
  }

  /** The bias-corrected moving average (0 before the first update), without gradient. */
  private current(): tf.Tensor {
    return tf.tidy(() => {
      const corrected = tf.div(this.average, tf.sub(1, tf.pow(DECAY, tf.maximum(this.updates, 1))));
      return tf.where(tf.greater(this.updates, 0), corrected, tf.zerosLike(corrected));
    });
  }

  compute(input: BaselineInput): BaselineOutput {
    const out = this.learned ? this.learned.compute(input) : { value: this.current() };
    // update after reading: b never sees the current step's signal
    const next = tf.tidy(() =>
      tf.add(tf.mul(this.average, DECAY), tf.mul(tf.mean(stopGradient(input.signal)), 1 - DECAY)),
    );
    const count = tf.tidy(() => tf.add(this.updates, 1));
    this.average.assign(next);
    this.updates.assign(count);
    tf.dispose([next, count]);
    return out;
  }

  /** The trainable variables of b_ψ (`hidden/…`, `out/…`); none for the moving average. */
  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.network
      ? collectVariables(
          [
            ['hidden', this.network.hidden],
            ['out', this.network.out],
          ],
          prefix,
        )
      : new Map();
  }

  /** The state variables: `average` and `updates`. */
  stateVariables(prefix: string): Map<string, tf.Variable> {
    return new Map([
      [`${prefix}/average`, this.average],
      [`${prefix}/updates`, this.updates],
    ]);
  }

  dispose(): void {
    this.average.dispose();
    this.updates.dispose();
    this.network?.hidden.dispose();
    this.network?.out.dispose();
  }
}
