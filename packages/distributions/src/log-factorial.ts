import * as tf from '@tensorflow/tfjs-core';

/*
 * log x! of count data on the host. The Poisson likelihood's log Γ(x + 1) depends on the data only, so in a training
 * step it is a constant of the batch: a table look-up on the host (where the backend keeps tensors in host memory)
 * instead of a Relu, an Add and an lgamma kernel on the tape in every step.
 */

/** Counts below this are looked up in a table of log k!; larger ones use Stirling's series. */
const TABLE_SIZE = 1024;
let table: Float64Array | undefined;

/** log k! for k = 0 … TABLE_SIZE − 1, summed in double precision (error below 1e-12, far below float32's ulp). */
function logFactorialTable(): Float64Array {
  if (table) return table;
  table = new Float64Array(TABLE_SIZE);
  for (let k = 2; k < TABLE_SIZE; k++) table[k] = table[k - 1]! + Math.log(k);
  return table;
}

/**
 * log k! for k = 0 … 1023 rounded to float32 (a new array): the values {@link hostLogFactorial} gives for counts below
 * 1024, for a look-up elsewhere (the wasm table look-up of `@varia/vae`'s fused training step).
 */
export function logFactorialTable32(): Float32Array {
  return Float32Array.from(logFactorialTable());
}

/**
 * log n! for a non-negative integer n in double precision: the table below 1024, else Stirling's series
 * n log n − n + ½ log(2πn) + 1/(12n) − 1/(360n³) + 1/(1260n⁵) (relative error below 1e-17 for n ≥ 1024).
 */
function logFactorial(n: number): number {
  if (n < TABLE_SIZE) return logFactorialTable()[n]!;
  const inv = 1 / n;
  const inv2 = inv * inv;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

/** Backends whose tensors live in host memory: reading them synchronously costs a copy, not a device round trip. */
const HOST_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/**
 * log x! element-wise as a float32 tensor of x's shape, computed on the host, when the backend keeps tensors in host
 * memory and every value of x is a non-negative integer (≤ 2²⁴, exact in float32); `undefined` otherwise (the caller
 * then uses its tensor formula). No gradient flows to x through it (it is a constant of the data).
 */
export function hostLogFactorial(x: tf.Tensor): tf.Tensor | undefined {
  if (x.dtype !== 'float32') return undefined;
  if (!HOST_BACKENDS.has(tf.getBackend())) return undefined;
  const values = x.dataSync();
  const out = new Float32Array(values.length);
  const t = logFactorialTable();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v >= 0 && v < TABLE_SIZE && v === Math.floor(v)) out[i] = t[v]!;
    else if (v >= TABLE_SIZE && v <= 16_777_216 && v === Math.floor(v)) out[i] = logFactorial(v);
    else return undefined;
  }
  return tf.tensor(out, x.shape, 'float32');
}
