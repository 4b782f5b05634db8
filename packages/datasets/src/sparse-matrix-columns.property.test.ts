// assertSparseMatrix's column check (sign bits ORed per row, a second look only at a bad row) against the rule as
// written: each row's columns in 0…cols − 1 and strictly increasing — the same verdict and the same first error.
import { DataError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertSparseMatrix, type SparseMatrix } from './sparse-matrix.js';
import { propertyRuns } from './test-utils/property-runs.js';

/** The message of the first bad column entry in row-major order, by the rule itself, or undefined. */
function firstColumnProblem(m: SparseMatrix): string | undefined {
  for (let i = 0; i < m.rows; i++) {
    for (let e = m.indptr[i]!; e < m.indptr[i + 1]!; e++) {
      const j = m.indices[e]!;
      if (j < 0 || j >= m.cols) return `"x" row ${i}: column index ${j} is outside 0…${m.cols - 1}`;
      if (e > m.indptr[i]! && j <= m.indices[e - 1]!)
        return `"x" row ${i}: column index ${j} is not after the previous one`;
    }
  }
  return undefined;
}

/** Rows of column indices, mostly increasing, some out of range, repeated or out of order; any row may be empty. */
const matrices = fc
  .record({
    cols: fc.integer({ min: 1, max: 40 }),
    rows: fc.array(
      fc.array(
        fc.oneof(
          { weight: 12, arbitrary: fc.integer({ min: 0, max: 45 }) },
          { weight: 2, arbitrary: fc.integer({ min: -3, max: -1 }) },
          // int32's ends: a difference of two columns no longer fits in 32 bits
          { weight: 1, arbitrary: fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, -(2 ** 31) + 1) },
        ),
        { maxLength: 14 },
      ),
      { minLength: 1, maxLength: 10 },
    ),
    sortRows: fc.boolean(),
  })
  .map(({ cols, rows, sortRows }): SparseMatrix => {
    const lists = sortRows ? rows.map((r) => [...new Set(r)].sort((a, b) => a - b)) : rows;
    const indptr = Int32Array.from([0, ...lists.map((_, i) => lists.slice(0, i + 1).flat().length)]);
    const indices = Int32Array.from(lists.flat());
    return { rows: lists.length, cols, indptr, indices, data: new Float32Array(indices.length) };
  });

describe('assertSparseMatrix: columns', () => {
  it('accepts exactly the rows whose columns are in range and strictly increasing, naming the first bad entry (property)', () => {
    fc.assert(
      fc.property(matrices, (m) => {
        const problem = firstColumnProblem(m);
        if (problem === undefined) expect(() => assertSparseMatrix(m, 'x')).not.toThrow();
        else {
          expect(() => assertSparseMatrix(m, 'x')).toThrow(DataError);
          expect(() => assertSparseMatrix(m, 'x')).toThrow(problem);
        }
      }),
      { numRuns: propertyRuns(300), seed: 17 },
    );
  });

  it('names a bad entry at the start, middle and end of a long row, and int32 extremes', () => {
    const row = (indices: number[], cols = 1000): SparseMatrix => ({
      rows: 1,
      cols,
      indptr: Int32Array.of(0, indices.length),
      indices: Int32Array.from(indices),
      data: new Float32Array(indices.length),
    });
    // differences that do not fit in 32 bits and would wrap to a positive sign: -2³¹ ending a row of 5 (the last of a
    // block of four after the first entry), and -2³¹ followed by 0
    expect(() => assertSparseMatrix(row([0, 10, 20, 30, -(2 ** 31)]), 'x')).toThrow(/index -2147483648 is outside/);
    expect(() => assertSparseMatrix(row([3, 5, -(2 ** 31), 0, 9]), 'x')).toThrow(/index -2147483648 is outside/);
    const long = Array.from({ length: 500 }, (_, k) => 2 * k);
    expect(() => assertSparseMatrix(row(long), 'x')).not.toThrow();
    for (const [at, value, message] of [
      [0, -1, /row 0: column index -1 is outside 0…999/],
      [250, 498, /row 0: column index 498 is not after the previous one/],
      [499, 1000, /row 0: column index 1000 is outside 0…999/],
      [0, -(2 ** 31), /column index -2147483648 is outside/],
      [300, 2 ** 31 - 1, /column index 2147483647 is outside/],
      // after large columns, each place in a block of four and the row's end
      ...([297, 298, 299, 300, 499] as const).map(
        (k) => [k, -(2 ** 31), /column index -2147483648 is outside/] as const,
      ),
    ] as const) {
      const indices = [...long];
      indices[at] = value;
      expect(() => assertSparseMatrix(row(indices), 'x')).toThrow(message);
    }
  });
});
