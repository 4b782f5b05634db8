import type { Matrix } from '@varia/core';

/** The first `n` rows of `m` (a view, no copy); `m` itself when it has no more than `n`. */
export function firstRows(m: Matrix, n: number): Matrix {
  return n >= m.rows ? m : { data: m.data.subarray(0, n * m.cols), rows: n, cols: m.cols };
}
