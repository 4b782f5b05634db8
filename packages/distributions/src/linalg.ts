import * as tf from '@tensorflow/tfjs-core';
import { broadcastShapes } from './tensor-like.js';

/**
 * Small dense linear algebra on batched matrices `[..., D, D]`, written with differentiable tfjs ops (tfjs has no
 * Cholesky or triangular solve). Each routine takes O(D) tensor operations: meant for the event sizes of
 * multivariate distributions (D up to a few hundred), not for large linear algebra.
 */

/**
 * `tf.unstack(x, axis)`, differentiable where the axis has size 1 too: tfjs 4.22's gradient of Unpack gives `stack` a
 * lone tensor there and throws "Argument tensors passed to stack must be a `Tensor[]`" (every gradient through a
 * 1 × 1 matrix failed, leaking the tape's tensors), so a size-1 axis is squeezed instead.
 */
function unstackAxis(x: tf.Tensor, axis: number): tf.Tensor[] {
  return x.shape[axis] === 1 ? [tf.squeeze(x, [axis])] : tf.unstack(x, axis);
}

/** Broadcasts the batch dims (all but the last `coreA` / `coreB` dims) of two tensors to one shape. */
export function broadcastBatch(a: tf.Tensor, b: tf.Tensor, coreA: number, coreB: number): [tf.Tensor, tf.Tensor] {
  const batch = broadcastShapes([a.shape.slice(0, a.rank - coreA), b.shape.slice(0, b.rank - coreB)]);
  const ta = [...batch, ...a.shape.slice(a.rank - coreA)];
  const tb = [...batch, ...b.shape.slice(b.rank - coreB)];
  return [
    a.rank === ta.length && a.shape.every((d, i) => d === ta[i]) ? a : tf.broadcastTo(a, ta),
    b.rank === tb.length && b.shape.every((d, i) => d === tb[i]) ? b : tf.broadcastTo(b, tb),
  ];
}

/**
 * Solves L X = B for X by forward substitution, L lower-triangular `[..., D, D]`, B `[..., D, M]` (batch dims
 * broadcast): xᵢ = (bᵢ − Σ_{j<i} Lᵢⱼ xⱼ) / Lᵢᵢ.
 */
export function triangularSolve(l: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => solveLower(l, b));
}

function solveLower(l: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [L, B] = broadcastBatch(l, b, 2, 2);
  const d = L.shape[L.rank - 1]!;
  const rowsL = unstackAxis(L, L.rank - 2); // each [..., D]
  const rowsB = unstackAxis(B, B.rank - 2); // each [..., M]
  const xs: tf.Tensor[] = [];
  for (let i = 0; i < d; i++) {
    const li = rowsL[i]!;
    const diag = tf.slice(li, [...Array(li.rank - 1).fill(0), i], [...li.shape.slice(0, -1), 1]); // [..., 1]
    let rhs = rowsB[i]!;
    if (i > 0) {
      const coef = tf.slice(li, Array(li.rank).fill(0), [...li.shape.slice(0, -1), i]); // [..., i]
      const prev = tf.stack(xs, li.rank - 1); // [..., i, M]
      rhs = tf.sub(rhs, tf.squeeze(tf.matMul(tf.expandDims(coef, -2), prev), [li.rank - 1]));
    }
    xs.push(tf.div(rhs, diag));
  }
  return tf.stack(xs, L.rank - 2);
}

/** Solves L x = b for a vector right-hand side b `[..., D]`. */
export function triangularSolveVec(l: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.squeeze(triangularSolve(l, tf.expandDims(b, -1)), [Math.max(l.rank, b.rank + 1) - 1]);
}

/** L·x for L `[..., D, D]` and x `[..., D]` (batch dims broadcast). */
export function matVec(l: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const [L, X] = broadcastBatch(l, x, 2, 1);
  return tf.squeeze(tf.matMul(L, tf.expandDims(X, -1)), [X.rank]);
}

/**
 * The Cholesky factor L (lower, positive diagonal) of a symmetric positive-definite A = L Lᵀ, `[..., D, D]`, by the
 * column-wise Cholesky–Crout recursion Lⱼⱼ = √(Aⱼⱼ − Σ_{k<j} Lⱼₖ²), Lᵢⱼ = (Aᵢⱼ − Σ_{k<j} Lᵢₖ Lⱼₖ) / Lⱼⱼ. Only the lower
 * triangle of A is read. Differentiable; NaN diagonal where A is not positive definite.
 */
export function cholesky(a: tf.Tensor): tf.Tensor {
  return tf.tidy(() => choleskyCrout(a));
}

function choleskyCrout(a: tf.Tensor): tf.Tensor {
  const d = a.shape[a.rank - 1]!;
  const colsA = unstackAxis(a, a.rank - 1); // column j: [..., D]
  const cols: tf.Tensor[] = [];
  for (let j = 0; j < d; j++) {
    let v = colsA[j]!;
    if (j > 0) {
      const prev = tf.stack(cols, v.rank); // [..., D, j]
      const rowJ = tf.slice(prev, [...Array(v.rank - 1).fill(0), j, 0], [...v.shape.slice(0, -1), 1, j]); // [..., 1, j]
      v = tf.sub(v, tf.squeeze(tf.matMul(prev, rowJ, false, true), [v.rank]));
    }
    const pivot = tf.sqrt(tf.slice(v, [...Array(v.rank - 1).fill(0), j], [...v.shape.slice(0, -1), 1]));
    const below = tf.tensor1d(Array.from({ length: d }, (_, i) => (i > j ? 1 : 0)));
    const unit = tf.tensor1d(Array.from({ length: d }, (_, i) => (i === j ? 1 : 0)));
    cols.push(tf.add(tf.mul(tf.div(v, pivot), below), tf.mul(pivot, unit)));
  }
  return tf.stack(cols, a.rank - 1);
}

/** The diagonal `[..., D]` of `[..., D, D]`. */
export function diagPart(m: tf.Tensor): tf.Tensor {
  const d = m.shape[m.rank - 1]!;
  return tf.sum(tf.mul(m, tf.eye(d)), -1);
}

/** The diagonal matrix `[..., D, D]` with diagonal v `[..., D]`. */
export function diagMatrix(v: tf.Tensor): tf.Tensor {
  const d = v.shape[v.rank - 1]!;
  return tf.mul(tf.expandDims(v, -1), tf.eye(d));
}

/** Mᵀ over the last two dims. */
export function transposeLast(m: tf.Tensor): tf.Tensor {
  const perm = Array.from({ length: m.rank }, (_, i) => i);
  perm[m.rank - 2] = m.rank - 1;
  perm[m.rank - 1] = m.rank - 2;
  return tf.transpose(m, perm);
}

/**
 * Row-major positions (i, j), i > j, of the strictly lower triangle of a D×D matrix: (1,0), (2,0), (2,1), (3,0), …
 * (torch's `tril_indices(D, D, -1)`).
 */
export function strictLowerIndices(d: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i < d; i++) for (let j = 0; j < i; j++) out.push([i, j]);
  return out;
}

/** Vector `[..., D(D−1)/2]` → strictly lower-triangular matrix `[..., D, D]` (row-major order, zeros elsewhere). */
export function vecToStrictLower(v: tf.Tensor, d: number): tf.Tensor {
  const n = v.shape[v.rank - 1]!;
  const index = new Array<number>(d * d).fill(n);
  strictLowerIndices(d).forEach(([i, j], k) => (index[i * d + j] = k));
  const padded = tf.concat([v, tf.zeros([...v.shape.slice(0, -1), 1])], -1);
  const flat = tf.gather(padded, tf.tensor1d(index, 'int32'), v.rank - 1);
  return tf.reshape(flat, [...v.shape.slice(0, -1), d, d]);
}

/** Strictly lower triangle of `[..., D, D]` → vector `[..., D(D−1)/2]` (row-major order). */
export function strictLowerToVec(m: tf.Tensor): tf.Tensor {
  const d = m.shape[m.rank - 1]!;
  const flat = tf.reshape(m, [...m.shape.slice(0, -2), d * d]);
  return tf.gather(
    flat,
    tf.tensor1d(
      strictLowerIndices(d).map(([i, j]) => i * d + j),
      'int32',
    ),
    flat.rank - 1,
  );
}

/** Cumulative sum along the last axis (tfjs's `cumsum` needs a non-negative axis). */
export function cumsumLast(x: tf.Tensor): tf.Tensor {
  return tf.cumsum(x, x.rank - 1);
}
