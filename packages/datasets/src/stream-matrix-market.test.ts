import { execFileSync } from 'node:child_process';
import { createWriteStream, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, DataError, VariaError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMatrixMarket } from './load-matrix-market.js';
import type { SparseMatrix } from './sparse-matrix.js';
import {
  openMatrixMarket,
  type SparseRowBlock,
  type StreamMatrixMarketOptions,
  streamMatrixMarket,
} from './stream-matrix-market.js';
import { HOSTILE_MTX, hostileDtype, hostileMtx, mtxCells, mtxDirectory } from './test-utils/mtx-fixtures.js';
import { propertyRuns } from './test-utils/property-runs.js';

const { dir, write } = mtxDirectory('varia-mtx-stream-');

async function collect(blocks: AsyncIterable<SparseRowBlock>): Promise<SparseRowBlock[]> {
  const out: SparseRowBlock[] = [];
  for await (const b of blocks) out.push(b);
  return out;
}

/** The dense rows of a list of blocks, cell by cell from the CSR definition, checking each block's invariants. */
function denseRows(blocks: SparseRowBlock[], blockRows: number): number[][] {
  const rows: number[][] = [];
  blocks.forEach((b, n) => {
    const m: SparseMatrix = b.matrix;
    expect(b.start).toBe(n * blockRows);
    expect(b.start).toBe(rows.length);
    expect(m.indptr.length).toBe(m.rows + 1);
    expect(m.indptr[0]).toBe(0);
    expect(m.indptr[m.rows]).toBe(m.indices.length);
    expect(m.data.length).toBe(m.indices.length);
    for (let i = 0; i < m.rows; i++) {
      const row = new Array<number>(m.cols).fill(0);
      for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) {
        expect(m.indices[k]!).toBeGreaterThanOrEqual(0);
        expect(m.indices[k]!).toBeLessThan(m.cols);
        if (k > m.indptr[i]!) expect(m.indices[k]!).toBeGreaterThan(m.indices[k - 1]!);
        row[m.indices[k]!] = m.data[k]!;
      }
      rows.push(row);
    }
  });
  return rows;
}

// 10x Genomics' layout: genes × cells, sorted by column (cell): row-major once transposed
const TENX = `%%MatrixMarket matrix coordinate integer general
%metadata_json: {"software_version": "cellranger-7.1.0", "format_version": 2}
4 5 6
2 1 7
4 1 1
3 2 12
1 2 3
4 3 2
1 5 9
`;
const TENX_CELLS = [
  [0, 7, 0, 1],
  [3, 0, 12, 0],
  [0, 0, 0, 2],
  [0, 0, 0, 0],
  [9, 0, 0, 0],
];

describe('streamMatrixMarket', () => {
  it('streams a 10x-style file (genes × cells) as blocks of cells, from a file and from text', async () => {
    for (const source of [write(TENX), { text: TENX }]) {
      const blocks = await collect(streamMatrixMarket(source, { dtype: 'counts', transpose: true, blockRows: 2 }));
      expect(blocks.map((b) => [b.start, b.matrix.rows, b.matrix.cols])).toEqual([
        [0, 2, 4],
        [2, 2, 4],
        [4, 1, 4],
      ]);
      expect(denseRows(blocks, 2)).toEqual(TENX_CELLS);
      // a row's entries in any column order come out sorted (cell 2: genes 3 then 1 in the file)
      expect(Array.from(blocks[0]!.matrix.indices)).toEqual([1, 3, 0, 2]);
    }
  });

  it('openMatrixMarket reads only the header, and blocks() streams the file again on every call', async () => {
    const path = write(TENX);
    const file = await openMatrixMarket(path, { dtype: 'counts', transpose: true, blockRows: 3 });
    expect(file.header).toEqual({ rows: 5, cols: 4, nonZeros: 6, field: 'integer' });
    for (let epoch = 0; epoch < 2; epoch++) expect(denseRows(await collect(file.blocks()), 3)).toEqual(TENX_CELLS);
    // the header is all it reads: garbage after the size line is found by blocks(), not by open
    const broken = write(`${TENX.split('\n').slice(0, 3).join('\n')}\n1 1 x\n`);
    const opened = await openMatrixMarket(broken, { dtype: 'counts' });
    expect(opened.header.nonZeros).toBe(6);
    await expect(collect(opened.blocks())).rejects.toThrow(/:4:3: not a number: "x"/);
    // a file that changed between open and blocks()
    writeFileSync(path, TENX.replace('4 5 6', '4 5 5'));
    await expect(collect(file.blocks())).rejects.toThrow(/the file changed since it was opened/);
  });

  it('refuses entries out of row order with a DataError naming the line, and says what to use', async () => {
    const text = '%%MatrixMarket matrix coordinate integer general\n3 3 3\n1 1 1\n3 1 1\n2 2 1\n';
    const e = await collect(streamMatrixMarket({ text }, { dtype: 'counts' })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).location.line).toBe(5);
    expect((e as DataError).message).toMatch(
      /<text>:5: the entries are not sorted by row: row 2 comes after 3;.*loadMatrixMarket/,
    );
    // the same file is loaded whole by loadMatrixMarket
    expect((await loadMatrixMarket({ text }, { dtype: 'counts' })).indices.length).toBe(3);
    // transposed, order means the file's columns
    const byRow = '%%MatrixMarket matrix coordinate integer general\n3 3 3\n1 1 1\n1 3 1\n2 2 1\n';
    await expect(collect(streamMatrixMarket({ text: byRow }, { dtype: 'counts', transpose: true }))).rejects.toThrow(
      /<text>:5: the entries are not sorted by column .*: column 2 comes after 3/,
    );
  });

  it('refuses a cell stored twice within a row, naming both lines', async () => {
    const text = '%%MatrixMarket matrix coordinate integer general\n2 3 3\n1 3 1\n1 1 4\n1 3 5\n';
    await expect(collect(streamMatrixMarket({ text }, { dtype: 'counts' }))).rejects.toThrow(
      /<text>:5: the cell \(1 3\) is stored twice, at line 3 and line 5/,
    );
  });

  it('refuses what loadMatrixMarket refuses, with the same message; bad options at the call', async () => {
    for (const [text, message] of HOSTILE_MTX) {
      const dtype = hostileDtype(text);
      const loaded = await loadMatrixMarket({ text }, { dtype }).catch((x: DataError) => x);
      const streamed = await collect(streamMatrixMarket({ text }, { dtype })).catch((x: DataError) => x);
      expect(loaded).toBeInstanceOf(DataError);
      expect(streamed).toBeInstanceOf(DataError);
      const [a, b] = [loaded as DataError, streamed as DataError];
      expect(b.message).toMatch(message);
      expect(b.message.replace(/^streamMatrixMarket/, 'loadMatrixMarket')).toBe(a.message);
      expect(b.location).toEqual(a.location);
    }
    await expect(collect(streamMatrixMarket({ text: TENX }, { dtype: 'counts', maxLineLength: 20 }))).rejects.toThrow(
      /<text>:1: line is longer than 20 characters/,
    );
    await expect(collect(streamMatrixMarket(join(dir, 'missing.mtx'), { dtype: 'counts' }))).rejects.toThrow(
      /cannot read .*missing\.mtx: ENOENT/,
    );
    for (const bad of [
      { dtype: 'float' },
      { dtype: 'counts', blockRows: 0 },
      { dtype: 'counts', blockRows: 2.5 },
      { dtype: 'counts', blokRows: 2 },
    ]) {
      expect(() => streamMatrixMarket({ text: TENX }, bad as StreamMatrixMarketOptions)).toThrow(ArgumentError);
      await expect(openMatrixMarket({ text: TENX }, bad as StreamMatrixMarketOptions)).rejects.toThrow(ArgumentError);
    }
  });

  it('closes the file when the consumer stops early or the file is refused', async () => {
    // descriptors open on the given files (counting all of the process's descriptors is flaky: the test runner opens
    // and closes its own meanwhile)
    const openOn = (paths: string[]): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return paths.includes(readlinkSync(`/proc/self/fd/${fd}`));
        } catch {
          return false; // closed meanwhile
        }
      }).length;
    try {
      openOn([]);
    } catch {
      return; // no /proc on this system
    }
    const path = write(TENX);
    const refused = write(`${TENX}1 1 1\n`);
    for await (const _ of streamMatrixMarket(path, { dtype: 'counts', transpose: true, blockRows: 1 })) break;
    await expect(collect(streamMatrixMarket(refused, { dtype: 'counts' }))).rejects.toThrow(DataError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(openOn([path, refused])).toBe(0);
  });

  it('yields a block as soon as it is complete: the rest of the file need not exist yet (a FIFO)', async () => {
    const fifo = join(dir, 'fifo.mtx');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo on this system
    }
    const writer = createWriteStream(fifo);
    writer.write('%%MatrixMarket matrix coordinate integer general\n4 2 4\n1 1 5\n2 2 6\n3 1 7\n');
    const blocks = streamMatrixMarket(fifo, { dtype: 'counts', blockRows: 2 });
    const first = await blocks.next();
    expect(first.done).toBe(false);
    expect(denseRows([first.value as SparseRowBlock], 2)).toEqual([
      [5, 0],
      [0, 6],
    ]);
    // only now is the rest written
    writer.end('4 2 8\n');
    const rest = await collect(blocks);
    expect(rest.map((b) => b.start)).toEqual([2]);
    expect(denseRows([first.value as SparseRowBlock, ...rest], 2).slice(2)).toEqual([
      [7, 0],
      [0, 8],
    ]);
  });

  it('allocates nothing for what the size line declares: memory follows the entries read, one block at a time', async () => {
    // 2^26 rows and 2^27 entries declared (a 1.5 GB CSR), one entry present: refused at once as truncated
    const text = '%%MatrixMarket matrix coordinate integer general\n67108864 2000 134217728\n1 1 1\n';
    const before = process.memoryUsage().arrayBuffers;
    await expect(collect(streamMatrixMarket({ text }, { dtype: 'counts' }))).rejects.toThrow(
      /truncated: the size line declares 134217728 entries, found 1/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 20);
    // every block holds only its rows' entries: the largest block of a long file is one block's worth
    const rows = 5000;
    const long = `%%MatrixMarket matrix coordinate integer general\n${rows} 3 ${rows}\n${Array.from({ length: rows }, (_, i) => `${i + 1} ${(i % 3) + 1} ${i}`).join('\n')}\n`;
    let largest = 0;
    let count = 0;
    for await (const b of streamMatrixMarket({ text: long }, { dtype: 'counts', blockRows: 100 })) {
      largest = Math.max(largest, b.matrix.indices.length);
      count++;
    }
    expect([count, largest]).toEqual([50, 100]);
  });

  /** A random sparse matrix with its cells in row-major order (columns shuffled within a row). */
  const rowMajor = mtxCells(7, true);

  it('streams every well-formed row-major file to the blocks of its matrix, for any block size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        rowMajor,
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        fc.boolean(),
        async ({ rows, cols, cells }, blockRows, transpose, asFile) => {
          // transposed, the file stores the transpose: its columns are the rows read
          const text =
            `%%MatrixMarket matrix coordinate integer general\n${transpose ? `${cols} ${rows}` : `${rows} ${cols}`} ${cells.length}\n` +
            cells.map(([i, j, v]) => (transpose ? `${j + 1} ${i + 1} ${v}\n` : `${i + 1} ${j + 1} ${v}\n`)).join('');
          const blocks = await collect(
            streamMatrixMarket(asFile ? write(text) : { text }, { dtype: 'counts', transpose, blockRows }),
          );
          const expected = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
          for (const [i, j, v] of cells) expected[i]![j] = v;
          expect(blocks.length).toBe(Math.ceil(rows / blockRows));
          expect(denseRows(blocks, blockRows)).toEqual(expected);
        },
      ),
      { numRuns: propertyRuns(100), seed: 1801 },
    );
  });

  it('hostile input: streams valid blocks or throws a DataError; when it streams, loadMatrixMarket agrees (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileMtx(rowMajor),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        async ([text, dtype], transpose, blockRows) => {
          let rows: number[][];
          try {
            rows = denseRows(await collect(streamMatrixMarket({ text }, { dtype, transpose, blockRows })), blockRows);
          } catch (e) {
            if (!(e instanceof VariaError)) throw e;
            expect(e).toBeInstanceOf(DataError);
            return;
          }
          const whole = await loadMatrixMarket({ text }, { dtype, transpose });
          expect(denseRows([{ start: 0, matrix: whole }], whole.rows)).toEqual(rows);
        },
      ),
      { numRuns: propertyRuns(200), seed: 1802 },
    );
  });
});
