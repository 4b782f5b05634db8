import { open } from 'node:fs/promises';
import { ArgumentError, DataError, type DataLocation, type Matrix } from '@varia/core';
import { requireOneOf } from './arguments.js';

/**
 * Where {@link loadMatrix} reads from. A plain string is always a **file path**; CSV/TSV content is passed as
 * `{ text }` (with an optional `name` used in error messages). Nothing is guessed from the string's content.
 */
export type MatrixSource =
  | string
  | {
      /** The CSV/TSV text itself. */
      text: string;
      /** A name for error messages (in place of a file path). */
      name?: string;
    };

/** Options of {@link loadMatrix}. */
export interface LoadMatrixOptions {
  /**
   * `'counts'`: every value must be a non-negative integer ≤ 2²⁴ (exact in float32); `'real'`: any finite number
   * within float32 range.
   */
  dtype: 'counts' | 'real';
  /**
   * The field separator. Default: a tab if the first non-empty line contains one, else a comma.
   */
  delimiter?: string;
  /** The first non-empty line holds column names. Default `false`. */
  header?: boolean;
  /**
   * The first field of every line is a row name (not a value). Default `false`. With `header`, the header may have
   * a leading corner cell (as many fields as the data lines) or not (one field fewer, as R's `write.table` writes).
   */
  rowNames?: boolean;
  /**
   * The longest line accepted, in characters (UTF-16 code units, the line break excluded); a longer line is a
   * `DataError` naming it, found before the line is held in memory as a whole. Default
   * {@link LOAD_MATRIX_DEFAULT_MAX_LINE_LENGTH}.
   */
  maxLineLength?: number;
}

/**
 * The default of {@link LoadMatrixOptions.maxLineLength}: 2²⁴ characters (16 Mi), e.g. a row of 1.6 million
 * ten-character values. JavaScript strings cannot exceed about 2²⁹ characters, so without a limit one huge line
 * would end the process with a `RangeError`.
 */
export const LOAD_MATRIX_DEFAULT_MAX_LINE_LENGTH = 2 ** 24;

/** What {@link loadMatrix} returns. */
export interface LoadedMatrix {
  /** The values, `[rows, columns]` row-major float32. */
  x: Matrix;
  /** The column names, when `header` was set (one per column of `x`, without the row-name corner). */
  columnNames?: string[];
  /** The row names, when `rowNames` was set (one per row of `x`). */
  rowNames?: string[];
}

const FLOAT32_MAX = 3.4028234663852886e38;
const MAX_EXACT_COUNT = 2 ** 24;

/** Splits one line into fields; double-quoted fields may contain the delimiter and `""` for a quote. */
function splitFields(line: string, delimiter: string, fail: (column: number, message: string) => never): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let k = 0;
  for (;;) {
    if (line.startsWith('"', k)) {
      let value = '';
      let j = k + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) fail(fields.length + 1, 'unterminated quoted field');
        value += line.slice(j, q);
        if (line[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      fields.push(value);
      if (j === line.length) return fields;
      if (!line.startsWith(delimiter, j)) fail(fields.length, `unexpected characters after a closing quote`);
      k = j + delimiter.length;
    } else {
      const d = line.indexOf(delimiter, k);
      if (d < 0) {
        fields.push(line.slice(k));
        return fields;
      }
      fields.push(line.slice(k, d));
      k = d + delimiter.length;
    }
  }
}

/**
 * Whether a cell that `Number` read as finite is a hexadecimal, binary or octal literal (`0x10`, ` 0b11`, `\u00a00o7`).
 * `Number` accepts those, surrounded by any white space; a decimal literal has no x, b or o anywhere, so a scan of
 * the whole cell (not its second character, which white space can shift) decides.
 */
function nonDecimal(cell: string): boolean {
  for (let k = 0; k < cell.length; k++) {
    const c = cell.charCodeAt(k) | 32;
    if (c === 120 || c === 98 || c === 111) return true;
  }
  return false;
}

/** A push parser: one call of `line` per physical line, then `finish`. Keeps only the growing value buffer. */
class MatrixParser {
  private readonly label: string;
  private readonly file: string | undefined;
  private readonly dtype: 'counts' | 'real';
  private delimiter: string | undefined;
  private readonly wantHeader: boolean;
  private readonly wantRowNames: boolean;
  private lineNumber = 0;
  private headerFields: string[] | undefined;
  private headerLine = 0;
  private fieldsPerLine = -1;
  private firstDataLine = 0;
  private cols = 0;
  private rows = 0;
  private values = new Float32Array(1 << 16);
  private length = 0;
  private readonly names: string[] = [];
  private columnNames: string[] | undefined;

  constructor(label: string, file: string | undefined, options: LoadMatrixOptions) {
    this.label = label;
    this.file = file;
    this.dtype = options.dtype;
    this.delimiter = options.delimiter;
    this.wantHeader = options.header ?? false;
    this.wantRowNames = options.rowNames ?? false;
  }

  private fail(message: string, column?: number): never {
    const location: DataLocation = { line: this.lineNumber };
    if (this.file !== undefined) location.file = this.file;
    if (column !== undefined) location.column = column;
    if (this.rows > 0 || this.fieldsPerLine >= 0) location.row = this.rows;
    const where = `${this.label}:${this.lineNumber}${column === undefined ? '' : `:${column}`}`;
    throw new DataError(`loadMatrix: ${where}: ${message}`, location);
  }

  /** The next line is longer than `limit` characters: a DataError naming it. */
  tooLong(limit: number): never {
    this.lineNumber++;
    this.fail(`line is longer than ${limit} characters (option "maxLineLength")`);
  }

  line(raw: string): void {
    this.lineNumber++;
    let line = raw;
    if (this.lineNumber === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim().length === 0)) return;
    if (this.delimiter === undefined) this.delimiter = line.includes('\t') ? '\t' : ',';
    const fields = splitFields(line, this.delimiter, (column, message) => this.fail(message, column));
    if (this.wantHeader && this.headerFields === undefined) {
      this.headerFields = fields.map((f) => f.trim());
      this.headerLine = this.lineNumber;
      return;
    }
    if (this.fieldsPerLine < 0) this.startData(fields.length);
    if (fields.length !== this.fieldsPerLine) {
      this.fail(
        `ragged row: ${fields.length} fields, expected ${this.fieldsPerLine} as on line ${this.firstDataLine}`,
        Math.min(fields.length, this.fieldsPerLine) + 1,
      );
    }
    const offset = this.wantRowNames ? 1 : 0;
    if (this.wantRowNames) this.names.push(fields[0]!.trim());
    if (this.length + this.cols > this.values.length) {
      const grown = new Float32Array(Math.max(this.values.length * 2, this.length + this.cols));
      grown.set(this.values.subarray(0, this.length));
      this.values = grown;
    }
    const counts = this.dtype === 'counts';
    for (let c = 0; c < this.cols; c++) {
      const cell = fields[c + offset]!;
      const value = Number(cell);
      if (!Number.isFinite(value) || (value === 0 && cell.trim().length === 0) || (Number.isInteger(value) && nonDecimal(cell))) {
        this.badCell(cell, c + offset + 1);
      }
      if (counts) {
        if (value < 0 || !Number.isInteger(value) || value > MAX_EXACT_COUNT) {
          this.fail(
            `dtype 'counts' needs a non-negative integer ≤ ${MAX_EXACT_COUNT}, got ${JSON.stringify(cell)}`,
            c + offset + 1,
          );
        }
      } else if (Math.abs(value) > FLOAT32_MAX) {
        this.fail(`value ${JSON.stringify(cell)} is outside the float32 range (±${FLOAT32_MAX})`, c + offset + 1);
      }
      this.values[this.length++] = value;
    }
    this.rows++;
  }

  private badCell(cell: string, column: number): never {
    const trimmed = cell.trim();
    const shown = JSON.stringify(cell);
    if (trimmed.length === 0) this.fail('empty cell, expected a number', column);
    if (/^[+-]?nan$/i.test(trimmed)) this.fail(`NaN is not allowed, got ${shown}`, column);
    if (/^[+-]?inf(inity)?$/i.test(trimmed) || Math.abs(Number(trimmed)) === Infinity) {
      this.fail(`infinite values are not allowed, got ${shown}`, column);
    }
    if (Number.isFinite(Number(trimmed))) {
      this.fail(`hexadecimal, binary and octal literals are not allowed, got ${shown}`, column);
    }
    this.fail(`not a number: ${shown}`, column);
  }

  private startData(fields: number): void {
    this.fieldsPerLine = fields;
    this.firstDataLine = this.lineNumber;
    this.cols = fields - (this.wantRowNames ? 1 : 0);
    if (this.cols < 1) this.fail('row names only: expected at least one value column after the row name', 2);
    if (this.headerFields !== undefined) {
      const h = this.headerFields.length;
      if (h === fields && this.wantRowNames) this.columnNames = this.headerFields.slice(1);
      else if (h === this.cols) this.columnNames = this.headerFields;
      else {
        this.fail(
          `the header on line ${this.headerLine} has ${h} fields but data lines have ${fields}` +
            (this.wantRowNames ? ` (a row name and ${this.cols} values; expected ${fields} or ${this.cols} header fields)` : ''),
        );
      }
    }
  }

  finish(): LoadedMatrix {
    if (this.rows === 0) {
      this.lineNumber = Math.max(this.lineNumber, 1);
      this.fail(this.headerFields === undefined ? 'no data rows (the input is empty)' : 'no data rows after the header');
    }
    const data = this.length === this.values.length ? this.values : this.values.slice(0, this.length);
    const result: LoadedMatrix = { x: { data, rows: this.rows, cols: this.cols } };
    if (this.columnNames !== undefined) result.columnNames = this.columnNames;
    if (this.wantRowNames) result.rowNames = this.names;
    return result;
  }
}

/** Feeds the lines of a string to the parser without building an array of them. */
function parseText(text: string, parser: MatrixParser, maxLineLength: number): void {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end - start > maxLineLength + 1 || (end - start === maxLineLength + 1 && text.charCodeAt(end - 1) !== 13)) {
      parser.tooLong(maxLineLength);
    }
    parser.line(text.slice(start, end));
    start = end + 1;
  }
}

/**
 * Feeds the lines of a text stream to the parser. A partial line is kept as a rope of chunks and refused as soon
 * as it exceeds `maxLineLength`, so no line longer than the limit (plus one chunk) is ever held.
 */
async function parseStream(chunks: AsyncIterable<string>, parser: MatrixParser, maxLineLength: number): Promise<void> {
  let carry = '';
  // A CR before the LF is not counted: the limit is on the line's content.
  const check = (length: number, text: string): void => {
    if (length > maxLineLength + 1 || (length === maxLineLength + 1 && text.charCodeAt(text.length - 1) !== 13)) {
      parser.tooLong(maxLineLength);
    }
  };
  for await (const chunk of chunks) {
    let start = 0;
    let end = chunk.indexOf('\n');
    if (end < 0) {
      carry += chunk;
      if (carry.length > maxLineLength + 1) parser.tooLong(maxLineLength);
      continue;
    }
    const first = carry + chunk.slice(0, end);
    check(first.length, first);
    parser.line(first);
    carry = '';
    start = end + 1;
    while ((end = chunk.indexOf('\n', start)) >= 0) {
      const line = chunk.slice(start, end);
      check(line.length, line);
      parser.line(line);
      start = end + 1;
    }
    carry = chunk.slice(start);
    if (carry.length > maxLineLength + 1) parser.tooLong(maxLineLength);
  }
  if (carry.length > 0) {
    check(carry.length, carry);
    parser.line(carry);
  }
}

/**
 * Loads a numeric matrix from CSV or TSV, streaming: a file is read line by line (`node:readline` over a file
 * stream) and each line's values go straight into a growing float32 buffer, so memory holds the values, not the text.
 *
 * - Source: a string is a file path; CSV/TSV text is passed as `{ text }` (see {@link MatrixSource}).
 * - Lines may end in LF or CRLF; a UTF-8 byte-order mark and blank lines are ignored. Fields may be double-quoted.
 * - Values are parsed with JavaScript's `Number` (decimal and exponent notation; hexadecimal, binary and octal
 *   literals are rejected, with or without surrounding white space).
 * - A line longer than `maxLineLength` characters (default {@link LOAD_MATRIX_DEFAULT_MAX_LINE_LENGTH}) is refused
 *   before it is held whole, so no file can exhaust memory through one line.
 *
 * @example
 * ```ts
 * const { x, columnNames, rowNames } = await loadMatrix('counts.tsv', { dtype: 'counts', header: true, rowNames: true });
 * const small = await loadMatrix({ text: 'a,b\n1,2\n3,4\n' }, { dtype: 'real', header: true });
 * ```
 * @returns the matrix and, when asked for, the column and row names.
 * @throws DataError whose `location` has the `file` (for paths), 1-based `line` and `column` (field number, row
 *   names included) and 0-based data `row`, for: ragged rows, non-numeric or empty cells, NaN or infinite values,
 *   negative or non-integer values with dtype `'counts'`, a line over `maxLineLength`, a header whose length does not fit the data, an input
 *   without data rows, or a file that cannot be read. ArgumentError for bad options.
 */
export async function loadMatrix(source: MatrixSource, options: LoadMatrixOptions): Promise<LoadedMatrix> {
  const where = 'loadMatrix';
  if (options === undefined || options === null) {
    throw new ArgumentError('options', `${where}: "options" with "dtype" ('counts' or 'real') is required`);
  }
  requireOneOf(where, 'dtype', options.dtype, ['counts', 'real'] as const);
  if (options.delimiter !== undefined && (typeof options.delimiter !== 'string' || options.delimiter.length === 0 ||
    /["\r\n]/.test(options.delimiter))) {
    throw new ArgumentError(
      'delimiter',
      `${where}: "delimiter" must be a non-empty string without quotes or line breaks, got ${JSON.stringify(options.delimiter)}`,
    );
  }
  const maxLineLength = options.maxLineLength ?? LOAD_MATRIX_DEFAULT_MAX_LINE_LENGTH;
  if (typeof maxLineLength !== 'number' || !Number.isSafeInteger(maxLineLength) || maxLineLength < 1) {
    throw new ArgumentError(
      'maxLineLength',
      `${where}: "maxLineLength" must be a positive integer, got ${JSON.stringify(options.maxLineLength)}`,
    );
  }
  if (typeof source === 'string') {
    const parser = new MatrixParser(source, source, options);
    let handle;
    try {
      handle = await open(source, 'r');
    } catch (cause) {
      throw new DataError(`${where}: cannot read ${source}: ${(cause as Error).message}`, { file: source }, { cause });
    }
    const input = handle.createReadStream({ encoding: 'utf8', autoClose: true, highWaterMark: 1 << 16 });
    try {
      await parseStream(input as AsyncIterable<string>, parser, maxLineLength);
    } catch (error) {
      if (error instanceof DataError) throw error;
      throw new DataError(`${where}: cannot read ${source}: ${(error as Error).message}`, { file: source }, { cause: error });
    } finally {
      input.destroy();
    }
    return parser.finish();
  }
  if (source !== null && typeof source === 'object' && typeof source.text === 'string') {
    const parser = new MatrixParser(source.name ?? '<text>', undefined, options);
    parseText(source.text, parser, maxLineLength);
    return parser.finish();
  }
  throw new ArgumentError('source', `${where}: "source" must be a file path or { text }, got ${typeof source}`);
}
