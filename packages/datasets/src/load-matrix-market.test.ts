import { join } from 'node:path';
import { ArgumentError, DataError, VariaError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMatrixMarket, type LoadMatrixMarketOptions } from './load-matrix-market.js';
import { type SparseMatrix, sparseRowsToDense } from './sparse-matrix.js';
import { HOSTILE_MTX, hostileDtype, hostileMtx, mtxCells, mtxDirectory } from './test-utils/mtx-fixtures.js';
import { propertyRuns } from './test-utils/property-runs.js';

const { dir, write } = mtxDirectory('varia-mtx-');

/** The dense matrix of a CSR, cell by cell from its definition (independent of sparseRowsToDense). */
function dense(m: SparseMatrix): number[][] {
  const out = Array.from({ length: m.rows }, () => new Array<number>(m.cols).fill(0));
  for (let i = 0; i < m.rows; i++)
    for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) out[i]![m.indices[k]!] = m.data[k]!;
  return out;
}

/** CSR invariants: indptr from 0 to nnz, non-decreasing; columns in range and strictly increasing within a row. */
function expectValidCsr(m: SparseMatrix): void {
  expect(m.indptr.length).toBe(m.rows + 1);
  expect(m.indptr[0]).toBe(0);
  expect(m.indptr[m.rows]).toBe(m.indices.length);
  expect(m.data.length).toBe(m.indices.length);
  for (let i = 0; i < m.rows; i++) {
    expect(m.indptr[i + 1]!).toBeGreaterThanOrEqual(m.indptr[i]!);
    for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) {
      expect(m.indices[k]!).toBeGreaterThanOrEqual(0);
      expect(m.indices[k]!).toBeLessThan(m.cols);
      if (k > m.indptr[i]!) expect(m.indices[k]!).toBeGreaterThan(m.indices[k - 1]!);
      expect(Number.isFinite(m.data[k]!)).toBe(true);
    }
  }
}

/**
 * Runs `load` with every `new Int32Array(n)` of more than `limit` elements refused before it allocates (a RangeError),
 * so that a test of memory that must follow the entries fails at once instead of taking gigabytes.
 */
async function withInt32ArraysUnder<T>(limit: number, load: () => Promise<T>): Promise<T> {
  const original = globalThis.Int32Array;
  globalThis.Int32Array = new Proxy(original, {
    construct(target, args, newTarget) {
      if (typeof args[0] === 'number' && args[0] > limit) throw new RangeError(`an Int32Array of ${args[0]} elements`);
      return Reflect.construct(target, args, newTarget) as object;
    },
  });
  try {
    return await load();
  } finally {
    globalThis.Int32Array = original;
  }
}

async function dataError(text: string, options: LoadMatrixMarketOptions = { dtype: 'counts' }): Promise<DataError> {
  try {
    await loadMatrixMarket({ text }, options);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

// 10x Genomics' layout: genes × cells, sorted by column (cell), a metadata comment
const TENX = `%%MatrixMarket matrix coordinate integer general
%metadata_json: {"software_version": "cellranger-7.1.0", "format_version": 2}
4 3 5
2 1 7
4 1 1
1 2 3
3 2 12
4 3 2
`;

describe('loadMatrixMarket', () => {
  it('reads a 10x-style file (genes × cells), transposed to cells × genes, from a file and from text', async () => {
    const path = write(TENX);
    for (const source of [path, { text: TENX }]) {
      const m = await loadMatrixMarket(source, { dtype: 'counts', transpose: true });
      expectValidCsr(m);
      expect([m.rows, m.cols]).toEqual([3, 4]);
      expect(dense(m)).toEqual([
        [0, 7, 0, 1],
        [3, 0, 12, 0],
        [0, 0, 0, 2],
      ]);
      expect(sparseRowsToDense(m, 1, 3)).toEqual({
        data: Float32Array.from([3, 0, 12, 0, 0, 0, 0, 2]),
        rows: 2,
        cols: 4,
      });
    }
    const plain = await loadMatrixMarket({ text: TENX }, { dtype: 'counts' });
    expect(dense(plain)).toEqual([
      [0, 3, 0],
      [7, 0, 0],
      [0, 12, 0],
      [1, 0, 2],
    ]);
  });

  it('reads real and pattern fields, CRLF, a BOM and blank lines', async () => {
    const real = await loadMatrixMarket(
      {
        text: '\ufeff%%MatrixMarket matrix coordinate real general\r\n% a comment\r\n\r\n2 2 2\r\n2 2 -1.5e-3\r\n1 1 0.25\r\n',
      },
      { dtype: 'real' },
    );
    expect(dense(real)).toEqual([
      [0.25, 0],
      [0, Math.fround(-1.5e-3)],
    ]);
    const pattern = await loadMatrixMarket(
      { text: '%%MatrixMarket matrix coordinate pattern general\n2 3 2\n1 3\n2 1\n' },
      { dtype: 'counts' },
    );
    expect(dense(pattern)).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
  });

  it.each([
    ...HOSTILE_MTX,
    // out of row order: the stream refuses it for its order, before it sees the cell stored twice
    [
      '%%MatrixMarket matrix coordinate integer general\n3 3 3\n2 2 1\n1 1 4\n2 2 5\n',
      /the cell \(2 2\) is stored twice, at line 3 and line 5/,
    ] as const,
  ])('refuses %j with a DataError naming the line', async (text, message) => {
    const e = await dataError(text, { dtype: hostileDtype(text) });
    expect(e.message).toMatch(message);
    expect(e.location.line).toBeGreaterThan(0);
  });

  it('with passes: 2, refuses the same files with the same messages, and a cell stored twice names its lines', async () => {
    const twice = '%%MatrixMarket matrix coordinate integer general\n3 3 4\n2 2 1\n1 1 4\n\n2 2 5\n3 1 1\n';
    for (const passes of [1, 2] as const) {
      const e = await dataError(twice, { dtype: 'counts', passes });
      expect(e.message).toMatch(
        passes === 1 ? /stored twice, at entry 1 and entry 3/ : /stored twice, at line 3 and line 6/,
      );
    }
    expect((await dataError(TENX, { dtype: 'counts', passes: 2, maxNonZeros: 4 })).message).toMatch(/limit of 4/);
    await expect(loadMatrixMarket({ text: TENX }, { dtype: 'counts', passes: 3 as 2 })).rejects.toThrow(ArgumentError);
    const path = write(TENX);
    expect(await loadMatrixMarket(path, { dtype: 'counts', transpose: true, passes: 2 })).toEqual(
      await loadMatrixMarket(path, { dtype: 'counts', transpose: true }),
    );
  });

  it('checks the declared size against maxNonZeros and maxRows before allocating, and long lines', async () => {
    const huge = '%%MatrixMarket matrix coordinate integer general\n60000000 2000000000 4000000000000\n';
    expect((await dataError(huge)).message).toMatch(
      /declares 4000000000000 entries, more than the limit of 134217728 \(option "maxNonZeros"\)/,
    );
    expect((await dataError('%%MatrixMarket matrix coordinate integer general\n100000000 2 1\n')).message).toMatch(
      /declares 100000000 rows, more than the limit of 67108864 \(option "maxRows"\)/,
    );
    // transposed, the 2 columns become the rows and fit
    const t = await loadMatrixMarket(
      { text: '%%MatrixMarket matrix coordinate integer general\n100000000 2 1\n5 2 9\n' },
      { dtype: 'counts', transpose: true },
    );
    expect([t.rows, t.cols, t.data[0]]).toEqual([2, 100000000, 9]);
    expect((await dataError(TENX, { dtype: 'counts', maxNonZeros: 4 })).message).toMatch(
      /declares 5 entries, more than the limit of 4/,
    );
    expect((await dataError(TENX, { dtype: 'counts', maxLineLength: 20 })).message).toMatch(
      /<text>:1: line is longer than 20 characters/,
    );
    for (const bad of [
      { dtype: 'float' },
      { dtype: 'counts', transpose: 1 },
      { dtype: 'counts', maxNonZeros: 0 },
      { dtype: 'counts', maxRows: 1.5 },
    ]) {
      await expect(loadMatrixMarket({ text: TENX }, bad as LoadMatrixMarketOptions)).rejects.toThrow(ArgumentError);
    }
    await expect(loadMatrixMarket(join(dir, 'missing.mtx'), { dtype: 'counts' })).rejects.toThrow(
      /cannot read .*missing\.mtx: ENOENT/,
    );
  });

  it('sorts the entries of a file with far more declared columns than entries in memory that follows the entries', async () => {
    // 85 bytes that declare 2³¹ − 1 columns, entries out of order: the sort by column once took a table of one int32
    // per declared column (8 GiB)
    const hostile = '%%MatrixMarket matrix coordinate integer general\n2 2147483647 2\n2 5 1\n1 2147483647 1\n';
    const m = await withInt32ArraysUnder(1 << 21, () => loadMatrixMarket({ text: hostile }, { dtype: 'counts' }));
    expect([m.rows, m.cols, [...m.indptr], [...m.indices], [...m.data]]).toEqual([
      2,
      2147483647,
      [0, 1, 2],
      [2147483646, 4],
      [1, 1],
    ]);
    // transposed: the declared rows become the columns
    const t = await withInt32ArraysUnder(1 << 21, () =>
      loadMatrixMarket(
        { text: '%%MatrixMarket matrix coordinate integer general\n2147483647 2 3\n9 2 4\n7 1 5\n3 2 6\n' },
        { dtype: 'counts', transpose: true },
      ),
    );
    expect([[...t.indptr], [...t.indices], [...t.data]]).toEqual([
      [0, 1, 3],
      [6, 2, 8],
      [5, 6, 4],
    ]);
    // a cell stored twice is still found, naming both lines
    expect(
      (
        await dataError(
          '%%MatrixMarket matrix coordinate integer general\n2 3000000 3\n1 2999999 1\n2 1 1\n1 2999999 2\n',
        )
      ).message,
    ).toMatch(/the cell \(1 2999999\) is stored twice, at line 3 and line 5/);
  });

  it('loads files with more declared columns than the column table allows exactly, in any entry order (property)', async () => {
    const wide = 3_000_000; // over the 2²⁰ floor and the entries: each row's entries sorted by column
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: wide - 1 })), {
          minLength: 1,
          maxLength: 40,
          selector: ([i, j]) => `${i},${j}`,
        }),
        async (rows, raw) => {
          const cells = raw.map(([i, j], k) => [i % rows, j, k + 1] as const);
          const unique = new Map(cells.map((c) => [`${c[0]},${c[1]}`, c]));
          const list = [...unique.values()];
          const text =
            `%%MatrixMarket matrix coordinate integer general\n${rows} ${wide} ${list.length}\n` +
            list.map(([i, j, v]) => `${i + 1} ${j + 1} ${v}\n`).join('');
          const m = await loadMatrixMarket({ text }, { dtype: 'counts' });
          expectValidCsr(m);
          expect(await loadMatrixMarket({ text }, { dtype: 'counts', passes: 2 })).toEqual(m);
          const expected = [...list].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
          const got: (readonly [number, number, number])[] = [];
          for (let i = 0; i < m.rows; i++)
            for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) got.push([i, m.indices[k]!, m.data[k]!]);
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: propertyRuns(100), seed: 2402 },
    );
  });

  /** A random sparse matrix: shape and a set of distinct cells with counts. */
  const sparse = mtxCells(6, false);

  it('loads every well-formed file back exactly, in any entry order, transposed or not (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        sparse,
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(' ', '  ', '\t'),
        async ({ rows, cols, cells }, transpose, asFile, gap) => {
          const text =
            `%%MatrixMarket matrix coordinate integer general\n% generated\n${rows}${gap}${cols}${gap}${cells.length}\n` +
            cells.map(([i, j, v]) => `${i + 1}${gap}${j + 1}${gap}${v}\n`).join('');
          const source = asFile ? write(text) : { text };
          const m = await loadMatrixMarket(source, { dtype: 'counts', transpose });
          expectValidCsr(m);
          // two passes build the same CSR in place
          expect(await loadMatrixMarket(source, { dtype: 'counts', transpose, passes: 2 })).toEqual(m);
          const expected = transpose
            ? Array.from({ length: cols }, () => new Array<number>(rows).fill(0))
            : Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
          for (const [i, j, v] of cells) {
            if (transpose) expected[j]![i] = v;
            else expected[i]![j] = v;
          }
          expect(dense(m)).toEqual(expected);
        },
      ),
      { numRuns: propertyRuns(100), seed: 1701 },
    );
  });

  it('either loads arbitrary or mutated text as a valid CSR or refuses it with a DataError (property)', async () => {
    await fc.assert(
      fc.asyncProperty(hostileMtx(sparse), fc.boolean(), async ([text, dtype], transpose) => {
        const outcome = async (passes: 1 | 2) => {
          try {
            const m = await loadMatrixMarket({ text }, { dtype, transpose, passes });
            expectValidCsr(m);
            return m;
          } catch (e) {
            if (!(e instanceof VariaError)) throw e;
            expect(e).toBeInstanceOf(DataError);
            return (e as DataError).message.replace(/at entry \d+ and entry \d+/, 'at …');
          }
        };
        const [one, two] = [await outcome(1), await outcome(2)];
        // the same matrix or the same refusal (a duplicate's message names lines, not entry numbers, with 2 passes)
        if (typeof one === 'string' && typeof two === 'string') {
          expect(two.replace(/at line \d+ and line \d+/, 'at …')).toBe(one.replace(/at line \d+ and line \d+/, 'at …'));
        } else expect(two).toEqual(one);
      }),
      { numRuns: propertyRuns(200), seed: 1702 },
    );
  });
});
