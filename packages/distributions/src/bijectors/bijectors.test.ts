import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '../../test/helpers.js';
import * as constraints from '../constraints.js';
import { strictLowerToVec } from '../linalg.js';
import type { Bijector } from './bijector.js';
import { bijectorFor } from './bijector-for.js';
import { Chain, IndependentBijector, Invert } from './composite.js';
import { Abs, Affine, Exp, Identity, Power, Sigmoid, Softplus, Tanh } from './elementwise.js';
import { CorrCholesky, corrCholesky, LowerCholeskyAffine } from './matrix.js';
import { StickBreaking } from './stick-breaking.js';

/** log |det M| of a square matrix (row-major, n×n) by Gaussian elimination with partial pivoting, in float64. */
function logAbsDet(m: number[], n: number): number {
  const a = [...m];
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    if (p !== c) for (let k = 0; k < n; k++) [a[c * n + k], a[p * n + k]] = [a[p * n + k]!, a[c * n + k]!];
    const piv = a[c * n + c]!;
    logDet += Math.log(Math.abs(piv));
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / piv;
      for (let k = c; k < n; k++) a[r * n + k]! -= f * a[c * n + k]!;
    }
  }
  return logDet;
}

/** The Jacobian of `f` (ℝⁿ → ℝᵐ) at x by reverse-mode autodiff, one row per output (row-major m×n). */
function jacobian(f: (x: tf.Tensor) => tf.Tensor, x: number[]): number[] {
  return tf.tidy(() => {
    const xt = tf.tensor1d(x);
    const m = f(xt).size;
    const rows: number[] = [];
    for (let i = 0; i < m; i++) {
      const g = tf.grad((v: tf.Tensor) => tf.gather(tf.reshape(f(v), [-1]), i))(xt);
      rows.push(...g.dataSync());
    }
    return rows;
  });
}

/**
 * Runs `fn` in a tidy (so the test's own intermediate tensors go), then checks that each public method of `b` at `x`
 * leaves no tensor behind but its result.
 */
function checked(fn: () => unknown): void {
  tf.tidy(() => {
    fn();
  });
}
function expectMethodsLeakFree(b: Bijector, x: number[] | number[][]): void {
  expectNoLeak(() => b.forward(x));
  const y = b.forward(x);
  expectNoLeak(() => b.inverse(y));
  expectNoLeak(() => b.forwardLogDetJacobian(x));
  expectNoLeak(() => b.forwardLogDetJacobian(x, y));
  expectNoLeak(() => b.inverseLogDetJacobian(y));
  y.dispose();
}

const scalarCases: [string, () => Bijector, number[]][] = [
  ['Identity', () => new Identity(), [-2, 0, 3]],
  ['Exp', () => new Exp(), [-3, 0, 2.5]],
  ['Softplus', () => new Softplus(), [-4, 0.1, 5]],
  ['Sigmoid', () => new Sigmoid(), [-6, 0, 3]],
  ['Tanh', () => new Tanh(), [-2, 0.3, 1.5]],
  ['Affine', () => new Affine({ shift: 1.5, scale: -2 }), [-1, 0, 4]],
  ['Power', () => new Power(2.5), [0.3, 1, 2]],
  ['Power(−1)', () => new Power(-1), [0.5, 2, 4]],
  ['Invert(Exp)', () => new Invert(new Exp()), [0.2, 1, 5]],
  ['Chain(Exp, Affine)', () => new Chain([new Exp(), new Affine({ shift: 2, scale: 3 })]), [-1, 0, 1]],
];

describe('element-wise bijectors', () => {
  it.each(scalarCases)('%s: inverse(forward(x)) = x and log |dy/dx| matches autodiff', (_, make, xs) => {
    const b = make();
    checked(() => {
      const y = b.forward(xs);
      expectClose(b.inverse(y), xs, 1e-4, 1e-5);
      const d = tf.grad((v: tf.Tensor) => tf.sum(b.forward(v)))(tf.tensor1d(xs));
      expectClose(
        b.forwardLogDetJacobian(xs),
        Array.from(d.dataSync()).map((v) => Math.log(Math.abs(v))),
        1e-4,
        1e-5,
      );
      expectClose(
        b.inverseLogDetJacobian(y),
        Array.from(d.dataSync()).map((v) => -Math.log(Math.abs(v))),
        1e-4,
        1e-5,
      );
      return [y, d];
    });
    expectMethodsLeakFree(b, xs);
    b.dispose();
  });
  it('land in their codomain (Sigmoid stays in (0, 1) even at ±100)', () => {
    checked(() => {
      const s = new Sigmoid().forward([-100, 100]);
      expect(Array.from(constraints.openUnitInterval.check(s).dataSync())).toEqual([1, 1]);
      return s;
    });
  });
  it('Abs is not injective: it says so, and cannot be inverted', () => {
    expect(new Abs().bijective).toBe(false);
    expect(() => new Invert(new Abs())).toThrowError(/not injective/);
  });
  it('Affine broadcasts its parameters into the output shape', () => {
    const b = new Affine({ shift: [1, 2, 3], scale: 2 });
    expect(b.forwardShape([])).toEqual([3]);
    expectNoLeak(() => b.forward(0));
    b.dispose();
  });
});

describe('StickBreaking', () => {
  it('maps ℝᴷ⁻¹ onto the simplex, round-trips, and 0 to the uniform vector', () => {
    const b = new StickBreaking();
    checked(() => {
      const y = b.forward([
        [0, 0, 0],
        [1.5, -2, 0.3],
      ]);
      expect(y.shape).toEqual([2, 4]);
      expectClose(tf.sum(y, -1), [1, 1]);
      expectClose(tf.slice(y, [0, 0], [1, 4]), [0.25, 0.25, 0.25, 0.25]);
      expectClose(b.inverse(y), [0, 0, 0, 1.5, -2, 0.3], 1e-4, 1e-4);
      return y;
    });
  });
  it('log-det equals log |det ∂y₁:ₖ₋₁/∂x| by autodiff', () => {
    const b = new StickBreaking();
    const x = [0.4, -1.2, 2, 0.1];
    const jac = jacobian((v) => tf.slice(b.forward(v), 0, 4), x);
    checked(() => {
      const ldj = b.forwardLogDetJacobian(x);
      expect(ldj.shape).toEqual([]);
      expectClose(ldj, logAbsDet(jac, 4), 1e-4, 1e-4);
      return ldj;
    });
    expectMethodsLeakFree(b, [x, x]);
  });
});

describe('matrix bijectors', () => {
  it('LowerCholeskyAffine: y = μ + Lx, round trip, log-det = Σ log |Lᵢᵢ|', () => {
    const b = new LowerCholeskyAffine({
      loc: [1, -1, 0.5],
      scaleTril: [
        [2, 0, 0],
        [0.5, 0.3, 0],
        [-1, 0.2, 1.5],
      ],
    });
    checked(() => {
      const x = [
        [0.5, 1, -2],
        [0, 0, 1],
      ];
      const y = b.forward(x);
      expectClose(y, [2, -0.45, -2.8, 1, -1, 2], 1e-5);
      expectClose(b.inverse(y), x.flat(), 1e-5);
      const ldj = b.forwardLogDetJacobian(x);
      expect(ldj.shape).toEqual([2]);
      expectClose(ldj, [Math.log(2 * 0.3 * 1.5), Math.log(2 * 0.3 * 1.5)]);
      return [y, ldj];
    });
    expectMethodsLeakFree(b, [[0.5, 1, -2]]);
    b.dispose();
  });
  it('CorrCholesky: unit-norm rows, round trip, log-det by autodiff', () => {
    const b = new CorrCholesky();
    const x = [0.3, -0.8, 1.1, 0.5, -0.2, 0.9];
    checked(() => {
      const y = b.forward(x);
      expect(y.shape).toEqual([4, 4]);
      expect(corrCholesky.check(y).dataSync()[0]).toBe(1);
      expectClose(b.inverse(y), x, 1e-4, 1e-4);
      return y;
    });
    const jac = jacobian((v) => strictLowerToVec(b.forward(v)), x);
    checked(() => {
      const ldj = b.forwardLogDetJacobian(x);
      expectClose(ldj, logAbsDet(jac, 6), 1e-4, 1e-4);
      return ldj;
    });
    expectMethodsLeakFree(b, [x]);
  });
});

describe('bijectorFor', () => {
  const cases: [constraints.Constraint, number[]][] = [
    [constraints.real, [-3, 4]],
    [constraints.positive, [-3, 4]],
    [constraints.greaterThan(2), [-3, 4]],
    [constraints.unitInterval, [-3, 4]],
    [constraints.independent(constraints.positive, 1), [-3, 4]],
  ];
  it.each(cases.map(([c, x]) => [c.name, c, x] as const))('%s: forward lands in the constraint', (_, c, x) => {
    const b = bijectorFor(c);
    checked(() => {
      const y = b.forward(x);
      const ok = c.check(y);
      expect(Array.from(ok.dataSync()).every((v) => v === 1)).toBe(true);
      return [y, ok];
    });
    expectMethodsLeakFree(b, x);
    b.dispose();
  });
  it('simplex → StickBreaking, corrCholesky → CorrCholesky, independent → summed log-det', () => {
    expect(bijectorFor(constraints.simplex)).toBeInstanceOf(StickBreaking);
    expect(bijectorFor(corrCholesky)).toBeInstanceOf(CorrCholesky);
    const b = bijectorFor(constraints.independent(constraints.positive, 1));
    expect(b).toBeInstanceOf(IndependentBijector);
    checked(() => {
      const ldj = b.forwardLogDetJacobian([
        [1, 2],
        [3, 4],
      ]);
      expectClose(ldj, [3, 7]);
      return ldj;
    });
  });
  it('rejects discrete supports with a typed error', () => {
    expect(() => bijectorFor(constraints.nonNegativeInteger)).toThrowError(
      /no bijector onto the constraint "nonNegativeInteger"/,
    );
  });
  it('a disposed bijector refuses use', () => {
    const b = new Affine({ shift: [1, 2] });
    b.dispose();
    expect(() => b.forward(1)).toThrowError(/disposed/);
  });
});
