// Reading the covariate rows of a call (matrix, tensor, rows of numbers or a record by name), checked against the
// declarations, with typed errors naming the covariate, row and column.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, closestName, DataError, type Matrix, ShapeError } from '@varia/core';
import type { ResolvedCovariate } from './covariates.js';
import { showValue } from './show-value.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/** Why value `v` does not fit covariate `c`, or undefined. */
function valueProblem(c: ResolvedCovariate, v: unknown): string | undefined {
  if (typeof v !== 'number')
    return `is ${v === undefined ? 'missing' : showValue(v)}, not a number (nothing is converted)`;
  if (c.kind === 'continuous') {
    if (!Number.isFinite(v)) return `is ${showValue(v)}; a continuous covariate needs finite values`;
    if (Math.abs(v) > FLOAT32_MAX) return `is ${v}, which overflows float32`;
    return undefined;
  }
  if (!Number.isInteger(v)) return `is ${showValue(v)}, not an integer level`;
  if (v < 0 || v >= c.levels) return `is level ${v}, outside 0 … ${c.levels - 1} (${c.levels} levels)`;
  return undefined;
}

function isMatrixLike(v: object): v is Matrix {
  return !Array.isArray(v) && 'data' in v && 'rows' in v && 'cols' in v;
}

/**
 * Reads and validates the covariates of `rows` examples against the declarations: every value of a categorical
 * covariate an integer level in 0 … L − 1, every continuous value finite. A single row (or a record of single values)
 * is repeated for every example when `broadcast` is set (e.g. `sample(100, { covariates: { digit: [3] } })`).
 * Nothing is allocated for a bad input; rows of numbers are checked before they are rounded to float32.
 * @returns a [rows, C] matrix (C = number of covariates; levels as exact float32 integers), or undefined for a model
 *   without covariates.
 * @throws ArgumentError for covariates given to a model without them, or missing for a model with them, an unknown or
 *   missing name in a record; ShapeError for a wrong number of columns or rows; DataError naming the covariate, row
 *   and column of a bad value.
 */
export function readCovariates(
  covariates: readonly ResolvedCovariate[],
  input: unknown,
  rows: number,
  where: string,
  options: {
    broadcast?: boolean;
    argument?: string;
    /** The row that messages name for row i of `input` (default i): a batch source's row in the whole data set. */
    rowAt?: (i: number) => number;
  } = {},
): Matrix | undefined {
  const argument = options.argument ?? 'covariates';
  const rowAt = options.rowAt ?? ((i: number) => i);
  if (covariates.length === 0) {
    if (input === undefined) return undefined;
    throw new ArgumentError(argument, `${where}: "${argument}" given, but this model declares no covariates`);
  }
  const names = covariates.map((c) => c.name);
  if (input === undefined) {
    throw new ArgumentError(
      argument,
      `${where}: this model is conditioned on covariates (${names.join(', ')}): pass { ${argument} } with one row per example`,
    );
  }
  const cols = covariates.length;
  const at = columnReader(input, names, argument, where, rowAt);
  if (at.rows !== rows && !(options.broadcast && at.rows === 1)) {
    throw new ShapeError(
      argument,
      `${where}: "${argument}" has ${at.rows} rows, but there are ${rows} examples${options.broadcast ? ' (give one row for all, or one per example)' : ''}`,
    );
  }
  for (let j = 0; j < cols; j++) {
    const c = covariates[j]!;
    for (let i = 0; i < at.rows; i++) {
      const problem = valueProblem(c, at.get(i, j));
      if (problem) {
        throw new DataError(
          `${where}: covariate ${JSON.stringify(c.name)} (column ${j}) at row ${rowAt(i)} ${problem} (rows and columns count from 0)`,
          {
            row: rowAt(i),
            column: j + 1,
          },
        );
      }
    }
  }
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const source = at.rows === 1 ? 0 : i;
    for (let j = 0; j < cols; j++) data[i * cols + j] = at.get(source, j) as number;
  }
  return { data, rows, cols };
}

/** Uniform access to the value at (row, column) of any {@link CovariateInput}, after its shape is checked. */
function columnReader(
  input: unknown,
  names: readonly string[],
  argument: string,
  where: string,
  rowAt: (i: number) => number,
): { rows: number; get(i: number, j: number): unknown } {
  const cols = names.length;
  const wrongWidth = (got: number) =>
    new ShapeError(
      argument,
      `${where}: "${argument}" must have ${cols} columns, one per declared covariate (${names.join(', ')}), got ${got}`,
    );
  if (input instanceof tf.Tensor) {
    if (input.isDisposed) throw new ArgumentError(argument, `${where}: "${argument}" is a disposed tensor`);
    if (input.dtype !== 'float32' && input.dtype !== 'int32') {
      throw new ArgumentError(
        argument,
        `${where}: "${argument}" must be a float32 or int32 tensor, got ${input.dtype}`,
      );
    }
    if (input.rank !== 2) {
      throw new ShapeError(
        argument,
        `${where}: "${argument}" must be 2-D [n, ${cols}], got shape [${input.shape.join(', ')}]`,
      );
    }
    if (input.shape[1] !== cols) throw wrongWidth(input.shape[1]!);
    const values = input.dataSync();
    return { rows: input.shape[0]!, get: (i, j) => values[i * cols + j] };
  }
  if (typeof input !== 'object' || input === null) {
    throw new ArgumentError(
      argument,
      `${where}: "${argument}" must be rows [n, ${cols}], a Matrix, a 2-D tensor or a record by name, got ${showValue(input)}`,
    );
  }
  if (isMatrixLike(input)) {
    const { data, rows: n, cols: c } = input;
    if (
      !(data instanceof Float32Array) ||
      !Number.isSafeInteger(n) ||
      n < 0 ||
      !Number.isSafeInteger(c) ||
      data.length !== n * c
    ) {
      throw new ShapeError(
        argument,
        `${where}: "${argument}" is not a well-formed Matrix (a Float32Array of rows·cols values)`,
      );
    }
    if (c !== cols) throw wrongWidth(c);
    return { rows: n, get: (i, j) => data[i * cols + j] };
  }
  if (ArrayBuffer.isView(input)) {
    throw new ArgumentError(
      argument,
      `${where}: "${argument}" is a flat typed array: give rows ([[…], […]]), a Matrix or a record by name`,
    );
  }
  if (typeof (input as ArrayLike<unknown>).length === 'number') {
    const list = input as ArrayLike<unknown>;
    const n = list.length;
    if (!Number.isSafeInteger(n) || n < 0)
      throw new ArgumentError(argument, `${where}: "${argument}" has an invalid length`);
    for (let i = 0; i < n; i++) {
      const row = list[i] as ArrayLike<unknown> | null | undefined;
      if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
        throw new DataError(
          `${where}: "${argument}" row ${rowAt(i)} is ${showValue(row)}; every row must be an array of ${cols} numbers`,
          { row: rowAt(i) },
        );
      }
      if (row.length !== cols) throw wrongWidth(row.length);
    }
    return { rows: n, get: (i, j) => (list[i] as ArrayLike<unknown>)[j] };
  }
  // a record by name: one column per declared covariate
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (names.includes(key)) continue;
    const hint = closestName(key, names);
    throw new ArgumentError(
      argument,
      `${where}: "${argument}" names ${JSON.stringify(key)}, which is not a declared covariate${hint ? ` (did you mean '${hint}'?)` : ''}; declared: ${names.join(', ')}`,
    );
  }
  let n = -1;
  const columns = names.map((name) => {
    const column = record[name] as ArrayLike<unknown> | null | undefined;
    if (column === undefined)
      throw new ArgumentError(argument, `${where}: "${argument}" has no values for covariate ${JSON.stringify(name)}`);
    if (
      column === null ||
      typeof column !== 'object' ||
      typeof column.length !== 'number' ||
      !Number.isSafeInteger(column.length)
    ) {
      throw new ArgumentError(
        argument,
        `${where}: covariate ${JSON.stringify(name)} must be an array of numbers (one per row), got ${showValue(column)}`,
      );
    }
    if (n >= 0 && column.length !== n) {
      throw new ShapeError(
        argument,
        `${where}: covariate ${JSON.stringify(name)} has ${column.length} values, covariate ${JSON.stringify(names[0])} has ${n}`,
      );
    }
    n = column.length;
    return column;
  });
  return { rows: n, get: (i, j) => columns[j]![i] };
}
