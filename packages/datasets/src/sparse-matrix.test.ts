import { DataError, ShapeError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertSparseMatrix, type SparseMatrix, sparseRowsInto, sparseRowsToDense } from './sparse-matrix.js';
import { propertyRuns } from './test-utils/property-runs.js';

/** A CSR built from dense rows by its definition (the test's own reference, independent of the code under test). */
function csr(dense: number[][]): SparseMatrix {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (const row of dense) {
    row.forEach((v, j) => {
      if (v !== 0) {
        indices.push(j);
        data.push(v);
      }
    });
    indptr.push(indices.length);
  }
  return {
    rows: dense.length,
    cols: dense[0]?.length ?? 0,
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float32Array.from(data),
  };
}

const denseMatrix = fc
  .record({ rows: fc.integer({ min: 1, max: 8 }), cols: fc.integer({ min: 1, max: 8 }) })
  .chain(({ rows, cols }) =>
    fc.array(
      fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 99 })), {
        minLength: cols,
        maxLength: cols,
      }),
      {
        minLength: rows,
        maxLength: rows,
      },
    ),
  );

describe('sparseRowsInto', () => {
  it('writes any rows, in any order and with repeats, densely into a reused buffer (property)', () => {
    const buffer = new Float32Array(64 * 8).fill(Number.NaN); // stale values must be overwritten
    fc.assert(
      fc.property(
        denseMatrix.chain((dense) =>
          fc.tuple(fc.constant(dense), fc.array(fc.nat(dense.length - 1), { minLength: 1, maxLength: 64 })),
        ),
        ([dense, rows]) => {
          const m = csr(dense);
          assertSparseMatrix(m);
          const out = sparseRowsInto(m, rows, buffer);
          expect(out.buffer).toBe(buffer.buffer);
          expect(Array.from(out)).toEqual(rows.flatMap((i) => dense[i]!));
        },
      ),
      { numRuns: propertyRuns(200), seed: 1901 },
    );
  });

  it('sparseRowsToDense is the same for a range of rows', () => {
    const dense = [
      [0, 1, 0],
      [2, 0, 3],
      [0, 0, 0],
    ];
    expect(Array.from(sparseRowsToDense(csr(dense), 1, 3).data)).toEqual([2, 0, 3, 0, 0, 0]);
  });
});

describe('assertSparseMatrix', () => {
  const good = csr([
    [0, 1, 0],
    [2, 0, 3],
  ]);
  it.each([
    [{ ...good, rows: 1.5 }, ShapeError, /non-negative integer rows/],
    [{ ...good, indptr: new Int32Array(2) }, ShapeError, /indptr must be an Int32Array of length rows \+ 1 = 3/],
    [{ ...good, data: new Float32Array(2) }, ShapeError, /same length, got Int32Array\(3\) and Float32Array\(2\)/],
    // a wrong array type is named as such, not as a length mismatch between arrays of equal length
    [
      { ...good, indices: Float32Array.from([1, 0, 2]) },
      ShapeError,
      /counts"\.indices must be an Int32Array, got Float32Array\(3\)/,
    ],
    [{ ...good, data: [1, 2, 3] }, ShapeError, /counts"\.data must be a Float32Array, got Array\(3\)/],
    [{ ...good, indptr: Int32Array.from([1, 1, 3]) }, DataError, /must run from 0 to the 3 stored entries/],
    [
      { ...good, indptr: Int32Array.from([0, 4, 3]) },
      DataError,
      /indptr at row 0 goes from 0 to 4: it must be non-decreasing and at most 3/,
    ],
    [
      { ...good, indices: Int32Array.from([1, 2, 0]) },
      DataError,
      /row 1: column index 0 is not after the previous one/,
    ],
    [{ ...good, indices: Int32Array.from([3, 0, 2]) }, DataError, /row 0: column index 3 is outside 0…2/],
  ])('refuses a malformed CSR (%#)', (m, type, message) => {
    expect(() => assertSparseMatrix(m as SparseMatrix, 'counts')).toThrow(type);
    expect(() => assertSparseMatrix(m as SparseMatrix, 'counts')).toThrow(message);
  });
});
