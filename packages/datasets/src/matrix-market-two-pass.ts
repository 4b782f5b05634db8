import type { SparseMatrix } from '@varia/core';
import { feedLines, type TextSource } from './lines.js';
import {
  type EntrySink,
  type MatrixMarketHeader,
  MatrixMarketParser,
  type MatrixMarketSettings,
} from './matrix-market-parser.js';

/*
 * loadMatrixMarket with `passes: 2`: the CSR built in place, for files whose entries are in any order, with 8 bytes
 * per entry at the peak instead of 20. Pass 1 checks everything and counts the entries of each row; pass 2 writes each
 * entry straight to its row's next slot; then each row is sorted by column. A cell stored twice is found in the sorted
 * row and located by a third, partial pass. Internal.
 */

/** Pass 1: the header and the entries per row, nothing else. */
class RowCounter implements EntrySink {
  declared: MatrixMarketHeader | undefined;
  /** Entries of row i at [i + 1], prefix-summed into row pointers by `indptr()`. */
  private counts = new Int32Array(0);

  header(h: MatrixMarketHeader): void {
    this.declared = h;
    this.counts = new Int32Array(h.rows + 1);
  }

  entry(row: number): void {
    this.counts[row + 1]!++;
  }

  indptr(): Int32Array {
    const p = this.counts;
    for (let i = 1; i < p.length; i++) p[i]! += p[i - 1]!;
    return p;
  }
}

/** Pass 2: each entry to the next free slot of its row. */
class EntryPlacer implements EntrySink {
  parser!: MatrixMarketParser;
  readonly indices: Int32Array;
  readonly data: Float32Array;
  private readonly next: Int32Array;

  constructor(
    private readonly declared: MatrixMarketHeader,
    readonly indptr: Int32Array,
  ) {
    this.indices = new Int32Array(indptr[declared.rows]!);
    this.data = new Float32Array(indptr[declared.rows]!);
    this.next = indptr.slice(0, declared.rows);
  }

  private changed(): never {
    return this.parser.fail('the file changed while it was read (its second pass differs from the first)');
  }

  header(h: MatrixMarketHeader): void {
    const d = this.declared;
    if (h.rows !== d.rows || h.cols !== d.cols || h.nonZeros !== d.nonZeros || h.field !== d.field) this.changed();
  }

  entry(row: number, col: number, value: number): void {
    const k = this.next[row]!;
    if (k >= this.indptr[row + 1]!) this.changed();
    this.next[row] = k + 1;
    this.indices[k] = col;
    this.data[k] = value;
  }

  /** Sorts each row by column; the first cell stored twice as [row, column], or undefined. */
  sortRows(): [number, number] | undefined {
    const { indptr, indices, data } = this;
    for (let i = 0; i + 1 < indptr.length; i++) {
      const [from, to] = [indptr[i]!, indptr[i + 1]!];
      let sorted = true;
      for (let k = from + 1; k < to && sorted; k++) sorted = indices[k]! > indices[k - 1]!;
      if (sorted) continue;
      const order = Array.from({ length: to - from }, (_, k) => from + k).sort((a, b) => indices[a]! - indices[b]!);
      const cols = Int32Array.from(order, (k) => indices[k]!);
      const vals = Float32Array.from(order, (k) => data[k]!);
      for (let k = 1; k < cols.length; k++) if (cols[k] === cols[k - 1]) return [i, cols[k]!];
      indices.set(cols, from);
      data.set(vals, from);
    }
    return undefined;
  }
}

/** Pass 3 (only for a cell stored twice): the lines of its first two entries. */
class CellFinder implements EntrySink {
  parser!: MatrixMarketParser;
  readonly lines: number[] = [];
  constructor(
    private readonly row: number,
    private readonly col: number,
    private readonly stop: Error,
  ) {}
  header(): void {}
  entry(row: number, col: number): void {
    if (row !== this.row || col !== this.col) return;
    this.lines.push(this.parser.lineNumber);
    if (this.lines.length === 2) throw this.stop;
  }
}

/** One pass of `sink` over `source` (the parser it was given is returned for messages). */
async function pass<S extends EntrySink & { parser?: MatrixMarketParser }>(
  where: string,
  source: TextSource,
  described: { label: string; file: string | undefined },
  settings: MatrixMarketSettings,
  sink: S,
): Promise<MatrixMarketParser> {
  const parser = new MatrixMarketParser(where, described.label, described.file, settings, sink);
  sink.parser = parser;
  await feedLines(where, source, parser, settings.maxLineLength);
  parser.finish();
  return parser;
}

/** The CSR of a Matrix Market file in two passes (see the module comment). @throws DataError as loadMatrixMarket. */
export async function loadTwoPass(
  where: string,
  source: TextSource,
  described: { label: string; file: string | undefined },
  settings: MatrixMarketSettings,
): Promise<SparseMatrix> {
  const counter = new RowCounter();
  await pass(where, source, described, settings, counter);
  const declared = counter.declared!;
  const placer = new EntryPlacer(declared, counter.indptr());
  const parser = await pass(where, source, described, settings, placer);
  const twice = placer.sortRows();
  if (twice) {
    const stop = new Error('found');
    const finder = new CellFinder(twice[0], twice[1], stop);
    await pass(where, source, described, settings, finder).catch((e: unknown) => {
      if (e !== stop) throw e;
    });
    const [a, b] = finder.lines;
    if (b === undefined) parser.fail('the file changed while it was read (its third pass differs from the first)');
    parser.fail(
      `the cell (${parser.cellName(twice[0], twice[1])}) is stored twice, at line ${a} and line ${b}`,
      undefined,
      b,
    );
  }
  return {
    rows: declared.rows,
    cols: declared.cols,
    indptr: placer.indptr,
    indices: placer.indices,
    data: placer.data,
  };
}
