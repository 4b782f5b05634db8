import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll } from 'vitest';

/*
 * What the Matrix Market tests of loadMatrixMarket and streamMatrixMarket share: the hostile files both refuse, and
 * the generators of random and mutated files.
 */

/**
 * Files that both loaders refuse with the same DataError naming the line, and what its message says: read with
 * dtype {@link hostileDtype}. The last (a size line declaring 4·10¹² entries) is refused before anything is allocated.
 */
export const HOSTILE_MTX: readonly (readonly [text: string, message: RegExp])[] = [
  ['', /<text>:1: empty input/],
  ['2 2 1\n1 1 1\n', /<text>:1: expected the banner/],
  [
    '%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n',
    /only the sparse "coordinate" format .* use loadMatrix/,
  ],
  ['%%MatrixMarket matrix coordinate complex general\n', /value field must be real, integer or pattern, got "complex"/],
  ['%%MatrixMarket matrix coordinate real symmetric\n', /only "general" matrices are read, got "symmetric"/],
  ['%%MatrixMarket matrix coordinate integer general\n% c\n', /no size line/],
  ['%%MatrixMarket matrix coordinate integer general\n2 x 1\n', /<text>:2: expected the size line/],
  ['%%MatrixMarket matrix coordinate integer general\n2 2 5\n', /declares 5 entries, more than the 4 cells/],
  [
    '%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 1\n',
    /<text>:3: truncated: the size line declares 2 entries, found 1/,
  ],
  ['%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1\n2 2 1\n', /<text>:4: more entries than the 1/],
  [
    '%%MatrixMarket matrix coordinate integer general\n2 2 1\n3 1 1\n',
    /<text>:3:1: the row index must be in 1…2, got 3/,
  ],
  [
    '%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 0x1 1\n',
    /<text>:3:2: the column index must be a positive integer, got "0x1"/,
  ],
  [
    '%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 -2\n',
    /<text>:3:3: dtype 'counts' needs a non-negative integer/,
  ],
  [
    '%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 0x10\n',
    /<text>:3:3: hexadecimal, binary and octal literals are not allowed/,
  ],
  ['%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 NaN\n', /<text>:3:3: NaN is not allowed/],
  ['%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1\n', /<text>:3:3: expected 3 fields/],
  [
    '%%MatrixMarket matrix coordinate integer general\n2 2 2\n2 1 1\n% late\n',
    /<text>:4: comment lines are only allowed before the size line/,
  ],
  [
    '%%MatrixMarket matrix coordinate integer general\n60000000 2000000000 4000000000000\n',
    /declares 4000000000000 entries, more than the limit/,
  ],
];

/** The dtype a hostile file is read with: `'real'` when its banner says real, else `'counts'`. */
export function hostileDtype(text: string): 'real' | 'counts' {
  return text.includes(' real ') ? 'real' : 'counts';
}

/** A sparse matrix as its stored cells (0-based row, column, value), each cell once. */
export interface MtxCells {
  rows: number;
  cols: number;
  cells: [number, number, number][];
}

/**
 * Random sparse matrices of 1…`maxRows` rows and 1…6 columns with integer values in [0, 2²⁴]: the cells in any
 * order, or sorted by row (`rowMajor`, what a stream reads).
 */
export function mtxCells(maxRows: number, rowMajor: boolean): fc.Arbitrary<MtxCells> {
  return fc
    .record({ rows: fc.integer({ min: 1, max: maxRows }), cols: fc.integer({ min: 1, max: 6 }) })
    .chain(({ rows, cols }) => {
      const cells = fc.uniqueArray(fc.tuple(fc.nat(rows - 1), fc.nat(cols - 1), fc.integer({ min: 0, max: 2 ** 24 })), {
        selector: ([i, j]) => `${i},${j}`,
        maxLength: rows * cols,
      });
      return fc.record({
        rows: fc.constant(rows),
        cols: fc.constant(cols),
        cells: rowMajor ? cells.map((c) => [...c].sort((a, b) => a[0] - b[0])) : cells,
      });
    });
}

/** Text of the Matrix Market alphabet (banner words, digits, signs, white space), up to 120 characters. */
const mtxish = fc.string({
  unit: fc.constantFrom(
    ...'%%MatrixMarket matrix coordinate integer real pattern general\n 0123456789-.eEx\t'.split(''),
  ),
  maxLength: 120,
});

/** The file of a matrix's cells with up to three edits: a character replaced by up to three random ones. */
function mutatedMtx(matrices: fc.Arbitrary<MtxCells>): fc.Arbitrary<string> {
  return fc
    .tuple(matrices, fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 3 })), { maxLength: 3 }))
    .map(([{ rows, cols, cells }, edits]) => {
      let text = `%%MatrixMarket matrix coordinate integer general\n${rows} ${cols} ${cells.length}\n${cells.map(([i, j, v]) => `${i + 1} ${j + 1} ${v}`).join('\n')}\n`;
      for (const [at, insert] of edits) {
        const k = at % (text.length + 1);
        text = text.slice(0, k) + insert + text.slice(k + 1);
      }
      return text;
    });
}

/**
 * Hostile input for a property: text of the Matrix Market alphabet, or the file of one of `matrices` mutated, with
 * the dtype it is read with.
 */
export function hostileMtx(matrices: fc.Arbitrary<MtxCells>): fc.Arbitrary<[text: string, dtype: 'counts' | 'real']> {
  return fc.tuple(fc.oneof(mtxish, mutatedMtx(matrices)), fc.constantFrom<'counts' | 'real'>('counts', 'real'));
}

/**
 * A fresh temporary directory for a test file's `.mtx` files, removed after its tests: `dir`, and `write(text)`, which
 * writes the next file there and returns its path.
 */
export function mtxDirectory(prefix: string): { dir: string; write(text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  return {
    dir,
    write(text) {
      const path = join(dir, `m${files++}.mtx`);
      writeFileSync(path, text);
      return path;
    },
  };
}
