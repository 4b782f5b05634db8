import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DisposedError, mulberry32, nextSeed, ShapeError } from '@varia/core';
import { type Activation, applyActivation, assertActivation } from './activation.js';
import { type Initializer, initialDenseValues, makeVariable } from './initializers.js';
import { type Module, scopedName } from './module.js';

/** Options of {@link MADE}. */
export interface MADEOptions {
  /** Width D of the autoregressive input x. */
  inputDim: number;
  /** Widths of the hidden layers (at least one; use widths ≥ D − 1 so every output can see all its predecessors). */
  hiddenUnits: readonly number[];
  /** How many outputs per input dimension (e.g. 2 for a shift and a log-scale); default 2. */
  outputsPerInput?: number;
  /** Width of an optional context c (e.g. an encoder's h) fed, unmasked, into the first hidden layer and the output; default 0. */
  contextDim?: number;
  /** Hidden activation; default `'relu'`. */
  activation?: Activation;
  /** Initialisation of every layer; default `'torch'`. */
  init?: Initializer;
  /** Seed of the initialisation. Default 0. */
  seed?: number;
  /**
   * Start the output layer (its kernel, bias and context kernel) at zero, so every output is 0 at initialisation and a
   * flow step built on it starts at the identity (as Glow and Kingma et al.'s IAF code do); default false.
   */
  zeroOutput?: boolean;
}

function checkPositiveInt(value: unknown, argument: string): void {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new ArgumentError(argument, `MADE: "${argument}" must be a positive integer, got ${String(value)}`);
  }
}

/** The 0/1 mask [fanIn, fanOut] with entry 1 where `connected(inDegree, outDegree)`. */
function degreeMask(inDeg: number[], outDeg: number[], connected: (a: number, b: number) => boolean): tf.Tensor2D {
  const m = new Float32Array(inDeg.length * outDeg.length);
  inDeg.forEach((a, i) => outDeg.forEach((b, j) => (m[i * outDeg.length + j] = connected(a, b) ? 1 : 0)));
  // kept: a constant the layer owns (and disposes), not an intermediate of a caller's tf.tidy
  return tf.keep(tf.tensor2d(m, [inDeg.length, outDeg.length]));
}

/**
 * MADE, the masked autoencoder for distribution estimation (Germain et al. 2015): an MLP whose weights are masked so
 * that output i (of each of the `outputsPerInput` groups) depends on x₁ … x_{i−1} only — the Jacobian ∂out_i/∂x is
 * strictly lower-triangular. Degrees: input j has degree j (1-based), hidden unit k of every layer has degree
 * 1 + (k mod max(D − 1, 1)); a hidden unit of degree m sees inputs (or units) of degree ≤ m, and output i sees hidden
 * units of degree < i. A context c enters the first hidden layer and the output layer without a mask, so every output
 * (the first one too, which sees no hidden unit) may depend on it.
 *
 * h₁ = f((M₁ ⊙ W₁)ᵀx + W_cᵀc + b₁), …, out = (M_L ⊙ W_L)ᵀh_{L−1} + V_cᵀc + b_L, split into `outputsPerInput` tensors
 * [batch, D].
 *
 * The building block of inverse autoregressive flows ({@link InverseAutoregressiveFlow}).
 */
export class MADE implements Module {
  /** Width D of x. */
  readonly inputDim: number;
  /** Outputs per input dimension. */
  readonly outputsPerInput: number;
  /** Width of the context (0: none). */
  readonly contextDim: number;
  /** Hidden activation. */
  readonly activation: Activation;
  /** Kernels, input first ([fanIn, fanOut]; masked when applied). */
  readonly kernels: readonly tf.Variable[];
  /** Biases. */
  readonly biases: readonly tf.Variable[];
  /** Kernel of the context into the first hidden layer ([contextDim, hidden₁]), when `contextDim > 0`. */
  readonly contextKernel?: tf.Variable;
  /** Kernel of the context into the output layer ([contextDim, outputsPerInput·D]), when `contextDim > 0`. */
  readonly contextOutputKernel?: tf.Variable;
  private readonly masks: tf.Tensor2D[];

  constructor(options: MADEOptions) {
    const { inputDim, hiddenUnits } = options;
    checkPositiveInt(inputDim, 'inputDim');
    if (!Array.isArray(hiddenUnits) || hiddenUnits.length === 0) {
      throw new ArgumentError(
        'hiddenUnits',
        `MADE: "hiddenUnits" must be a non-empty array of positive integers, got ${JSON.stringify(hiddenUnits)}`,
      );
    }
    hiddenUnits.forEach((u) => checkPositiveInt(u, 'hiddenUnits'));
    const outputsPerInput = options.outputsPerInput ?? 2;
    checkPositiveInt(outputsPerInput, 'outputsPerInput');
    const contextDim = options.contextDim ?? 0;
    if (!Number.isInteger(contextDim) || contextDim < 0) {
      throw new ArgumentError(
        'contextDim',
        `MADE: "contextDim" must be a non-negative integer, got ${String(contextDim)}`,
      );
    }
    const activation = options.activation ?? 'relu';
    assertActivation(activation);
    this.inputDim = inputDim;
    this.outputsPerInput = outputsPerInput;
    this.contextDim = contextDim;
    this.activation = activation;

    const init = options.init ?? 'torch';
    const rng = mulberry32(options.seed ?? 0);
    const inDeg = Array.from({ length: inputDim }, (_, j) => j + 1);
    const hiddenDeg = hiddenUnits.map((u) => Array.from({ length: u }, (_, k) => 1 + (k % Math.max(inputDim - 1, 1))));
    const outDeg = Array.from({ length: outputsPerInput * inputDim }, (_, o) => (o % inputDim) + 1);
    const degrees = [inDeg, ...hiddenDeg, outDeg];
    const kernels: tf.Variable[] = [];
    const biases: tf.Variable[] = [];
    const masks: tf.Tensor2D[] = [];
    for (let l = 0; l + 1 < degrees.length; l++) {
      const fanIn = degrees[l]!.length;
      const fanOut = degrees[l + 1]!.length;
      const last = l + 2 === degrees.length;
      const { kernel, bias } = initialDenseValues(
        last && options.zeroOutput ? 'zeros' : init,
        fanIn + (l === 0 ? contextDim : 0),
        fanOut,
        mulberry32(nextSeed(rng)),
      );
      kernels.push(makeVariable(kernel.subarray(0, fanIn * fanOut), [fanIn, fanOut], 'made_kernel'));
      if (l === 0 && contextDim > 0) {
        this.contextKernel = makeVariable(kernel.subarray(fanIn * fanOut), [contextDim, fanOut], 'made_context_kernel');
      }
      biases.push(makeVariable(bias, [fanOut], 'made_bias'));
      masks.push(degreeMask(degrees[l]!, degrees[l + 1]!, last ? (a, b) => b > a : (a, b) => b >= a));
    }
    if (contextDim > 0) {
      const outputInit = options.zeroOutput ? 'zeros' : init;
      const { kernel } = initialDenseValues(outputInit, contextDim, outDeg.length, mulberry32(nextSeed(rng)));
      this.contextOutputKernel = makeVariable(kernel, [contextDim, outDeg.length], 'made_context_output_kernel');
    }
    this.kernels = kernels;
    this.biases = biases;
    this.masks = masks;
  }

  /**
   * The autoregressive outputs for x [batch, D] (and context c [batch, contextDim] when the MADE has one):
   * `outputsPerInput` tensors of shape [batch, D].
   * @throws ShapeError when x or c have the wrong shape; ArgumentError when c is missing or unexpected; DisposedError
   *   after {@link MADE.dispose}.
   */
  apply(x: tf.Tensor, context?: tf.Tensor): tf.Tensor2D[] {
    if (this.kernels[0]?.isDisposed) throw new DisposedError('MADE');
    checkFlowInputs('MADE', x, this.inputDim, context, this.contextDim);
    return tf.tidy(() => {
      let h: tf.Tensor2D = x as tf.Tensor2D;
      const last = this.kernels.length - 1;
      this.kernels.forEach((w, l) => {
        let a = tf.add(tf.matMul(h, tf.mul(w, this.masks[l]!) as tf.Tensor2D), this.biases[l]!) as tf.Tensor2D;
        const contextKernel = l === 0 ? this.contextKernel : l === last ? this.contextOutputKernel : undefined;
        if (contextKernel) a = tf.add(a, tf.matMul(context as tf.Tensor2D, contextKernel as tf.Tensor2D));
        h = (l === last ? a : applyActivation(this.activation, a)) as tf.Tensor2D;
      });
      return tf.split(h, this.outputsPerInput, 1) as tf.Tensor2D[];
    });
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    this.kernels.forEach((k, l) => {
      out.set(scopedName(prefix, `${l}/kernel`), k);
      out.set(scopedName(prefix, `${l}/bias`), this.biases[l]!);
    });
    if (this.contextKernel) out.set(scopedName(prefix, '0/context_kernel'), this.contextKernel);
    if (this.contextOutputKernel) {
      out.set(scopedName(prefix, `${this.kernels.length - 1}/context_kernel`), this.contextOutputKernel);
    }
    return out;
  }

  dispose(): void {
    for (const t of [...this.kernels, ...this.biases, ...this.masks]) t.dispose();
    this.contextKernel?.dispose();
    this.contextOutputKernel?.dispose();
  }
}

/**
 * Checks a flow input z [batch, dim] and its context [batch, contextDim] (required iff `contextDim > 0`).
 * @throws ShapeError for wrong shapes; ArgumentError for a missing or unexpected context.
 */
export function checkFlowInputs(
  name: string,
  z: tf.Tensor,
  dim: number,
  context: tf.Tensor | undefined,
  contextDim: number,
): void {
  if (z.rank !== 2 || z.shape[1] !== dim) {
    throw new ShapeError('z', `${name}: input must have shape [batch, ${dim}], got [${z.shape.join(', ')}]`);
  }
  if (contextDim === 0) {
    if (context !== undefined)
      throw new ArgumentError('context', `${name}: was built without a context ("contextDim" 0) but got one`);
    return;
  }
  if (context === undefined)
    throw new ArgumentError('context', `${name}: needs a context of shape [batch, ${contextDim}]`);
  if (context.rank !== 2 || context.shape[0] !== z.shape[0] || context.shape[1] !== contextDim) {
    throw new ShapeError(
      'context',
      `${name}: context must have shape [${z.shape[0]}, ${contextDim}], got [${context.shape.join(', ')}]`,
    );
  }
}
