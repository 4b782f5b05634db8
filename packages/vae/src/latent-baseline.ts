import * as tf from '@tensorflow/tfjs-core';
import { collectVariables, Dense, type Initializer, type Module } from '@varia/layers';
import { type Baseline, LearnedBaseline, MovingAverageBaseline } from '@varia/losses';

/**
 * The score-function baseline of a Poisson-latent VAE, built from `@varia/losses`' baselines (their state lives in
 * variables, so checkpoints, resume and the divergence guard's roll-back carry it):
 *
 * - `'moving-average'`: `MovingAverageBaseline` (ρ = 0.9, bias-corrected);
 * - `'learned'` (NVIL, Mnih & Gregor 2014): `LearnedBaseline` with its centering moving average and b_ψ(x) a
 *   32-unit ReLU network on the encoder's input, trained by the squared error of the learning signal.
 *
 * b never depends on the sample it is subtracted from, so the gradient stays unbiased.
 */
export class LatentBaseline implements Module {
  /** The baseline the objective uses. */
  readonly baseline: Baseline & { stateVariables(prefix?: string): Map<string, tf.Variable>; dispose(): void };
  /** NVIL's network b_ψ (learned baseline only). */
  readonly network?: { hidden: Dense; out: Dense };

  constructor(options: {
    kind: 'moving-average' | 'learned';
    dataDim: number;
    transform: (x: tf.Tensor) => tf.Tensor;
    init: Initializer;
    seed: number;
  }) {
    if (options.kind === 'moving-average') {
      this.baseline = new MovingAverageBaseline();
      return;
    }
    const hidden = new Dense({
      inputDim: options.dataDim,
      units: 32,
      activation: 'relu',
      init: options.init,
      seed: options.seed,
    });
    const out = new Dense({ inputDim: 32, units: 1, init: 'zeros', seed: options.seed + 1 });
    this.network = { hidden, out };
    this.baseline = new LearnedBaseline({
      predict: (x) => tf.reshape(out.apply(hidden.apply(options.transform(x))), [-1]),
    });
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

  /** The baseline's state variables (its moving average), under `prefix/`. */
  stateVariables(prefix: string): Map<string, tf.Variable> {
    return this.baseline.stateVariables(prefix);
  }

  dispose(): void {
    this.baseline.dispose();
    this.network?.hidden.dispose();
    this.network?.out.dispose();
  }
}
