import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { checkFlowInputs } from './made.js';
import { collectVariables, type Module } from './module.js';

/** What a {@link FlowStep} returns: the transformed value and log |det ∂y/∂z| per row. */
export interface FlowOutput {
  /** y = f(z; c), shape [batch, dim]. */
  y: tf.Tensor2D;
  /** log |det ∂y/∂z|, shape [batch]. */
  logDet: tf.Tensor1D;
}

/**
 * One trainable step of a normalizing flow on ℝᴰ, optionally conditioned on a context c (an encoder's h): a
 * bijector-like map with its own variables. Steps act on rows: z is [batch, dim], c is [batch, contextDim].
 * `inverse` is present where the step can be inverted (coupling and permutation in one pass, IAF in D passes).
 * Outputs live in the caller's `tf.tidy` scope.
 */
export interface FlowStep extends Module {
  /** The step's kind, e.g. `"iaf"`. */
  readonly kind: string;
  /** Width D of z. */
  readonly dim: number;
  /** Width of the context (0: unconditional). */
  readonly contextDim: number;
  /** y = f(z; c) and log |det ∂y/∂z|. */
  forward(z: tf.Tensor, context?: tf.Tensor): FlowOutput;
  /** z = f⁻¹(y; c). */
  inverse(y: tf.Tensor, context?: tf.Tensor): tf.Tensor2D;
}

/**
 * A fixed permutation of the coordinates, y_i = z_{π(i)} (log-det 0): stacked between autoregressive or coupling
 * steps so that every coordinate gets transformed. {@link PermuteFlow.reverse} gives the reversal used by IAF and
 * MAF stacks. No variables.
 */
export class PermuteFlow implements FlowStep {
  readonly kind = 'permute';
  readonly dim: number;
  readonly contextDim: number;
  /** π: y_i = z_{π(i)}. */
  readonly permutation: readonly number[];
  private readonly inversePermutation: number[];

  /** @throws ArgumentError when `permutation` is not a permutation of 0 … D − 1 or `contextDim` is invalid. */
  constructor(options: {
    /** π, a permutation of 0 … D − 1. */
    permutation: readonly number[];
    /** Width of the context the stack passes (ignored by this step); default 0. */
    contextDim?: number;
  }) {
    const p = options.permutation;
    const n = Array.isArray(p) ? p.length : 0;
    const seen = new Set(p);
    if (n === 0 || seen.size !== n || p.some((i) => !Number.isInteger(i) || i < 0 || i >= n)) {
      throw new ArgumentError(
        'permutation',
        `PermuteFlow: "permutation" must be a permutation of 0 … D − 1, got ${JSON.stringify(p)}`,
      );
    }
    const contextDim = options.contextDim ?? 0;
    if (!Number.isInteger(contextDim) || contextDim < 0) {
      throw new ArgumentError(
        'contextDim',
        `PermuteFlow: "contextDim" must be a non-negative integer, got ${String(contextDim)}`,
      );
    }
    this.dim = n;
    this.contextDim = contextDim;
    this.permutation = [...p];
    this.inversePermutation = new Array<number>(n);
    p.forEach((src, i) => (this.inversePermutation[src] = i));
  }

  /** The reversal y_i = z_{D−1−i}. */
  static reverse(dim: number, contextDim = 0): PermuteFlow {
    if (!Number.isInteger(dim) || dim < 1)
      throw new ArgumentError('dim', `PermuteFlow: "dim" must be a positive integer, got ${dim}`);
    return new PermuteFlow({ permutation: Array.from({ length: dim }, (_, i) => dim - 1 - i), contextDim });
  }

  forward(z: tf.Tensor, context?: tf.Tensor): FlowOutput {
    checkFlowInputs('PermuteFlow', z, this.dim, context, this.contextDim);
    return tf.tidy(() => ({
      y: permuteColumns(z, this.permutation),
      logDet: tf.zeros([z.shape[0]!]) as tf.Tensor1D,
    }));
  }

  inverse(y: tf.Tensor, context?: tf.Tensor): tf.Tensor2D {
    checkFlowInputs('PermuteFlow', y, this.dim, context, this.contextDim);
    return tf.tidy(() => permuteColumns(y, this.inversePermutation));
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map();
  }

  dispose(): void {}
}

/**
 * Columns of z [n, D] reordered, y_i = z_{π(i)}: a reversal is `tf.reverse`, any other permutation a matMul by its
 * 0/1 matrix. (Not `tf.gather`: its gradient needs UnsortedSegmentSum, which the wasm backend does not have.)
 */
function permuteColumns(z: tf.Tensor, permutation: readonly number[]): tf.Tensor2D {
  const d = permutation.length;
  if (permutation.every((p, i) => p === d - 1 - i)) return tf.reverse(z, 1) as tf.Tensor2D;
  const matrix = new Float32Array(d * d);
  permutation.forEach((src, i) => (matrix[src * d + i] = 1));
  return tf.matMul(z as tf.Tensor2D, tf.tensor2d(matrix, [d, d]));
}

/**
 * Steps applied in order, f = f_K ∘ … ∘ f₁, with log |det ∂y/∂z| = Σₖ log |det ∂f_k| (the chain rule). All steps share
 * D and the context width. Owns its steps (`dispose` frees them); variables are named `<k>/…`.
 */
export class FlowSequence implements FlowStep {
  readonly kind = 'sequence';
  readonly dim: number;
  readonly contextDim: number;
  /** The steps, first applied first. */
  readonly steps: readonly FlowStep[];

  /** @throws ArgumentError when `steps` is empty or the steps disagree on `dim` or `contextDim`. */
  constructor(steps: readonly FlowStep[]) {
    if (!Array.isArray(steps) || steps.length === 0)
      throw new ArgumentError('steps', 'FlowSequence: "steps" must be a non-empty array of flow steps');
    const [first] = steps;
    const bad = steps.findIndex((s) => s.dim !== first!.dim || s.contextDim !== first!.contextDim);
    if (bad >= 0) {
      throw new ArgumentError(
        'steps',
        `FlowSequence: every step needs dim ${first!.dim} and contextDim ${first!.contextDim}; step ${bad} has ${steps[bad]!.dim} and ${steps[bad]!.contextDim}`,
      );
    }
    this.steps = [...steps];
    this.dim = first!.dim;
    this.contextDim = first!.contextDim;
  }

  forward(z: tf.Tensor, context?: tf.Tensor): FlowOutput {
    checkFlowInputs('FlowSequence', z, this.dim, context, this.contextDim);
    return tf.tidy(() => {
      let y = z as tf.Tensor2D;
      let logDet = tf.zeros([z.shape[0]!]) as tf.Tensor1D;
      for (const step of this.steps) {
        const out = step.forward(y, context);
        y = out.y;
        logDet = tf.add(logDet, out.logDet);
      }
      return { y, logDet };
    });
  }

  inverse(y: tf.Tensor, context?: tf.Tensor): tf.Tensor2D {
    checkFlowInputs('FlowSequence', y, this.dim, context, this.contextDim);
    return tf.tidy(() => this.steps.reduceRight((acc, step) => step.inverse(acc, context), y as tf.Tensor2D));
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return collectVariables(
      this.steps.map((s, k) => [String(k), s]),
      prefix,
    );
  }

  dispose(): void {
    for (const s of this.steps) s.dispose();
  }
}
