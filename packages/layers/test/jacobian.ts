// Test helpers: the Jacobian of a row map by reverse-mode autodiff, and log |det| by Gaussian elimination (float64).
import * as tf from '@tensorflow/tfjs-core';

/** J[i][j] = ∂f(z)_i / ∂z_j at one row z [1, D], one tf.grad per output. */
export function autodiffJacobian(f: (z: tf.Tensor2D) => tf.Tensor2D, z: tf.Tensor2D): number[][] {
  const d = z.shape[1];
  const rows: number[][] = [];
  for (let i = 0; i < f(z).shape[1]; i++) {
    rows.push(
      tf.tidy(() =>
        Array.from(
          tf
            .grad((x: tf.Tensor) => tf.sum(tf.slice(f(x as tf.Tensor2D), [0, i], [1, 1])))(z)
            .dataSync(),
        ),
      ),
    );
  }
  expectSquare(rows, d);
  return rows;
}

function expectSquare(rows: number[][], d: number): void {
  if (rows.some((r) => r.length !== d)) throw new Error('Jacobian rows have the wrong length');
}

/** log |det A| by LU with partial pivoting in float64. */
export function logAbsDet(a: number[][]): number {
  const m = a.map((r) => [...r]);
  const n = m.length;
  let acc = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const pivot = m[c]![c]!;
    acc += Math.log(Math.abs(pivot));
    for (let r = c + 1; r < n; r++) {
      const k = m[r]![c]! / pivot;
      for (let j = c; j < n; j++) m[r]![j]! -= k * m[c]![j]!;
    }
  }
  return acc;
}
