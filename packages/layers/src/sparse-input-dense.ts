import * as tf from '@tensorflow/tfjs-core';
import { DisposedError, SPARSE_INPUT_DENSE_BACKWARD_KERNEL, SPARSE_INPUT_DENSE_KERNEL, ShapeError } from '@varia/core';
import type { Activation } from './activation.js';
import type { Dense } from './dense.js';

/** The activations both kernels take (the forward's list ∩ the backward's f′ from the output). */
const SPARSE_INPUT_ACTIVATIONS: ReadonlySet<Activation> = new Set<Activation>(['linear', 'relu', 'sigmoid']);

/**
 * Whether {@link denseOfSparseInput} computes `layer` from its input's non-zero entries on the active backend: both
 * {@link SPARSE_INPUT_DENSE_KERNEL} and {@link SPARSE_INPUT_DENSE_BACKWARD_KERNEL} are registered (the wasm backend
 * with `@varia/native-kernels`) and the layer's activation is one they take (`linear`, `relu`, `sigmoid`).
 */
export function sparseInputDenseApplies(layer: Pick<Dense, 'activation'>): boolean {
  const backend = tf.getBackend();
  return (
    SPARSE_INPUT_ACTIVATIONS.has(layer.activation) &&
    tf.getKernel(SPARSE_INPUT_DENSE_KERNEL, backend) !== undefined &&
    tf.getKernel(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, backend) !== undefined
  );
}

/**
 * A dense layer y = f(x·W + b) on a dense input x [n, inputDim] that is mostly zeros (the data entering a network:
 * MNIST pixels, counts, log1p of counts), computed from x's non-zero entries, with gradients for W and b:
 *
 * yᵢ = f(b + Σ_{k : xᵢₖ ≠ 0} xᵢₖ·W[k, :]),  dW = xᵀ·δ,  db = Σᵢ δᵢ,  δ = dy ⊙ f′(y),
 *
 * by {@link SPARSE_INPUT_DENSE_KERNEL} forward and {@link SPARSE_INPUT_DENSE_BACKWARD_KERNEL} backward (one custom
 * gradient op). x gets no gradient: it is data, as with `Dense.apply(x, { constantInput: true })`. At d non-zeros
 * per cell both passes cost about d of the dense product's multiply-adds. The sums run in another order than a dense
 * product's, so y, dW and db differ from `layer.apply(x, { constantInput: true })` by float32 rounding; and a zero of
 * x times an infinite weight adds nothing here, where the dense product gives NaN.
 *
 * Where the kernels do not apply ({@link sparseInputDenseApplies} is false: another backend, or an activation the
 * kernels do not take) this is `layer.apply(x, { constantInput: true })`, the same bits.
 *
 * @example
 * ```ts
 * const h = denseOfSparseInput(encoder.layers[0], tf.log1p(counts)); // [n, units], trains W and b
 * ```
 * @throws ShapeError when x is not [n, inputDim]; DisposedError after the layer was disposed.
 */
export function denseOfSparseInput(layer: Dense, x: tf.Tensor): tf.Tensor2D {
  if (layer.kernel.isDisposed) throw new DisposedError('Dense');
  if (!sparseInputDenseApplies(layer)) return layer.apply(x, { constantInput: true });
  if (x.rank !== 2 || x.shape[1] !== layer.inputDim || x.dtype !== 'float32') {
    throw new ShapeError(
      'x',
      `Dense: input must be float32 of shape [batch, ${layer.inputDim}], got ${x.dtype} [${x.shape.join(', ')}]`,
    );
  }
  const { activation } = layer;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const y = tf
      .engine()
      .runKernel(SPARSE_INPUT_DENSE_KERNEL, { x, kernel, bias }, { activation, leakyreluAlpha: 0.2 }) as tf.Tensor2D;
    // x is saved with y: an intermediate input (log1p of the data) would otherwise be freed before the backward pass
    save([y, x]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [ys, xs] = saved as [tf.Tensor2D, tf.Tensor2D];
        return tf
          .engine()
          .runKernel(
            SPARSE_INPUT_DENSE_BACKWARD_KERNEL,
            { dy: dy as tf.Tensor2D, y: ys, x: xs },
            { activation },
          ) as tf.Tensor[];
      },
    };
  });
  return (op as unknown as (k: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D)(
    layer.kernel as tf.Tensor2D,
    layer.bias as tf.Tensor1D,
  );
}
