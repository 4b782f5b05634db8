import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  DENSE_BACKWARD_KERNEL,
  DisposedError,
  FAST_TRANSPOSED_MATMUL,
  mulberry32,
  ShapeError,
} from '@varia/core';
import {
  type Activation,
  activationGradFromOutput,
  applyActivation,
  assertActivation,
  isFusedActivation,
} from './activation.js';
import { type Initializer, initialDenseValues, makeVariable } from './initializers.js';
import { type Module, scopedName } from './module.js';

/** Options of {@link Dense}. */
export interface DenseOptions {
  /** Input width (fan-in). */
  inputDim: number;
  /** Output width (fan-out). */
  units: number;
  /** Activation f in y = f(xW + b); default `'linear'`. */
  activation?: Activation;
  /** Initialisation scheme; default `'torch'` (PyTorch's nn.Linear). */
  init?: Initializer;
  /** Seed of the initialisation; the same seed gives the same weights. Default 0. */
  seed?: number;
}

type DenseFn = (x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

/**
 * Whether the active backend multiplies transposed operands at full speed: true when its `BatchMatMul` kernel says
 * so (`@varia/native-kernels` marks its own) and for backends other than wasm and cpu (tfjs-node, WebGL, WebGPU
 * read transposed operands natively). tfjs-wasm's own kernel is ~10× slower with a transpose flag.
 */
export function transposedMatMulIsFast(): boolean {
  const backend = tf.getBackend();
  const kernel = tf.getKernel(tf.BatchMatMul, backend) as (tf.KernelConfig & Record<string, unknown>) | undefined;
  return kernel?.[FAST_TRANSPOSED_MATMUL] === true || (backend !== 'wasm' && backend !== 'cpu');
}

/** δ · Wᵀ, with a transpose flag where the backend reads it at full speed, else on an explicit transpose. */
function timesTransposed(delta: tf.Tensor2D, w: tf.Tensor2D, fast: boolean): tf.Tensor2D {
  return fast ? tf.matMul(delta, w, false, true) : tf.matMul(delta, tf.transpose(w));
}

/** xᵀ · δ, likewise. */
function transposedTimes(x: tf.Tensor2D, delta: tf.Tensor2D, fast: boolean): tf.Tensor2D {
  return fast ? tf.matMul(x, delta, true, false) : tf.matMul(tf.transpose(x), delta);
}

/**
 * Builds y = f(xW + b) with a hand-written backward pass that, on tfjs-wasm's own kernels, uses only plain matMuls on
 * explicitly transposed operands (its matMul is ~10× slower with a transpose flag, which the default gradient uses):
 *
 * δ = dy ⊙ f′ (from the saved output), dx = δ · transpose(W), dW = transpose(x) · δ, db = Σ_rows δ.
 *
 * Where the backend reads transposed operands at full speed ({@link transposedMatMulIsFast}) the transposes become
 * matMul flags instead, which saves the copies.
 *
 * The forward pass uses `tf.fused.matMul` (bias and activation fused) where tfjs supports the activation.
 */
function makeDenseFn(activation: Activation): DenseFn {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const y = denseForward(activation, x, kernel, bias);
    // The kernel is the layer's variable, which outlives the step and keeps its value until the optimizer runs after
    // the backward pass: it is read from the closure. Saving it would make the tape clone it (a kernel and a tape node
    // per layer and step).
    save([x, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ys] = saved as [tf.Tensor2D, tf.Tensor2D];
        const ks = kernel;
        const fused = fusedBackward(activation, dy as tf.Tensor2D, ys, xs, ks, true);
        if (fused) return fused;
        const fPrime = activationGradFromOutput(activation, ys);
        const delta = (fPrime ? tf.mul(dy as tf.Tensor2D, fPrime) : dy) as tf.Tensor2D;
        const fast = transposedMatMulIsFast();
        return [timesTransposed(delta, ks, fast), transposedTimes(xs, delta, fast), tf.sum(delta, 0)];
      },
    };
  });
  return op as unknown as DenseFn;
}

/** Activations whose derivative the fused backward kernel takes from the output. */
const FUSED_BACKWARD = new Set<Activation>(['linear', 'relu', 'sigmoid', 'tanh']);

/**
 * The whole backward pass — [dx,] dW, db — as one {@link DENSE_BACKWARD_KERNEL} call where the backend has that
 * kernel (`@varia/native-kernels`, `@varia/wasm-kernels`), it takes the activation and every operand is float32;
 * undefined otherwise (the caller composes it).
 */
function fusedBackward(
  activation: Activation,
  dy: tf.Tensor2D,
  y: tf.Tensor2D,
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  inputGradient: boolean,
): tf.Tensor[] | undefined {
  if (!FUSED_BACKWARD.has(activation) || tf.getKernel(DENSE_BACKWARD_KERNEL, tf.getBackend()) === undefined) {
    return undefined;
  }
  // the kernel takes float32 operands: an int32 x (which the forward pass cast) is composed as before
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || y.dtype !== 'float32' || kernel.dtype !== 'float32') {
    return undefined;
  }
  return tf
    .engine()
    .runKernel(DENSE_BACKWARD_KERNEL, { dy, y, x, kernel }, { activation, inputGradient }) as tf.Tensor[];
}

/**
 * Whether the active backend's `_FusedMatMul` kernel takes 2-D operands and applies the activation itself even while
 * gradients are recorded (the native kernels say so with the same tag as their matMul). `tf.fused.matMul` otherwise
 * unfuses any activation but linear inside a gradient scope (matMul + add + activation) and wraps the kernel in three
 * reshapes — six kernels instead of one per ReLU layer, and on wasm each kernel costs ~10 µs of dispatch.
 */
function fusedKernelIsDirect(): boolean {
  const kernel = tf.getKernel(tf._FusedMatMul, tf.getBackend()) as
    | (tf.KernelConfig & Record<string, unknown>)
    | undefined;
  return kernel?.[FAST_TRANSPOSED_MATMUL] === true;
}

/**
 * The forward pass y = f(xW + b), fused where the backend can. Tidy: customGrad does not scope it. Our custom
 * gradient differentiates the layer, so the fused kernel may run directly, activation included, where it accepts that.
 */
function denseForward(activation: Activation, x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (isFusedActivation(activation) && fusedKernelIsDirect()) {
    return tf
      .engine()
      .runKernel(
        tf._FusedMatMul,
        { a: x, b: kernel, bias },
        { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 },
      ) as tf.Tensor2D;
  }
  return tf.tidy(
    (): tf.Tensor2D =>
      isFusedActivation(activation)
        ? (tf.fused.matMul({ a: x, b: kernel, bias, activation }) as tf.Tensor2D)
        : (applyActivation(activation, tf.fused.matMul({ a: x, b: kernel, bias })) as tf.Tensor2D),
  );
}

/**
 * The same layer for an input that needs no gradient (the data entering the first layer): x is not an input of the
 * custom op, so the backward pass skips dx = δ·Wᵀ — for a 784→400 first layer that is one of the step's six large
 * matMuls. Gradients still flow to W and b.
 */
function constantInputDense(
  activation: Activation,
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [k, b, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const y = denseForward(activation, x, k, b);
    // x is saved too: an intermediate input (e.g. log1p of the data) would otherwise be disposed before backprop
    save([y, x]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [ys, xs] = saved as [tf.Tensor2D, tf.Tensor2D];
        const fused = fusedBackward(activation, dy as tf.Tensor2D, ys, xs, k, false);
        if (fused) return fused;
        const fPrime = activationGradFromOutput(activation, ys);
        const delta = (fPrime ? tf.mul(dy as tf.Tensor2D, fPrime) : dy) as tf.Tensor2D;
        return [transposedTimes(xs, delta, transposedMatMulIsFast()), tf.sum(delta, 0)];
      },
    };
  });
  return (op as unknown as (k: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D)(kernel, bias);
}

const denseFns = new Map<Activation, DenseFn>();
function denseFn(activation: Activation): DenseFn {
  let f = denseFns.get(activation);
  if (!f) {
    f = makeDenseFn(activation);
    denseFns.set(activation, f);
  }
  return f;
}

/** Options of {@link Dense.apply} and {@link MLP.apply}. */
export interface ApplyOptions {
  /**
   * The input is data that needs no gradient (default false). The backward pass then skips dx, which saves one
   * large matMul per step in a network's first layer. Do not set it when gradients must reach x.
   */
  constantInput?: boolean;
}

/**
 * A fully connected layer y = f(xW + b) that owns its variables: kernel W [inputDim, units] and bias b [units].
 * Its gradient avoids transposed matMuls (see the package README for the measured speed-up on wasm).
 *
 * @example
 * ```ts
 * const layer = new Dense({ inputDim: 784, units: 400, activation: 'relu', seed: 0 });
 * const h = layer.apply(x); // [batch, 400]
 * ```
 */
export class Dense implements Module {
  /** Input width. */
  readonly inputDim: number;
  /** Output width. */
  readonly units: number;
  /** The activation f. */
  readonly activation: Activation;
  /** Kernel W, shape [inputDim, units]. */
  readonly kernel: tf.Variable;
  /** Bias b, shape [units]. */
  readonly bias: tf.Variable;
  private readonly fn: DenseFn;

  constructor(options: DenseOptions) {
    const { inputDim, units } = options;
    if (!Number.isInteger(inputDim) || inputDim < 1) {
      throw new ArgumentError('inputDim', `Dense: "inputDim" must be a positive integer, got ${inputDim}`);
    }
    if (!Number.isInteger(units) || units < 1) {
      throw new ArgumentError('units', `Dense: "units" must be a positive integer, got ${units}`);
    }
    const activation = options.activation ?? 'linear';
    assertActivation(activation);
    this.inputDim = inputDim;
    this.units = units;
    this.activation = activation;
    const { kernel, bias } = initialDenseValues(
      options.init ?? 'torch',
      inputDim,
      units,
      mulberry32(options.seed ?? 0),
    );
    this.kernel = makeVariable(kernel, [inputDim, units], 'kernel');
    this.bias = makeVariable(bias, [units], 'bias');
    this.fn = denseFn(activation);
  }

  /**
   * y = f(xW + b) for x of shape [batch, inputDim].
   * @throws ShapeError when x is not 2-D with `inputDim` columns; DisposedError after {@link Dense.dispose}.
   */
  apply(x: tf.Tensor, options: ApplyOptions = {}): tf.Tensor2D {
    if (this.kernel.isDisposed) throw new DisposedError('Dense');
    if (x.rank !== 2 || x.shape[1] !== this.inputDim) {
      throw new ShapeError('x', `Dense: input must have shape [batch, ${this.inputDim}], got [${x.shape.join(', ')}]`);
    }
    if (options.constantInput) {
      return constantInputDense(
        this.activation,
        x as tf.Tensor2D,
        this.kernel as tf.Tensor2D,
        this.bias as tf.Tensor1D,
      );
    }
    return this.fn(x as tf.Tensor2D, this.kernel as tf.Tensor2D, this.bias as tf.Tensor1D);
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return new Map([
      [scopedName(prefix, 'kernel'), this.kernel],
      [scopedName(prefix, 'bias'), this.bias],
    ]);
  }

  dispose(): void {
    this.kernel.dispose();
    this.bias.dispose();
  }
}
