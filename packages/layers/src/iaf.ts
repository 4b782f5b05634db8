import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import type { Activation } from './activation.js';
import type { FlowOutput, FlowStep } from './flow-step.js';
import type { Initializer } from './initializers.js';
import { checkFlowInputs, MADE } from './made.js';

/** Options of {@link InverseAutoregressiveFlow}. */
export interface InverseAutoregressiveFlowOptions {
  /** Width D of z. */
  dim: number;
  /** Hidden widths of the MADE; default `[max(16, 2D)]`. */
  hiddenUnits?: readonly number[];
  /** Width of the context c (e.g. the encoder's h); default 0. */
  contextDim?: number;
  /**
   * Added to s before the sigmoid, σ = sigmoid(s + gateBias); default 1 (Kingma et al. recommend a positive bias so
   * that each step starts close to z' ≈ σz, a gentle update).
   */
  gateBias?: number;
  /** MADE activation; default `'relu'`. */
  activation?: Activation;
  /** MADE initialisation; default `'torch'`. */
  init?: Initializer;
  /** Seed. Default 0. */
  seed?: number;
}

/**
 * One step of an inverse autoregressive flow (Kingma et al. 2016), in its numerically stable LSTM-type form:
 *
 * [m, s] = MADE(z; c),  σ = sigmoid(s + gateBias),  z′ = σ ⊙ z + (1 − σ) ⊙ m,  log |det ∂z′/∂z| = Σᵢ log σᵢ.
 *
 * m_i and σ_i depend on z_{<i} only, so the Jacobian is lower-triangular with diagonal σ. The forward pass (sampling
 * and its density) is one network evaluation; the inverse needs D sequential evaluations (`inverse`), which is why a
 * flow posterior made of IAF steps returns log q(z) together with its samples (`rsampleAndLogProb`) rather than
 * evaluating log q at arbitrary points. Stack steps with {@link PermuteFlow.reverse} in between.
 */
export class InverseAutoregressiveFlow implements FlowStep {
  readonly kind = 'iaf';
  readonly dim: number;
  readonly contextDim: number;
  /** The gate bias. */
  readonly gateBias: number;
  /** The autoregressive network giving m and s. */
  readonly made: MADE;

  constructor(options: InverseAutoregressiveFlowOptions) {
    const gateBias = options.gateBias ?? 1;
    if (!Number.isFinite(gateBias))
      throw new ArgumentError('gateBias', `InverseAutoregressiveFlow: "gateBias" must be finite, got ${gateBias}`);
    this.made = new MADE({
      inputDim: options.dim,
      hiddenUnits: options.hiddenUnits ?? [Math.max(16, 2 * options.dim)],
      outputsPerInput: 2,
      contextDim: options.contextDim ?? 0,
      activation: options.activation,
      init: options.init,
      seed: options.seed,
    });
    this.dim = this.made.inputDim;
    this.contextDim = this.made.contextDim;
    this.gateBias = gateBias;
  }

  /** m and log σ at z. */
  private gate(z: tf.Tensor, context?: tf.Tensor): { m: tf.Tensor; logSigma: tf.Tensor } {
    const [m, s] = this.made.apply(z, context) as [tf.Tensor2D, tf.Tensor2D];
    // log σ(x) = −softplus(−x) (tf.logSigmoid's custom gradient reads a tensor its tidy has already freed)
    return { m, logSigma: tf.neg(tf.softplus(tf.neg(tf.add(s, this.gateBias)))) };
  }

  forward(z: tf.Tensor, context?: tf.Tensor): FlowOutput {
    checkFlowInputs('InverseAutoregressiveFlow', z, this.dim, context, this.contextDim);
    return tf.tidy(() => {
      const { m, logSigma } = this.gate(z, context);
      const sigma = tf.exp(logSigma);
      const y = tf.add(tf.mul(sigma, z), tf.mul(tf.sub(1, sigma), m)) as tf.Tensor2D;
      return { y, logDet: tf.sum(logSigma, 1) as tf.Tensor1D };
    });
  }

  /**
   * z = f⁻¹(z′) by D sequential passes: after pass i the first i coordinates are exact (m_i and σ_i depend on z_{<i}),
   * z = (z′ − (1 − σ) ⊙ m) / σ. Costs D network evaluations.
   */
  inverse(y: tf.Tensor, context?: tf.Tensor): tf.Tensor2D {
    checkFlowInputs('InverseAutoregressiveFlow', y, this.dim, context, this.contextDim);
    return tf.tidy(() => {
      let z = tf.clone(y) as tf.Tensor2D;
      for (let i = 0; i < this.dim; i++) {
        const { m, logSigma } = this.gate(z, context);
        const sigma = tf.exp(logSigma);
        z = tf.div(tf.sub(y, tf.mul(tf.sub(1, sigma), m)), sigma) as tf.Tensor2D;
      }
      return z;
    });
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.made.namedVariables(prefix);
  }

  dispose(): void {
    this.made.dispose();
  }
}
