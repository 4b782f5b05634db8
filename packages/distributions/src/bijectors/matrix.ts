import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@varia/core';
import { type Constraint, independent, real } from '../constraints.js';
import { cumsumLast, diagPart, matVec, strictLowerToVec, triangularSolveVec, vecToStrictLower } from '../linalg.js';
import type { TensorLike } from '../tensor-like.js';
import { Bijector } from './bijector.js';

/** All-false for a tensor that is not a batch of square matrices (a constraint check never throws on shape). */
export function notSquare(m: tf.Tensor): tf.Tensor {
  return tf.zeros(m.shape.slice(0, Math.max(0, m.rank - 2)), 'bool');
}

/**
 * Lower-triangular matrices with a positive diagonal, `[..., D, D]` (torch's `constraints.lower_cholesky`).
 */
export const lowerCholesky: Constraint = {
  name: 'lowerCholesky',
  description: 'lower-triangular with a positive diagonal',
  finite: true,
  eventDims: 2,
  check: (m) => {
    const d = m.shape[m.rank - 1]!;
    if (m.rank < 2 || m.shape[m.rank - 2] !== d) return notSquare(m);
    const upper = tf.tensor2d(
      Array.from({ length: d * d }, (_, k) => (k % d > Math.floor(k / d) ? 1 : 0)),
      [d, d],
      'bool',
    );
    const zeroAbove = tf.all(tf.logicalOr(tf.logicalNot(upper), tf.equal(m, 0)), [-2, -1]);
    return tf.logicalAnd(zeroAbove, tf.all(tf.greater(diagPart(m), 0), -1));
  },
};

/**
 * Cholesky factors of correlation matrices: lowerCholesky with rows of unit Euclidean norm (within 1e-4) (torch's
 * `constraints.corr_cholesky`).
 */
export const corrCholesky: Constraint = {
  name: 'corrCholesky',
  description: 'a lower Cholesky factor with unit-norm rows (of a correlation matrix)',
  finite: true,
  eventDims: 2,
  check: (m) =>
    tf.logicalAnd(
      lowerCholesky.check(m),
      tf.all(tf.less(tf.abs(tf.sub(tf.sqrt(tf.sum(tf.square(m), -1)), 1)), 1e-4), -1),
    ),
};

/** Parameters of {@link LowerCholeskyAffine}. */
export interface LowerCholeskyAffineParams {
  /** Shift μ, `[..., D]`. */
  loc: TensorLike;
  /** Lower-triangular L with a non-zero diagonal, `[..., D, D]`. */
  scaleTril: TensorLike;
}

/**
 * y = μ + L x on vectors (event dims 1 → 1) with L lower-triangular (torch's `LowerCholeskyAffine`):
 * x = L⁻¹(y − μ) by forward substitution; log |det J| = Σᵢ log |Lᵢᵢ|.
 */
export class LowerCholeskyAffine extends Bijector {
  readonly name = 'LowerCholeskyAffine';
  /** μ. */
  readonly loc: tf.Tensor;
  /** L. */
  readonly scaleTril: tf.Tensor;
  constructor(params: LowerCholeskyAffineParams) {
    super();
    this.loc = this.param(params.loc, 'loc');
    this.scaleTril = this.param(params.scaleTril, 'scaleTril');
    const s = this.scaleTril.shape;
    if (
      s.length < 2 ||
      s[s.length - 1] !== s[s.length - 2] ||
      (this.loc.rank > 0 && this.loc.shape[this.loc.rank - 1] !== s[s.length - 1])
    ) {
      const shapes = `loc [${this.loc.shape.join(', ')}], scaleTril [${s.join(', ')}]`;
      this.dispose();
      throw new ShapeError(
        'scaleTril',
        `LowerCholeskyAffine: "scaleTril" must be [..., D, D] with loc [..., D], got ${shapes}`,
      );
    }
  }
  override get domain(): Constraint {
    return independent(real, 1);
  }
  override get codomain(): Constraint {
    return independent(real, 1);
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    return tf.add(this.loc, matVec(this.scaleTril, x));
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    return triangularSolveVec(this.scaleTril, tf.sub(y, this.loc));
  }
  protected _forwardLogDetJacobian(x: tf.Tensor): tf.Tensor {
    const ldj = tf.sum(tf.log(tf.abs(diagPart(this.scaleTril))), -1);
    return tf.add(ldj, tf.zeros(x.shape.slice(0, -1)));
  }
}

/** D with D(D − 1)/2 = n, or undefined. */
function triangularSide(n: number): number | undefined {
  const d = Math.round((1 + Math.sqrt(1 + 8 * n)) / 2);
  return (d * (d - 1)) / 2 === n ? d : undefined;
}

const EPS = 2 ** -23;

/**
 * ℝ^{D(D−1)/2} → Cholesky factors of D×D correlation matrices (torch's `CorrCholeskyTransform`, the LKJ
 * parameterization): r = tanh(x) fills the strictly lower triangle row by row; row i of L is
 * (r_{i0}, r_{i1}·√(1 − r_{i0}²), …, √(1 − Σ_{j<i} L_{ij}²)) — stick-breaking on squared norms, so rows have unit norm.
 *
 * log |det J| = ½ Σ_{i>j+1} log(1 − Σ_{k<j} … ) + Σ log(1 − tanh²x) as in torch (the stick-breaking and tanh parts).
 */
export class CorrCholesky extends Bijector {
  readonly name = 'CorrCholesky';
  override get domain(): Constraint {
    return independent(real, 1);
  }
  override get codomain(): Constraint {
    return corrCholesky;
  }
  override forwardShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 1, 'x');
    const d = triangularSide(shape[shape.length - 1]!);
    if (d === undefined)
      throw new ShapeError('x', `CorrCholesky: the last dim of "x" must be D(D − 1)/2, got ${shape[shape.length - 1]}`);
    return [...shape.slice(0, -1), d, d];
  }
  override inverseShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 2, 'y');
    const d = shape[shape.length - 1]!;
    return [...shape.slice(0, -2), (d * (d - 1)) / 2];
  }
  protected _forward(x: tf.Tensor): tf.Tensor {
    const d = this.forwardShape(x.shape)[x.rank]!;
    const r = vecToStrictLower(tf.clipByValue(tf.tanh(x), -1 + EPS, 1 - EPS), d);
    // row-wise cumulative product of √(1 − r²), shifted right by one (1 in the first column)
    const logRest = cumsumLast(tf.mul(0.5, tf.log1p(tf.neg(tf.square(r)))));
    const shifted = tf.exp(
      tf.concat(
        [
          tf.zeros([...r.shape.slice(0, -1), 1]),
          tf.slice(logRest, Array(r.rank).fill(0), [...r.shape.slice(0, -1), d - 1]),
        ],
        -1,
      ),
    );
    return tf.mul(tf.add(r, tf.eye(d)), shifted);
  }
  protected _inverse(y: tf.Tensor): tf.Tensor {
    const d = y.shape[y.rank - 1]!;
    const rest = tf.sub(1, cumsumLast(tf.square(y)));
    const restShifted = tf.concat(
      [tf.ones([...y.shape.slice(0, -1), 1]), tf.slice(rest, Array(y.rank).fill(0), [...y.shape.slice(0, -1), d - 1])],
      -1,
    );
    const t = tf.div(strictLowerToVec(y), tf.sqrt(strictLowerToVec(restShifted)));
    return tf.atanh(t);
  }
  protected _forwardLogDetJacobian(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
    const d = y.shape[y.rank - 1]!;
    const rest = tf.sub(1, cumsumLast(tf.square(y))); // [..., D, D]
    // entries (i, j) with i > j + 1, i.e. the strictly lower triangle shifted down by one
    const idx: number[] = [];
    for (let i = 2; i < d; i++) for (let j = 0; j < i - 1; j++) idx.push(i * d + j);
    let stick: tf.Tensor = tf.zeros(x.shape.slice(0, -1));
    if (idx.length > 0) {
      const flat = tf.reshape(rest, [...rest.shape.slice(0, -2), d * d]);
      stick = tf.mul(0.5, tf.sum(tf.log(tf.gather(flat, tf.tensor1d(idx, 'int32'), flat.rank - 1)), -1));
    }
    const tanh = tf.mul(-2, tf.sum(tf.sub(tf.add(x, tf.softplus(tf.mul(-2, x))), Math.LN2), -1));
    return tf.add(stick, tanh);
  }
}
