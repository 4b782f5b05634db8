import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DisposedError, mulberry32, nextSeed } from '@varia/core';
import type { Activation } from './activation.js';
import { Dense } from './dense.js';
import type { FlowOutput, FlowStep } from './flow-step.js';
import type { Initializer } from './initializers.js';
import { checkFlowInputs } from './made.js';
import { MLP } from './mlp.js';
import { collectVariables } from './module.js';

/** Options of {@link AffineCoupling}. */
export interface AffineCouplingOptions {
  /** Width D of z (≥ 2: one part conditions the other). */
  dim: number;
  /** Hidden widths of the conditioner network; default `[max(16, 2D)]`. */
  hiddenUnits?: readonly number[];
  /** Width of the context c; default 0. */
  contextDim?: number;
  /** Which coordinates pass unchanged: those with index parity `parity` (0 or 1). Alternate it between steps. Default 0. */
  parity?: 0 | 1;
  /** Hidden activation; default `'relu'`. */
  activation?: Activation;
  /** Initialisation; default `'torch'`. */
  init?: Initializer;
  /** Seed. Default 0. */
  seed?: number;
}

/**
 * A RealNVP affine coupling layer (Dinh et al. 2017). With the binary mask b (bᵢ = 1 for the coordinates that pass
 * unchanged: index parity `parity`):
 *
 * [ŝ, t] = NN(b ⊙ z, c),  s = (1 − b) ⊙ tanh(ŝ),  y = b ⊙ z + (1 − b) ⊙ (z ⊙ eˢ + t),  log |det ∂y/∂z| = Σᵢ sᵢ.
 *
 * The Jacobian is triangular after sorting the coordinates (passed ones first) with diagonal eˢ; the inverse is one
 * network evaluation, z = b ⊙ y + (1 − b) ⊙ (y − t) ⊙ e⁻ˢ (b ⊙ y = b ⊙ z gives the same s and t). The tanh bounds each
 * step's log-scale to (−1, 1) for stable training; stack steps with alternating parity.
 */
export class AffineCoupling implements FlowStep {
  readonly kind = 'affine-coupling';
  readonly dim: number;
  readonly contextDim: number;
  /** The parity of the coordinates that pass unchanged. */
  readonly parity: 0 | 1;
  /** The conditioner's hidden layers. */
  readonly body: MLP;
  /** The conditioner's output layer: [ŝ, t], width 2D. */
  readonly out: Dense;
  private readonly keep: tf.Tensor1D;

  constructor(options: AffineCouplingOptions) {
    const { dim } = options;
    if (!Number.isInteger(dim) || dim < 2)
      throw new ArgumentError('dim', `AffineCoupling: "dim" must be an integer ≥ 2, got ${dim}`);
    const contextDim = options.contextDim ?? 0;
    if (!Number.isInteger(contextDim) || contextDim < 0) {
      throw new ArgumentError(
        'contextDim',
        `AffineCoupling: "contextDim" must be a non-negative integer, got ${String(contextDim)}`,
      );
    }
    const parity = options.parity ?? 0;
    if (parity !== 0 && parity !== 1)
      throw new ArgumentError('parity', `AffineCoupling: "parity" must be 0 or 1, got ${String(parity)}`);
    const rng = mulberry32(options.seed ?? 0);
    this.body = new MLP({
      inputDim: dim + contextDim,
      hiddenUnits: options.hiddenUnits ?? [Math.max(16, 2 * dim)],
      activation: options.activation ?? 'relu',
      init: options.init,
      seed: nextSeed(rng),
    });
    this.out = new Dense({ inputDim: this.body.outputDim, units: 2 * dim, init: options.init, seed: nextSeed(rng) });
    this.dim = dim;
    this.contextDim = contextDim;
    this.parity = parity;
    // kept: a constant the step owns (and disposes), not an intermediate of a caller's tf.tidy
    this.keep = tf.keep(tf.tensor1d(Array.from({ length: dim }, (_, i) => (i % 2 === parity ? 1 : 0))));
  }

  /** s and t from the passed coordinates b ⊙ v (v = z or y: they agree there). */
  private scaleShift(v: tf.Tensor, context?: tf.Tensor): { s: tf.Tensor; t: tf.Tensor } {
    if (this.keep.isDisposed) throw new DisposedError('AffineCoupling');
    const masked = tf.mul(v, this.keep);
    const input = context ? tf.concat([masked, context], 1) : masked;
    const [rawS, rawT] = tf.split(this.out.apply(this.body.apply(input)), 2, 1) as [tf.Tensor, tf.Tensor];
    const free = tf.sub(1, this.keep);
    return { s: tf.mul(tf.tanh(rawS), free), t: tf.mul(rawT, free) };
  }

  forward(z: tf.Tensor, context?: tf.Tensor): FlowOutput {
    checkFlowInputs('AffineCoupling', z, this.dim, context, this.contextDim);
    return tf.tidy(() => {
      const { s, t } = this.scaleShift(z, context);
      // s = t = 0 on the passed coordinates, so z ⊙ eˢ + t is z there
      return { y: tf.add(tf.mul(z, tf.exp(s)), t) as tf.Tensor2D, logDet: tf.sum(s, 1) as tf.Tensor1D };
    });
  }

  inverse(y: tf.Tensor, context?: tf.Tensor): tf.Tensor2D {
    checkFlowInputs('AffineCoupling', y, this.dim, context, this.contextDim);
    return tf.tidy(() => {
      const { s, t } = this.scaleShift(y, context);
      return tf.mul(tf.sub(y, t), tf.exp(tf.neg(s))) as tf.Tensor2D;
    });
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return collectVariables(
      [
        ['body', this.body],
        ['out', this.out],
      ],
      prefix,
    );
  }

  dispose(): void {
    this.body.dispose();
    this.out.dispose();
    this.keep.dispose();
  }
}
