import { describeSource, LineSplitter, sourceChunks, type TextSource } from './lines.js';
import {
  type EntrySink,
  LOAD_MATRIX_MARKET_KEYS,
  type LoadMatrixMarketOptions,
  type MatrixMarketHeader,
  MatrixMarketParser,
  type MatrixMarketSettings,
  readMatrixMarketOptions,
} from './matrix-market-parser.js';
import type { SparseMatrix } from './sparse-matrix.js';
import { ArgumentError } from '@varia/core';

/** Options of {@link streamMatrixMarket} and {@link openMatrixMarket}: those of {@link loadMatrixMarket}, plus the block size. */
export interface StreamMatrixMarketOptions extends Omit<LoadMatrixMarketOptions, 'passes'> {
  /**
   * Rows per block (default {@link MATRIX_MARKET_DEFAULT_BLOCK_ROWS}); the last block may have fewer. Use the
   * training batch size to get one block per batch.
   */
  blockRows?: number;
}

/** The default of {@link StreamMatrixMarketOptions.blockRows}: 1024 rows. */
export const MATRIX_MARKET_DEFAULT_BLOCK_ROWS = 1024;

const STREAM_KEYS = [
  ...LOAD_MATRIX_MARKET_KEYS.filter((k) => k !== 'passes'),
  'blockRows',
] as const satisfies readonly (keyof StreamMatrixMarketOptions)[];

/** Consecutive rows of a streamed matrix: rows `start … start + matrix.rows − 1` of the whole. */
export interface SparseRowBlock {
  /** The index of the block's first row in the whole matrix (0-based). */
  readonly start: number;
  /** The block's rows as CSR (every row of the range, empty ones included). */
  readonly matrix: SparseMatrix;
}

/** A Matrix Market file whose header has been read: its size, and its row blocks, read again on every call. */
export interface MatrixMarketFile {
  /** What the banner and size line declare (rows and columns after `transpose`). */
  readonly header: MatrixMarketHeader;
  /**
   * The row blocks, streamed from the start of the file on each call (one pass = one epoch).
   * @throws as {@link streamMatrixMarket}; DataError when the file's header changed since it was opened.
   */
  blocks(): AsyncIterableIterator<SparseRowBlock>;
}

/**
 * Collects the entries of one block of rows (the file is row-major: the entries of row i come before those of row
 * i + 1; within a row any column order). Entries past the block are held back one at a time: the reader takes the
 * finished block before the parser reads on, so at most one block is held.
 */
class BlockBuilder implements EntrySink {
  /** What the size line declared, once read. */
  declared: MatrixMarketHeader | undefined;
  private blockStart = 0;
  private blockEnd = 0;
  private lastRow = -1;
  private count = 0;
  private rowOf = new Int32Array(256);
  private colOf = new Int32Array(256);
  private values = new Float32Array(256);
  /** The file line of each entry of the block, for the message of a cell stored twice. */
  private lines = new Float64Array(256);
  /** An entry of a later block, read before the current block was taken. */
  private held: { row: number; col: number; value: number; line: number } | undefined;
  parser!: MatrixMarketParser;

  constructor(private readonly blockRows: number) {}

  header(h: MatrixMarketHeader): void {
    this.declared = h;
    this.blockEnd = Math.min(this.blockRows, h.rows);
  }

  entry(row: number, col: number, value: number): void {
    if (row < this.lastRow) {
      const { transpose } = this.parser.settings;
      this.parser.fail(
        `the entries are not sorted by ${transpose ? 'column (the rows after "transpose")' : 'row'}: ${transpose ? 'column' : 'row'} ${row + 1} comes after ${this.lastRow + 1}; streamMatrixMarket reads files in row-major order (10x Genomics' matrix.mtx with transpose: true is) — load other files whole with loadMatrixMarket`,
      );
    }
    this.lastRow = row;
    if (row >= this.blockEnd) this.held = { row, col, value, line: this.parser.lineNumber };
    else this.add(row, col, value, this.parser.lineNumber);
  }

  private add(row: number, col: number, value: number, line: number): void {
    if (this.count === this.rowOf.length) {
      const grow = <T extends Int32Array | Float32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.rowOf = grow(this.rowOf);
      this.colOf = grow(this.colOf);
      this.values = grow(this.values);
      this.lines = grow(this.lines);
    }
    const k = this.count++;
    this.rowOf[k] = row;
    this.colOf[k] = col;
    this.values[k] = value;
    this.lines[k] = line;
  }

  /** Whether the current block is complete (an entry of a later row arrived, or `end` says the input ended). */
  ready(end: boolean): boolean {
    const rows = this.declared?.rows ?? 0;
    return this.blockStart < rows && (this.held !== undefined || end);
  }

  /** Takes the current block (CSR, each row sorted by column) and starts the next one. @throws DataError for a cell stored twice. */
  take(): SparseRowBlock {
    const { blockStart, blockEnd, count } = this;
    const rows = blockEnd - blockStart;
    const indptr = new Int32Array(rows + 1);
    for (let k = 0; k < count; k++) indptr[this.rowOf[k]! - blockStart + 1]!++;
    for (let i = 0; i < rows; i++) indptr[i + 1]! += indptr[i]!;
    const indices = this.colOf.slice(0, count);
    const data = this.values.slice(0, count);
    // entries arrive row by row: each row's entries are one run; sort a run by column when the file did not
    for (let i = 0; i < rows; i++) this.sortRow(indices, data, indptr[i]!, indptr[i + 1]!);
    const block: SparseRowBlock = {
      start: blockStart,
      matrix: { rows, cols: this.declared!.cols, indptr, indices, data },
    };
    this.count = 0;
    this.blockStart = blockEnd;
    this.blockEnd = Math.min(blockEnd + this.blockRows, this.declared!.rows);
    const held = this.held;
    if (held && held.row < this.blockEnd) {
      this.held = undefined;
      this.add(held.row, held.col, held.value, held.line);
    }
    return block;
  }

  private sortRow(indices: Int32Array, data: Float32Array, from: number, to: number): void {
    let sorted = true;
    for (let k = from + 1; k < to && sorted; k++) sorted = indices[k]! > indices[k - 1]!;
    if (sorted) return;
    const order = Array.from({ length: to - from }, (_, k) => from + k).sort(
      (a, b) => indices[a]! - indices[b]! || a - b,
    );
    const cols = order.map((k) => indices[k]!);
    const vals = order.map((k) => data[k]!);
    for (let k = 1; k < order.length; k++) {
      if (cols[k] === cols[k - 1]) {
        const [a, b] = [this.lines[order[k - 1]!]!, this.lines[order[k]!]!];
        this.parser.fail(
          `the cell (${this.parser.cellName(this.rowOf[order[k]!]!, cols[k]!)}) is stored twice, at line ${a} and line ${b}`,
          undefined,
          b,
        );
      }
    }
    indices.set(cols, from);
    data.set(vals, from);
  }
}

async function* readBlocks(
  where: string,
  source: TextSource,
  settings: MatrixMarketSettings,
  blockRows: number,
  onHeader?: (h: MatrixMarketHeader, parser: MatrixMarketParser) => void,
): AsyncGenerator<SparseRowBlock, void, undefined> {
  const { label, file } = describeSource(where, source);
  const builder = new BlockBuilder(blockRows);
  const parser = new MatrixMarketParser(where, label, file, settings, builder);
  builder.parser = parser;
  const splitter = new LineSplitter(parser, settings.maxLineLength);
  let announced = false;
  const read = function* (lines: string[]): Generator<SparseRowBlock, void, undefined> {
    for (const line of lines) {
      parser.line(line);
      if (!announced && builder.declared) {
        announced = true;
        onHeader?.(builder.declared, parser);
      }
      while (builder.ready(false)) yield builder.take();
    }
  };
  for await (const chunk of sourceChunks(where, source)) yield* read(splitter.push(chunk));
  yield* read(splitter.end());
  parser.finish();
  while (builder.ready(true)) yield builder.take();
}

function blockRowsOption(where: string, options: StreamMatrixMarketOptions): number {
  const value = options.blockRows ?? MATRIX_MARKET_DEFAULT_BLOCK_ROWS;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 2 ** 26) {
    throw new ArgumentError(
      'blockRows',
      `${where}: "blockRows" must be an integer in 1…${2 ** 26}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Streams a Matrix Market coordinate file as blocks of consecutive rows (CSR each), for matrices larger than memory:
 * the text is read in 64 KiB chunks and only one block's entries are held (8 bytes per entry, plus one chunk of
 * text), whatever the size of the file.
 *
 * What is streamed: files in **row-major order** — the entries of row i before those of row i + 1 (within a row, any
 * column order). With `transpose: true` that is a file sorted by column, as 10x Genomics' `matrix.mtx` (genes ×
 * cells, sorted by cell) is. A file out of order is refused with a DataError at the first entry out of order; load
 * such files whole with {@link loadMatrixMarket}, which sorts. Every block covers exactly `blockRows` rows (the last
 * one the rest), empty rows included, so block b starts at row b·blockRows.
 *
 * The same grammar, limits and typed errors as {@link loadMatrixMarket}. Errors are found as the reader gets to
 * them: a malformed line in the middle of the file throws after the blocks before it were yielded.
 *
 * @example
 * ```ts
 * for await (const { start, matrix } of streamMatrixMarket('matrix.mtx', { dtype: 'counts', transpose: true, blockRows: 128 })) {
 *   const dense = sparseRowsToDense(matrix, 0, matrix.rows); // rows start … start + 127
 * }
 * ```
 * @throws ArgumentError for bad options (at the call); DataError (while iterating) for everything
 *   {@link loadMatrixMarket} refuses, and for entries not in row-major order.
 */
export function streamMatrixMarket(
  source: TextSource,
  options: StreamMatrixMarketOptions,
): AsyncIterableIterator<SparseRowBlock> {
  const where = 'streamMatrixMarket';
  const settings = readMatrixMarketOptions(where, options, STREAM_KEYS);
  const blockRows = blockRowsOption(where, options);
  describeSource(where, source);
  return readBlocks(where, source, settings, blockRows);
}

/**
 * Reads the header of a Matrix Market file (banner and size line, nothing more) and returns a handle whose
 * `blocks()` streams the file's row blocks again on every call — one call per training epoch. See
 * {@link streamMatrixMarket} for what is streamed.
 *
 * @example
 * ```ts
 * const file = await openMatrixMarket('matrix.mtx', { dtype: 'counts', transpose: true, blockRows: 128 });
 * console.log(file.header.rows, file.header.cols);
 * for await (const block of file.blocks()) use(block.matrix);
 * ```
 * @throws ArgumentError for bad options; DataError for a header {@link loadMatrixMarket} refuses or an unreadable file.
 */
export async function openMatrixMarket(
  source: TextSource,
  options: StreamMatrixMarketOptions,
): Promise<MatrixMarketFile> {
  const where = 'openMatrixMarket';
  const settings = readMatrixMarketOptions(where, options, STREAM_KEYS);
  const blockRows = blockRowsOption(where, options);
  let header: MatrixMarketHeader | undefined;
  const stop = new Error('header read');
  try {
    // reads until the size line, then stops there (which closes the file); a file without one is refused
    await readBlocks(where, source, settings, blockRows, (h) => {
      header = h;
      throw stop;
    }).next();
  } catch (e) {
    if (e !== stop) throw e;
  }
  if (header === undefined) throw new Error('unreachable: a file without a size line was not refused');
  const declared: MatrixMarketHeader = header;
  return {
    header: declared,
    blocks: () =>
      readBlocks('streamMatrixMarket', source, settings, blockRows, (h, parser) => {
        if (h.rows !== declared.rows || h.cols !== declared.cols || h.nonZeros !== declared.nonZeros) {
          parser.fail(
            `the file changed since it was opened: its size line now declares ${h.rows} × ${h.cols} with ${h.nonZeros} entries, not ${declared.rows} × ${declared.cols} with ${declared.nonZeros}`,
          );
        }
      }),
  };
}
