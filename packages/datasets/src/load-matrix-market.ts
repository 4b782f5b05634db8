import { ArgumentError } from '@varia/core';
import type { SparseMatrix } from './sparse-matrix.js';
import { loadTwoPass } from './matrix-market-two-pass.js';
import { describeSource, feedLines, type TextSource } from './lines.js';
import {
  type EntrySink,
  LOAD_MATRIX_MARKET_KEYS,
  type LoadMatrixMarketOptions,
  type MatrixMarketHeader,
  MatrixMarketParser,
  readMatrixMarketOptions,
} from './matrix-market-parser.js';

export {
  MATRIX_MARKET_DEFAULT_MAX_NON_ZEROS,
  MATRIX_MARKET_DEFAULT_MAX_ROWS,
  type LoadMatrixMarketOptions,
  type MatrixMarketHeader,
} from './matrix-market-parser.js';

/** Keeps every entry (12 bytes each: row, column, value), in file order. */
class EntryCollector implements EntrySink {
  rows = 0;
  cols = 0;
  count = 0;
  rowOf = new Int32Array(0);
  colOf = new Int32Array(0);
  values = new Float32Array(0);
  sorted = true;

  header(h: MatrixMarketHeader): void {
    this.rows = h.rows;
    this.cols = h.cols;
    this.rowOf = new Int32Array(h.nonZeros);
    this.colOf = new Int32Array(h.nonZeros);
    this.values = new Float32Array(h.nonZeros);
  }

  entry(i: number, j: number, value: number): void {
    const k = this.count++;
    if (k > 0) {
      const [pi, pj] = [this.rowOf[k - 1]!, this.colOf[k - 1]!];
      if (i < pi || (i === pi && j <= pj)) this.sorted = false;
    }
    this.rowOf[k] = i;
    this.colOf[k] = j;
    this.values[k] = value;
  }

  /** The entries in (row, column) order as CSR; a DataError for a cell stored twice. */
  toCsr(parser: MatrixMarketParser): SparseMatrix {
    const n = this.count;
    // (row, column) order, skipped when the file is already sorted: a stable counting sort by column, then by row;
    // where the declared columns far outnumber the entries (a hostile size line: 2³¹ − 1 columns would take an 8 GiB
    // table), by row, then each row's entries by column, so that memory follows the entries, not the declared size
    let order: Int32Array | undefined;
    if (!this.sorted) {
      order =
        this.cols <= Math.max(n, COLUMN_TABLE_FLOOR)
          ? countingSort(this.rowOf, this.rows, countingSort(this.colOf, this.cols, identity(n)))
          : sortRowsByColumn(this.colOf, this.rowOf, countingSort(this.rowOf, this.rows, identity(n)));
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
          parser.fail(
            `the cell (${parser.cellName(this.rowOf[e]!, this.colOf[e]!)}) is stored twice, at ${parser.entryAt(a)} and ${parser.entryAt(b)}`,
            undefined,
            parser.lineOfEntry(b),
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

/** Columns up to which the sort by column may take a table of one int32 per column whatever the entries (4 MiB). */
const COLUMN_TABLE_FLOOR = 1 << 20;

/**
 * `order` (already by row) with each row's run of entries sorted by column (ties by position: stable), in place; the
 * memory is that of `order`, whatever the declared columns.
 */
function sortRowsByColumn(colOf: Int32Array, rowOf: Int32Array, order: Int32Array): Int32Array {
  const byColumn = (a: number, b: number): number => colOf[a]! - colOf[b]! || a - b;
  for (let s = 0; s < order.length; ) {
    const row = rowOf[order[s]!]!;
    let e = s + 1;
    while (e < order.length && rowOf[order[e]!] === row) e++;
    if (e - s > 1) order.subarray(s, e).sort(byColumn);
    s = e;
  }
  return order;
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
 * the stored entries are kept (12 bytes each while reading, 8 in the result; `passes: 2` builds the CSR in place with
 * 8 bytes per entry at the peak). For files larger than memory, {@link streamMatrixMarket} reads row blocks instead.
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
  const settings = readMatrixMarketOptions(where, options, LOAD_MATRIX_MARKET_KEYS);
  const passes = options.passes ?? 1;
  if (passes !== 1 && passes !== 2) {
    throw new ArgumentError('passes', `${where}: "passes" must be 1 or 2, got ${JSON.stringify(options.passes)}`);
  }
  const { label, file } = describeSource(where, source);
  if (passes === 2) return loadTwoPass(where, source, { label, file }, settings);
  const entries = new EntryCollector();
  const parser = new MatrixMarketParser(where, label, file, settings, entries);
  await feedLines(where, source, parser, settings.maxLineLength);
  parser.finish();
  return entries.toCsr(parser);
}
