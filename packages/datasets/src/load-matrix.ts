import { ArgumentError, assertOptions, DataError, type DataLocation, type Matrix } from '@varia/core';
import { requireOneOf } from './arguments.js';
import { readCell } from './cells.js';
import { describeSource, feedLines, type LineSink, type TextSource, requireMaxLineLength } from './lines.js';

/**
 * Where {@link loadMatrix} reads from. A plain string is always a **file path**; CSV/TSV content is passed as
 * `{ text }` (with an optional `name` used in error messages). Nothing is guessed from the string's content.
 */
export type MatrixSource = TextSource;

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

export { LOAD_MATRIX_DEFAULT_MAX_LINE_LENGTH } from './lines.js';

/** The option names {@link loadMatrix} accepts; any other key is an ArgumentError with a "did you mean" hint. */
const LOAD_MATRIX_KEYS = [
  'dtype',
  'delimiter',
  'header',
  'rowNames',
  'maxLineLength',
] as const satisfies readonly (keyof LoadMatrixOptions)[];

/** What {@link loadMatrix} returns. */
export interface LoadedMatrix {
  /** The values, `[rows, columns]` row-major float32. */
  x: Matrix;
  /** The column names, when `header` was set (one per column of `x`, without the row-name corner). */
  columnNames?: string[];
  /** The row names, when `rowNames` was set (one per row of `x`). */
  rowNames?: string[];
}

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

/** A push parser: one call of `line` per physical line, then `finish`. Keeps only the growing value buffer. */
class MatrixParser implements LineSink {
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
  /** The 1-based column of the cell being read, for {@link failCell} (one bound function, no closure per cell). */
  private column = 0;
  private readonly failCell = (message: string): never => this.fail(message, this.column);

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
      this.column = c + offset + 1;
      this.values[this.length++] = readCell(fields[c + offset]!, counts, this.failCell);
    }
    this.rows++;
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
            (this.wantRowNames
              ? ` (a row name and ${this.cols} values; expected ${fields} or ${this.cols} header fields)`
              : ''),
        );
      }
    }
  }

  finish(): LoadedMatrix {
    if (this.rows === 0) {
      this.lineNumber = Math.max(this.lineNumber, 1);
      this.fail(
        this.headerFields === undefined ? 'no data rows (the input is empty)' : 'no data rows after the header',
      );
    }
    const data = this.length === this.values.length ? this.values : this.values.slice(0, this.length);
    const result: LoadedMatrix = { x: { data, rows: this.rows, cols: this.cols } };
    if (this.columnNames !== undefined) result.columnNames = this.columnNames;
    if (this.wantRowNames) result.rowNames = this.names;
    return result;
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
  assertOptions(options, LOAD_MATRIX_KEYS, where);
  requireOneOf(where, 'dtype', options.dtype, ['counts', 'real'] as const);
  if (
    options.delimiter !== undefined &&
    (typeof options.delimiter !== 'string' || options.delimiter.length === 0 || /["\r\n]/.test(options.delimiter))
  ) {
    throw new ArgumentError(
      'delimiter',
      `${where}: "delimiter" must be a non-empty string without quotes or line breaks, got ${JSON.stringify(options.delimiter)}`,
    );
  }
  const maxLineLength = requireMaxLineLength(where, options.maxLineLength);
  const { label, file } = describeSource(where, source);
  const parser = new MatrixParser(label, file, options);
  await feedLines(where, source, parser, maxLineLength);
  return parser.finish();
}
