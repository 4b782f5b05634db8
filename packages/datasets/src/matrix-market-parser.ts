import { ArgumentError, assertOptions, DataError, type DataLocation } from '@varia/core';
import { requireOneOf } from './arguments.js';
import { readCell } from './cells.js';
import { type LineSink, requireMaxLineLength } from './lines.js';

/*
 * The line grammar of Matrix Market coordinate files, shared by loadMatrixMarket (everything into one CSR) and
 * streamMatrixMarket (row blocks): banner, comments, size line, entries — with the checks, limits and messages in one
 * place. The parser hands each entry to an EntrySink. Internal: not re-exported from the index.
 */

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
   * before anything is allocated. Loading needs about 20 bytes per entry at its peak (12 while reading, 8 kept); 8 with
   * `passes: 2`.
   */
  maxNonZeros?: number;
  /** The most rows (after `transpose`) the size line may declare (default {@link MATRIX_MARKET_DEFAULT_MAX_ROWS}). */
  maxRows?: number;
  /**
   * `2`: read the file twice and build the CSR in place — 8 bytes per entry at the peak instead of about 20, for twice
   * the parsing time (pass 1 checks everything and counts each row's entries; pass 2 writes each entry to its slot).
   * Default `1`.
   */
  passes?: 1 | 2;
}

/** The option names of {@link LoadMatrixMarketOptions}. */
export const LOAD_MATRIX_MARKET_KEYS = [
  'dtype',
  'transpose',
  'maxLineLength',
  'maxNonZeros',
  'maxRows',
  'passes',
] as const satisfies readonly (keyof LoadMatrixMarketOptions)[];

/** The default of {@link LoadMatrixMarketOptions.maxNonZeros}: 2²⁷ (134 million) stored entries. */
export const MATRIX_MARKET_DEFAULT_MAX_NON_ZEROS = 2 ** 27;
/** The default of {@link LoadMatrixMarketOptions.maxRows}: 2²⁶ (67 million) rows. */
export const MATRIX_MARKET_DEFAULT_MAX_ROWS = 2 ** 26;

/** What the banner and the size line of a Matrix Market file declare (rows and columns after `transpose`). */
export interface MatrixMarketHeader {
  /** Rows of the matrix read (the file's columns with `transpose`). */
  readonly rows: number;
  /** Columns of the matrix read. */
  readonly cols: number;
  /** The number of stored entries the size line declares. */
  readonly nonZeros: number;
  /** The banner's value field; `pattern` entries read as 1. */
  readonly field: 'real' | 'integer' | 'pattern';
}

/** The checked options of a Matrix Market reader. */
export interface MatrixMarketSettings {
  counts: boolean;
  transpose: boolean;
  maxLineLength: number;
  maxNonZeros: number;
  maxRows: number;
}

/** Receives what the parser reads: the header once, then each entry (0-based, after `transpose`). */
export interface EntrySink {
  header(h: MatrixMarketHeader): void;
  entry(row: number, col: number, value: number): void;
}

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

/**
 * Checks the options every Matrix Market reader takes (`keys`: the names the caller accepts, for the did-you-mean
 * check). @throws ArgumentError.
 */
export function readMatrixMarketOptions(
  where: string,
  options: LoadMatrixMarketOptions,
  keys: readonly string[],
): MatrixMarketSettings {
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new ArgumentError('options', `${where}: "options" with "dtype" ('counts' or 'real') is required`);
  }
  assertOptions(options, keys, where);
  const dtype = requireOneOf(where, 'dtype', options.dtype, ['counts', 'real'] as const);
  if (options.transpose !== undefined && typeof options.transpose !== 'boolean') {
    throw new ArgumentError(
      'transpose',
      `${where}: "transpose" must be a boolean, got ${JSON.stringify(options.transpose)}`,
    );
  }
  return {
    counts: dtype === 'counts',
    transpose: options.transpose ?? false,
    maxLineLength: requireMaxLineLength(where, options.maxLineLength),
    maxNonZeros: requireLimit(where, 'maxNonZeros', options.maxNonZeros, MATRIX_MARKET_DEFAULT_MAX_NON_ZEROS),
    maxRows: requireLimit(where, 'maxRows', options.maxRows, MATRIX_MARKET_DEFAULT_MAX_ROWS),
  };
}

/** A push parser over the lines of one Matrix Market file. */
export class MatrixMarketParser implements LineSink {
  /** The number of the last line read (1-based). */
  lineNumber = 0;
  private state: 'banner' | 'size' | 'entries' = 'banner';
  private pattern = false;
  private field: MatrixMarketHeader['field'] = 'real';
  private rows = 0;
  private cols = 0;
  private declared = 0;
  /** Entries read so far. */
  count = 0;
  /** The line of the first entry. */
  firstEntryLine = 0;
  /** Blank lines among the entries: then entry k is no longer on line firstEntryLine + k. */
  gaps = false;
  private column = 0;
  private readonly failCell = (message: string): never => this.fail(message, this.column);

  constructor(
    private readonly where: string,
    private readonly label: string,
    private readonly file: string | undefined,
    readonly settings: MatrixMarketSettings,
    private readonly sink: EntrySink,
  ) {}

  /** Throws a DataError naming the file, `line` (default the current one) and `column`. */
  fail(message: string, column?: number, line = this.lineNumber): never {
    const location: DataLocation = { line };
    if (this.file !== undefined) location.file = this.file;
    if (column !== undefined) location.column = column;
    throw new DataError(
      `${this.where}: ${this.label}:${line}${column === undefined ? '' : `:${column}`}: ${message}`,
      location,
    );
  }

  tooLong(limit: number): never {
    this.lineNumber++;
    this.fail(`line is longer than ${limit} characters (option "maxLineLength")`);
  }

  /** Whether the size line has been read. */
  get hasHeader(): boolean {
    return this.state === 'entries';
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
    this.field = field;
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
    const { transpose, maxRows, maxNonZeros } = this.settings;
    if (transpose) [rows, cols] = [cols, rows];
    if (rows < 1 || cols < 1 || rows > INT32_MAX || cols > INT32_MAX) {
      this.fail(`rows and columns must be in 1…${INT32_MAX}, got ${m[1]} × ${m[2]}`);
    }
    if (rows > maxRows) this.fail(`declares ${rows} rows, more than the limit of ${maxRows} (option "maxRows")`);
    if (entries > maxNonZeros) {
      this.fail(`declares ${entries} entries, more than the limit of ${maxNonZeros} (option "maxNonZeros")`);
    }
    if (entries > rows * cols)
      this.fail(`declares ${entries} entries, more than the ${rows * cols} cells of a ${m[1]} × ${m[2]} matrix`);
    this.rows = rows;
    this.cols = cols;
    this.declared = entries;
    this.firstEntryLine = this.lineNumber + 1;
    this.state = 'entries';
    this.sink.header({ rows, cols, nonZeros: entries, field: this.field });
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
    const { transpose, counts } = this.settings;
    const [first, second] = transpose ? [this.cols, this.rows] : [this.rows, this.cols];
    let i = this.index(fields[0]!, 1, first, 'row');
    let j = this.index(fields[1]!, 2, second, 'column');
    if (transpose) [i, j] = [j, i];
    let value = 1;
    if (!this.pattern) {
      this.column = 3;
      value = readCell(fields[2]!, counts, this.failCell);
    }
    this.count++;
    this.sink.entry(i, j, value);
  }

  /** Where entry `k` (0-based, in file order) was, for messages. */
  entryAt(k: number): string {
    return this.gaps ? `entry ${k + 1}` : `line ${this.firstEntryLine + k}`;
  }

  /** The line of entry `k` when it is known (no blank lines among the entries), else the current line. */
  lineOfEntry(k: number): number {
    return this.gaps ? this.lineNumber : this.firstEntryLine + k;
  }

  /** The cell (row column) as the file writes it, for messages. */
  cellName(row: number, col: number): string {
    return this.settings.transpose ? `${col + 1} ${row + 1}` : `${row + 1} ${col + 1}`;
  }

  /** Checks, at the end of the input, that the file was complete. @throws DataError. */
  finish(): void {
    if (this.state === 'banner') this.fail('empty input: expected the "%%MatrixMarket" banner', undefined, 1);
    if (this.state === 'size') this.fail('no size line after the banner and comments');
    if (this.count < this.declared) {
      this.fail(`truncated: the size line declares ${this.declared} entries, found ${this.count}`);
    }
  }
}
