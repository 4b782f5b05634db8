// Shared by the sparse-input kernel tests (excluded from the build): seeded mostly-zero inputs, float64 references
// with their float32 summation bounds, and the kernel calls.
import * as tf from '@tensorflow/tfjs-core';
import { SPARSE_INPUT_DENSE_BACKWARD_KERNEL, SPARSE_INPUT_DENSE_KERNEL } from '@varia/core';
import { randomArray } from './test-support.js';

/** A seeded dense [rows, cols] array with about `density` of its cells non-zero (in (−1, 1)), the rest exactly 0. */
export function sparseArray(rows: number, cols: number, density: number, seed: number): Float32Array {
  const u = randomArray(rows * cols * 2, seed);
  const out = new Float32Array(rows * cols);
  for (let c = 0; c < rows * cols; c++) if ((u[2 * c]! + 1) / 2 < density) out[c] = u[2 * c + 1]! || 0.5;
  return out;
}

/** The activations of the forward kernels (`SPARSE_DENSE_KERNEL`, `SPARSE_INPUT_DENSE_KERNEL`). */
export const FORWARD_ACTIVATIONS = ['linear', 'relu', 'relu6', 'leakyrelu', 'elu', 'sigmoid'];

/** f in float64 (the forward's activations; tanh for the backward tests). */
export const ACTIVATIONS: Record<string, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => Math.max(v, 0),
  relu6: (v) => Math.min(Math.max(v, 0), 6),
  leakyrelu: (v) => (v < 0 ? 0.2 * v : v),
  elu: (v) => (v < 0 ? Math.expm1(v) : v),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: Math.tanh,
};

/**
 * b + x·W in float64 over every cell of the dense x, and the float32 summation bound of each output: (k + 1)·2⁻²⁴·
 * (|b| + Σ|x·w|) for the k non-zero cells of the row (Higham, Accuracy and Stability, §3.1).
 */
export function referenceForward(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  n: number,
  inDim: number,
  units: number,
) {
  const value = new Float64Array(n * units);
  const bound = new Float64Array(n * units);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let k = 0; k < inDim; k++) if (x[i * inDim + k] !== 0) count++;
    for (let u = 0; u < units; u++) {
      let s = bias ? bias[u]! : 0;
      let a = Math.abs(s);
      for (let k = 0; k < inDim; k++) {
        const t = x[i * inDim + k]! * w[k * units + u]!;
        s += t;
        a += Math.abs(t);
      }
      value[i * units + u] = s;
      bound[i * units + u] = (count + 1) * 2 ** -24 * a;
    }
  }
  return { value, bound };
}

/** f′ from the output, as DENSE_BACKWARD_KERNEL defines it, in float64. */
const DERIVATIVES: Record<string, (y: number) => number> = {
  linear: () => 1,
  relu: (y) => (y > 0 ? 1 : 0),
  sigmoid: (y) => y * (1 - y),
  tanh: (y) => 1 - y * y,
};

/**
 * δ = dy ⊙ f′(y), dW = xᵀ·δ and db = Σ_rows δ in float64, with bounds: the float32 δ is off by at most
 * eδ = 3·2⁻²⁴·|dy|·(|f′(y)| + y²) (a few roundings, the y² of tanh's 1 − y·y included), and a sum of k terms adds
 * (k + 1)·2⁻²⁴·Σ|terms|.
 */
export function referenceBackward(
  dy: Float32Array,
  y: Float32Array,
  x: Float32Array,
  n: number,
  inDim: number,
  units: number,
  activation: string,
) {
  const fp = DERIVATIVES[activation]!;
  const delta = Array.from(dy, (g, c) => g * fp(y[c]!));
  const deltaError = Array.from(dy, (g, c) => 3 * 2 ** -24 * Math.abs(g) * (Math.abs(fp(y[c]!)) + y[c]! ** 2));
  const dw = new Float64Array(inDim * units);
  const dwBound = new Float64Array(inDim * units);
  for (let k = 0; k < inDim; k++) {
    let count = 0;
    for (let i = 0; i < n; i++) if (x[i * inDim + k] !== 0) count++;
    for (let u = 0; u < units; u++) {
      let s = 0;
      let a = 0;
      let e = 0;
      for (let i = 0; i < n; i++) {
        const t = x[i * inDim + k]! * delta[i * units + u]!;
        s += t;
        a += Math.abs(t);
        e += Math.abs(x[i * inDim + k]!) * deltaError[i * units + u]!;
      }
      dw[k * units + u] = s;
      dwBound[k * units + u] = (count + 1) * 2 ** -24 * a + e;
    }
  }
  const db = new Float64Array(units);
  const dbBound = new Float64Array(units);
  for (let u = 0; u < units; u++) {
    let a = 0;
    let e = 0;
    for (let i = 0; i < n; i++) {
      db[u]! += delta[i * units + u]!;
      a += Math.abs(delta[i * units + u]!);
      e += deltaError[i * units + u]!;
    }
    dbBound[u] = (n + 1) * 2 ** -24 * a + e;
  }
  return { dw, dwBound, db, dbBound };
}

/** The forward kernel on tensors made from the arrays (disposed again); the caller owns y. */
export function forward(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  n: number,
  inDim: number,
  units: number,
  activation = 'linear',
): tf.Tensor2D {
  return tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = {
      x: tf.tensor2d(x, [n, inDim]),
      kernel: tf.tensor2d(w, [inDim, units]),
    };
    if (bias) inputs.bias = tf.tensor1d(bias);
    return tf.engine().runKernel(SPARSE_INPUT_DENSE_KERNEL, inputs, { activation }) as tf.Tensor2D;
  });
}

/** The backward kernel on tensors made from the arrays; the caller owns [dW, db]. */
export function backward(
  dy: Float32Array,
  y: Float32Array,
  x: Float32Array,
  n: number,
  inDim: number,
  units: number,
  activation: string,
): [tf.Tensor2D, tf.Tensor1D] {
  return tf.tidy(() => {
    const inputs = {
      dy: tf.tensor2d(dy, [n, units]),
      y: tf.tensor2d(y, [n, units]),
      x: tf.tensor2d(x, [n, inDim]),
    };
    return tf.engine().runKernel(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, inputs, { activation }) as [
      tf.Tensor2D,
      tf.Tensor1D,
    ];
  });
}

/** Every |got − value| within its bound plus `slack`·(1 + |value|); the index of the first miss, or −1. */
export function firstMiss(
  got: ArrayLike<number>,
  value: ArrayLike<number>,
  bound: ArrayLike<number>,
  slack = 0,
): number {
  for (let c = 0; c < value.length; c++)
    if (!(Math.abs(got[c]! - value[c]!) <= bound[c]! + slack * (1 + Math.abs(value[c]!)))) return c;
  return -1;
}
