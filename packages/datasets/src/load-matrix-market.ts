import { ArgumentError, assertOptions, DataError, type DataLocation } from '@varia/core';
import { requireOneOf } from './arguments.js';
import { readCell } from './cells.js';
import { describeSource, feedLines, type LineSink, requireMaxLineLength, type TextSource } from './lines.js';
import type { SparseMatrix } from './sparse-matrix.js';

/** Options of {@link loadMatrixMarket}. */
export interface LoadMatrixMarketOptions {
  /**
   * `'counts'`: every stored value must be a non-negative integer ≤ 2²⁴ (exact in float32); `'real'`: any finite
   * number within float32 range. The same cell rules as {@link loadMatrix}.
   */
  dtype: 'counts' | 'real';
  /**
   * Swap rows and columns. Single-cell count matrices (10x Genomics' `matrix.mtx`) are stored genes × cells; with
   * `transpose: true` each cell becomes a row (an example). Default `false`.
   */
  transpose?: boolean;
  /** The longest line accepted, in characters, as in {@link LoadMatrixOptions.maxLineLength}. */
  maxLineLength?: number;
  /**
   * The most stored entries the size line may declare (default {@link MATRIX_MARKET_DEFAULT_MAX_NON_ZEROS}); checked
   * before anything is allocated. Loading needs about 20 bytes per entry at its peak (12 while reading, 8 kept).
   */
  maxNonZeros?: number;
  /** The most rows (after `transpose`) the size line may declare (default {@link MATRIX_MARKET_DEFAULT_MAX_ROWS}). */
  maxRows?: number;
}

/** The option names {@link loadMatrixMarket} accepts; any other key is an ArgumentError with a "did you mean" hint. */
const LOAD_MATRIX_MARKET_KEYS = [
  'dtype',
  'transpose',
  'maxLineLength',
  'maxNonZeros',
  'maxRows',
] as const satisfies readonly (keyof LoadMatrixMarketOptions)[];

/** The default of {@link LoadMatrixMarketOptions.maxNonZeros}: 2²⁷ (134 million) stored entries. */
export const MATRIX_MARKET_DEFAULT_MAX_NON_ZEROS = 2 ** 27;
/** The default of {@link LoadMatrixMarketOptions.maxRows}: 2²⁶ (67 million) rows. */
export const MATRIX_MARKET_DEFAULT_MAX_ROWS = 2 ** 26;

const INT32_MAX = 2 ** 31 - 1;
const BANNER = /^%%matrixmarket\s+matrix\s+(\S+)\s+(\S+)\s+(\S+)\s*$/i;
const SIZE = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/;
const INDEX = /^\d+$/;

function requireLimit(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ArgumentError(name, `${where}: "${name}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A push parser over the lines of one Matrix Market file. */
class MatrixMarketParser implements LineSink {
  private lineNumber = 0;
  private state: 'banner' | 'size' | 'entries' = 'banner';
  private pattern = false;
  private rows = 0;
  private cols = 0;
  private declared = 0;
  private count = 0;
  private rowOf = new Int32Array(0);
  private colOf = new Int32Array(0);
  private values = new Float32Array(0);
  private sorted = true;
  private firstEntryLine = 0;
  /** Blank lines among the entries: then entry k is no longer on line firstEntryLine + k. */
  private gaps = false;
  private column = 0;
  private readonly failCell = (message: string): never => this.fail(message, this.column);

  constructor(
    private readonly label: string,
    private readonly file: string | undefined,
    private readonly counts: boolean,
    private readonly transpose: boolean,
    private readonly maxNonZeros: number,
    private readonly maxRows: number,
  ) {}

  private fail(message: string, column?: number, line = this.lineNumber): never {
    const location: DataLocation = { line };
    if (this.file !== undefined) location.file = this.file;
    if (column !== undefined) location.column = column;
    throw new DataError(
      `loadMatrixMarket: ${this.label}:${line}${column === undefined ? '' : `:${column}`}: ${message}`,
      location,
    );
  }

  tooLong(limit: number): never {
    this.lineNumber++;
    this.fail(`line is longer than ${limit} characters (option "maxLineLength")`);
  }

  line(raw: string): void {
    this.lineNumber++;
    let line = raw;
    if (this.lineNumber === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (this.state === 'banner') this.banner(line);
    else if (line.trim().length === 0) {
      if (this.state === 'entries') this.gaps = true;
    } else if (this.state === 'size') {
      if (!line.startsWith('%')) this.size(line);
    } else this.entry(line);
  }

  private banner(line: string): void {
    const m = BANNER.exec(line);
    if (!m) {
      this.fail(
        `expected the banner "%%MatrixMarket matrix coordinate <real|integer|pattern> general", got ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    const [format, field, symmetry] = [m[1]!.toLowerCase(), m[2]!.toLowerCase(), m[3]!.toLowerCase()];
    if (format !== 'coordinate') {
      this.fail(
        `only the sparse "coordinate" format is read, got "${format}" (a dense "array" file is plain text: use loadMatrix)`,
      );
    }
    if (field !== 'real' && field !== 'integer' && field !== 'pattern') {
      this.fail(`the value field must be real, integer or pattern, got "${field}"`);
    }
    if (symmetry !== 'general') this.fail(`only "general" matrices are read, got "${symmetry}"`);
    this.pattern = field === 'pattern';
    this.state = 'size';
  }

  private size(line: string): void {
    const m = SIZE.exec(line);
    if (!m)
      this.fail(
        `expected the size line "rows columns entries" (three non-negative integers), got ${JSON.stringify(line.slice(0, 80))}`,
      );
    let [rows, cols] = [Number(m[1]), Number(m[2])];
    const entries = Number(m[3]);
    if (this.transpose) [rows, cols] = [cols, rows];
    if (rows < 1 || cols < 1 || rows > INT32_MAX || cols > INT32_MAX) {
      this.fail(`rows and columns must be in 1…${INT32_MAX}, got ${m[1]} × ${m[2]}`);
    }
    if (rows > this.maxRows)
      this.fail(`declares ${rows} rows, more than the limit of ${this.maxRows} (option "maxRows")`);
    if (entries > this.maxNonZeros) {
      this.fail(`declares ${entries} entries, more than the limit of ${this.maxNonZeros} (option "maxNonZeros")`);
    }
    if (entries > rows * cols)
      this.fail(`declares ${entries} entries, more than the ${rows * cols} cells of a ${m[1]} × ${m[2]} matrix`);
    this.rows = rows;
    this.cols = cols;
    this.declared = entries;
    this.rowOf = new Int32Array(entries);
    this.colOf = new Int32Array(entries);
    this.values = new Float32Array(entries);
    this.firstEntryLine = this.lineNumber + 1;
    this.state = 'entries';
  }

  private index(field: string, column: number, limit: number, what: string): number {
    if (!INDEX.test(field))
      this.fail(`the ${what} index must be a positive integer, got ${JSON.stringify(field)}`, column);
    const value = Number(field);
    if (value < 1 || value > limit) this.fail(`the ${what} index must be in 1…${limit}, got ${field}`, column);
    return value - 1;
  }

  private entry(line: string): void {
    if (line.startsWith('%')) this.fail('comment lines are only allowed before the size line');
    const fields = line.trim().split(/\s+/);
    const want = this.pattern ? 2 : 3;
    if (fields.length !== want) {
      this.fail(
        `expected ${want} fields (${this.pattern ? 'row column' : 'row column value'}), got ${fields.length}`,
        Math.min(fields.length, want) + 1,
      );
    }
    if (this.count === this.declared) this.fail(`more entries than the ${this.declared} the size line declares`);
    const [first, second] = this.transpose ? [this.cols, this.rows] : [this.rows, this.cols];
    let i = this.index(fields[0]!, 1, first, 'row');
    let j = this.index(fields[1]!, 2, second, 'column');
    if (this.transpose) [i, j] = [j, i];
    let value = 1;
    if (!this.pattern) {
      this.column = 3;
      value = readCell(fields[2]!, this.counts, this.failCell);
    }
    const k = this.count++;
    if (k > 0) {
      const [pi, pj] = [this.rowOf[k - 1]!, this.colOf[k - 1]!];
      if (i < pi || (i === pi && j <= pj)) this.sorted = false;
    }
    this.rowOf[k] = i;
    this.colOf[k] = j;
    this.values[k] = value;
  }

  /** Where entry `k` (0-based, in file order) was, for messages. */
  private entryAt(k: number): string {
    return this.gaps ? `entry ${k + 1}` : `line ${this.firstEntryLine + k}`;
  }

  finish(): SparseMatrix {
    if (this.state === 'banner') this.fail('empty input: expected the "%%MatrixMarket" banner', undefined, 1);
    if (this.state === 'size') this.fail('no size line after the banner and comments');
    if (this.count < this.declared) {
      this.fail(`truncated: the size line declares ${this.declared} entries, found ${this.count}`);
    }
    const n = this.count;
    // (row, column) order: a stable counting sort by column, then by row (skipped when the file is already sorted)
    let order: Int32Array | undefined;
    if (!this.sorted) {
      const byCol = countingSort(this.colOf, this.cols, identity(n));
      order = countingSort(this.rowOf, this.rows, byCol);
    }
    const at = (k: number): number => (order === undefined ? k : order[k]!);
    const indptr = new Int32Array(this.rows + 1);
    for (let k = 0; k < n; k++) indptr[this.rowOf[k]! + 1]!++;
    for (let i = 0; i < this.rows; i++) indptr[i + 1]! += indptr[i]!;
    const indices = order === undefined ? this.colOf : new Int32Array(n);
    const data = order === undefined ? this.values : new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const e = at(k);
      if (order !== undefined) {
        indices[k] = this.colOf[e]!;
        data[k] = this.values[e]!;
      }
      if (k > 0) {
        const p = at(k - 1);
        if (this.rowOf[p] === this.rowOf[e] && this.colOf[p] === this.colOf[e]) {
          const [a, b] = [Math.min(p, e), Math.max(p, e)];
          const shown = this.transpose
            ? `${this.colOf[e]! + 1} ${this.rowOf[e]! + 1}`
            : `${this.rowOf[e]! + 1} ${this.colOf[e]! + 1}`;
          this.fail(
            `the cell (${shown}) is stored twice, at ${this.entryAt(a)} and ${this.entryAt(b)}`,
            undefined,
            this.gaps ? this.lineNumber : this.firstEntryLine + b,
          );
        }
      }
    }
    return { rows: this.rows, cols: this.cols, indptr, indices, data };
  }
}

function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = k;
  return out;
}

/** `order` stably re-sorted by `key[order[k]]` ∈ [0, range). */
function countingSort(key: Int32Array, range: number, order: Int32Array): Int32Array {
  const start = new Int32Array(range + 1);
  for (let k = 0; k < order.length; k++) start[key[order[k]!]! + 1]!++;
  for (let v = 0; v < range; v++) start[v + 1]! += start[v]!;
  const out = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) out[start[key[order[k]!]!]!++] = order[k]!;
  return out;
}

/**
 * Loads a sparse matrix from a Matrix Market coordinate file (`.mtx`, the format single-cell count data ships in,
 * e.g. 10x Genomics' `matrix.mtx`) into a CSR {@link SparseMatrix}, streaming: the text is read line by line and only
 * the stored entries are kept.
 *
 * Format: a banner `%%MatrixMarket matrix coordinate <real|integer|pattern> general`, optional `%` comment lines,
 * a size line `rows columns entries`, then one `row column value` line per stored entry (1-based indices, any
 * order; `pattern` files have no value and load as 1). Values follow {@link loadMatrix}'s cell rules.
 *
 * @example
 * ```ts
 * const counts = await loadMatrixMarket('filtered_feature_bc_matrix/matrix.mtx', { dtype: 'counts', transpose: true });
 * const batch = sparseRowsToDense(counts, 0, 128); // the first 128 cells, dense
 * ```
 * @throws DataError naming the file, line and field for: a missing or unsupported banner (dense `array`, complex,
 *   symmetric), a malformed size line, a declared size over `maxNonZeros` or `maxRows` (before allocating), an
 *   index out of range, a bad value, a line over `maxLineLength`, a cell stored twice, more or fewer entries than
 *   declared, or a file that cannot be read. ArgumentError for bad options.
 */
export async function loadMatrixMarket(source: TextSource, options: LoadMatrixMarketOptions): Promise<SparseMatrix> {
  const where = 'loadMatrixMarket';
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new ArgumentError('options', `${where}: "options" with "dtype" ('counts' or 'real') is required`);
  }
  assertOptions(options, LOAD_MATRIX_MARKET_KEYS, where);
  const dtype = requireOneOf(where, 'dtype', options.dtype, ['counts', 'real'] as const);
  if (options.transpose !== undefined && typeof options.transpose !== 'boolean') {
    throw new ArgumentError(
      'transpose',
      `${where}: "transpose" must be a boolean, got ${JSON.stringify(options.transpose)}`,
    );
  }
  const maxLineLength = requireMaxLineLength(where, options.maxLineLength);
  const maxNonZeros = requireLimit(where, 'maxNonZeros', options.maxNonZeros, MATRIX_MARKET_DEFAULT_MAX_NON_ZEROS);
  const maxRows = requireLimit(where, 'maxRows', options.maxRows, MATRIX_MARKET_DEFAULT_MAX_ROWS);
  const { label, file } = describeSource(where, source);
  const parser = new MatrixMarketParser(
    label,
    file,
    dtype === 'counts',
    options.transpose ?? false,
    maxNonZeros,
    maxRows,
  );
  await feedLines(where, source, parser, maxLineLength);
  return parser.finish();
}
