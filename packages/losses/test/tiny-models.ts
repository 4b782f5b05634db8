// Tiny discrete-latent models for the estimator tests, replicated M times with independent parameters of equal value:
// the gradient with respect to replica m's parameters is the estimate from replica m's own samples, so one tf.grads
// call gives M independent draws of a gradient estimator.
import * as tf from '@tensorflow/tfjs-core';
import { Bernoulli, type Distribution, Independent, Normal, OneHotCategorical } from '@varia/distributions';
import type { VariationalInputs } from '../src/variational.js';

/** The parameters of a tiny model: a linear encoder x ↦ logits and a linear-Gaussian decoder z ↦ N(zV + a, 1). */
export interface TinyParams {
  /** Encoder weights [M, D, L] (L logits per example). */
  encW: tf.Tensor;
  /** Encoder bias [M, 1, L]. */
  encB: tf.Tensor;
  /** Decoder weights [M, d, D]. */
  decV: tf.Tensor;
  /** Decoder bias [M, 1, D]. */
  decA: tf.Tensor;
}

/** Which latent: a one-hot Categorical over K values (L = d = K), or d independent Bernoulli bits (L = d). */
export type LatentKind = 'one-hot' | 'bernoulli';

export const X0 = [
  [0.8, -0.4],
  [-1.1, 0.6],
];

/** Base parameter values for a latent with L logits and d latent coordinates, D = 2 features. */
export function baseParams(
  l: number,
  d: number,
): { encW: number[][]; encB: number[]; decV: number[][]; decA: number[] } {
  const encW = [[0.9, -0.5, 0.3, 0.2].slice(0, l), [-0.3, 0.7, -0.6, 0.4].slice(0, l)];
  const decV = [
    [1.5, -0.8],
    [-1.2, 1.4],
    [0.4, 1.1],
  ].slice(0, d);
  return { encW, encB: [0.2, -0.1, 0.3, 0].slice(0, l), decV, decA: [0.1, -0.2] };
}

/** The base parameters tiled M times (tensors the caller disposes). */
export function replicate(m: number, l: number, d: number): TinyParams {
  const p = baseParams(l, d);
  return tf.tidy(() => ({
    encW: tf.tile(tf.tensor3d([p.encW], [1, 2, l]), [m, 1, 1]),
    encB: tf.tile(tf.tensor3d([[p.encB]], [1, 1, l]), [m, 1, 1]),
    decV: tf.tile(tf.tensor3d([p.decV], [1, d, 2]), [m, 1, 1]),
    decA: tf.tile(tf.tensor3d([[p.decA]], [1, 1, 2]), [m, 1, 1]),
  }));
}

/** The variational inputs for M replicas of the two examples X0 (rows replica-major: r·2 + i). */
export function tinyInputs(kind: LatentKind, params: TinyParams): VariationalInputs {
  const m = params.encW.shape[0]!;
  const n0 = X0.length;
  const l = params.encW.shape[2]!;
  const d = params.decV.shape[1]!;
  const xRep = tf.tile(tf.tensor3d([X0], [1, n0, 2]), [m, 1, 1]);
  const logits = tf.reshape(tf.add(tf.matMul(xRep, params.encW), params.encB), [m * n0, l]);
  let posterior: Distribution;
  let prior: Distribution;
  if (kind === 'one-hot') {
    posterior = new OneHotCategorical({ logits });
    prior = new OneHotCategorical({ probs: [0.5, 0.3, 0.2].slice(0, l) });
  } else {
    posterior = new Independent(new Bernoulli({ logits }), 1);
    prior = new Independent(new Bernoulli({ probs: [0.3, 0.6, 0.5].slice(0, d) }), 1);
  }
  const decode = (zRows: tf.Tensor): Distribution => {
    const rows = zRows.shape[0]!;
    const ks = rows / (m * n0);
    const z = zRows;
    // [Ks, M, n0, d] → [M, Ks·n0, d]: each replica's rows meet its own decoder
    const perReplica = tf.reshape(tf.transpose(tf.reshape(z, [ks, m, n0, d]), [1, 0, 2, 3]), [m, ks * n0, d]);
    const loc = tf.add(tf.matMul(perReplica, params.decV), params.decA); // [M, Ks·n0, D]
    const back = tf.reshape(tf.transpose(tf.reshape(loc, [m, ks, n0, 2]), [1, 0, 2, 3]), [rows, 2]);
    return new Independent(new Normal({ loc: back, scale: 1 }, { validateArgs: false }), 1);
  };
  return { x: tf.reshape(xRep, [m * n0, 2]), posterior, prior, decode };
}

/** Per-replica gradients of `objective` (summed over rows) w.r.t. every parameter, as [M, P] host arrays. */
export function replicaGradients(params: TinyParams, objective: (p: TinyParams) => tf.Tensor): Float32Array {
  const names = ['encW', 'encB', 'decV', 'decA'] as const;
  const all = tf.tidy(() => {
    const f = (...ts: tf.Tensor[]): tf.Scalar => {
      const p = Object.fromEntries(names.map((n, i) => [n, ts[i]!])) as unknown as TinyParams;
      return tf.sum(objective(p)) as tf.Scalar;
    };
    const grads = tf.grads(f)(names.map((n) => params[n]));
    const m = params.encW.shape[0]!;
    return tf.concat(
      grads.map((g) => tf.reshape(g, [m, -1])),
      1,
    );
  });
  const values = all.dataSync() as Float32Array;
  all.dispose();
  return values;
}

/** Mean, standard error and variance of each of P columns of an [M, P] row-major array. */
export function columnStats(values: Float32Array, m: number): { mean: number[]; se: number[]; variance: number[] } {
  const p = values.length / m;
  const mean = new Array<number>(p).fill(0);
  const variance = new Array<number>(p).fill(0);
  for (let r = 0; r < m; r++) for (let j = 0; j < p; j++) mean[j]! += values[r * p + j]! / m;
  for (let r = 0; r < m; r++)
    for (let j = 0; j < p; j++) variance[j]! += (values[r * p + j]! - mean[j]!) ** 2 / (m - 1);
  return { mean, se: variance.map((v) => Math.sqrt(v / m)), variance };
}
