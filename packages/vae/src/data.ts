import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, assertMatrix, DataError, type Matrix, ShapeError } from '@varia/core';
import { firstBadCount, firstOutsideUnitInterval } from './domain-scan.js';

/** Data a VAE accepts: a row-major {@link Matrix} (what `@varia/datasets` returns), a 2-D tensor, or rows of numbers. */
export type DataInput = Matrix | tf.Tensor2D | ArrayLike<ArrayLike<number>>;

/** What the values must be for a likelihood. */
export type DataDomain = 'real' | 'binary' | 'unit-interval' | 'counts';

/**
 * The largest count the count likelihoods accept: 2²⁴ = 16 777 216, the largest integer float32 holds exactly (larger
 * counts would be rounded silently). The same limit as `loadMatrix`'s `counts` dtype.
 */
export const MAX_EXACT_COUNT = 2 ** 24;

/** Every {@link DataDomain}, with what it requires of a value (for messages and documentation). */
export const DATA_DOMAINS: Readonly<Record<DataDomain, string>> = {
  real: 'finite real values',
  binary: 'values 0 or 1',
  'unit-interval': 'values in [0, 1]',
  counts: `non-negative integer counts ≤ ${MAX_EXACT_COUNT}`,
};

const FLOAT32_MAX = 3.4028234663852886e38;

/** The data rules of a likelihood: its domain, its name (for messages) and optional extra checks. */
export interface DataRules {
  /** Values the data must have. */
  domain: DataDomain;
  /** The likelihood's name, for messages. */
  likelihood: string;
  /** Extra checks (a custom likelihood's `validateData`). */
  validate?(m: Matrix): void;
  /** The model dimension the columns must match, for messages (default `inputDim`). */
  width?: string;
  /** Who needs the values, for messages (default "the <likelihood> likelihood"). */
  subject?: string;
}

function isMatrix(d: unknown): d is Matrix {
  return typeof d === 'object' && d !== null && !Array.isArray(d) && 'data' in d && 'rows' in d && 'cols' in d;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'missing';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  return `a ${typeof v}`;
}

/** Why `v` does not fit `domain`, or undefined when it does. */
function domainProblem(v: number, domain: DataDomain): string | undefined {
  if (!Number.isFinite(v)) return 'is not finite';
  if (Math.abs(v) > FLOAT32_MAX) return 'overflows float32';
  if (domain === 'unit-interval' && (v < 0 || v > 1)) return 'is outside [0, 1]';
  if (domain === 'binary' && v !== 0 && v !== 1) return 'is not 0 or 1';
  if (domain === 'counts' && (v < 0 || !Number.isInteger(v))) return 'is not a non-negative integer count';
  if (domain === 'counts' && v > MAX_EXACT_COUNT)
    return `is above ${MAX_EXACT_COUNT} (2^24, the largest count float32 holds exactly)`;
  return undefined;
}

function domainError(
  v: number,
  row: number,
  column: number,
  problem: string,
  rules: DataRules,
  argument: string,
): DataError {
  const { domain, likelihood, subject } = rules;
  return new DataError(
    `"${argument}" value ${v} at row ${row}, column ${column} ${problem}; ${subject ?? `the ${likelihood} likelihood`} needs ${DATA_DOMAINS[domain]} (rows and columns count from 0)`,
    { row, column: column + 1 },
  );
}

/**
 * Rows of plain numbers to a {@link Matrix}: every row must be an array (or typed array) of `number`s of one length.
 * Nothing is coerced: strings (also numeric ones), booleans, null and holes are errors naming the row and column.
 * With `rules`, each value is also checked against the domain before it is rounded to float32.
 */
function rowsToMatrix(rows: ArrayLike<unknown>, argument: string, rules?: DataRules): Matrix {
  const n = rows.length;
  if (!Number.isSafeInteger(n) || n < 0) throw new ArgumentError(argument, `"${argument}" has an invalid length ${n}`);
  if (n === 0) throw new DataError(`"${argument}" is empty: it has no examples`);
  let cols = -1;
  // one pass to check (nothing is allocated for a malformed input), one to copy
  for (let i = 0; i < n; i++) {
    const row = rows[i] as ArrayLike<unknown> | null | undefined;
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
      throw new DataError(`"${argument}" row ${i} is ${describe(row)}; every row must be an array of numbers`, {
        row: i,
      });
    }
    if (cols < 0) cols = row.length;
    else if (row.length !== cols)
      throw new ShapeError(argument, `"${argument}" is ragged: row 0 has ${cols} values, row ${i} has ${row.length}`);
    if (
      ArrayBuffer.isView(row) &&
      !(row instanceof DataView) &&
      !(row instanceof BigInt64Array || row instanceof BigUint64Array)
    ) {
      if (!rules) continue;
    }
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== 'number') {
        throw new DataError(
          `"${argument}" value at row ${i}, column ${j} is ${describe(v)}, not a number (nothing is converted; rows and columns count from 0)`,
          { row: i, column: j + 1 },
        );
      }
      if (rules) {
        const problem = domainProblem(v, rules.domain);
        if (problem) throw domainError(v, i, j, problem, rules, argument);
      }
    }
  }
  const data = new Float32Array(n * cols);
  for (let i = 0; i < n; i++) {
    const row = rows[i] as ArrayLike<number>;
    for (let j = 0; j < cols; j++) data[i * cols + j] = row[j]!;
  }
  return { data, rows: n, cols };
}

/**
 * Converts any {@link DataInput} to a {@link Matrix}, checking its type and width. Nothing is coerced: rows must hold
 * numbers, a tensor must be live and float32 or int32. A Matrix is returned as is (not copied).
 * @throws ShapeError naming `argument` for a wrong width, rank or ragged rows; DataError for an empty data set or a
 *   value that is not a number (naming its row and column); ArgumentError for something that is not data at all or a
 *   disposed tensor.
 */
export function toMatrix(data: DataInput, inputDim: number, argument = 'data'): Matrix {
  return readMatrix(data, inputDim, argument);
}

function readMatrix(data: DataInput, inputDim: number, argument: string, rules?: DataRules): Matrix {
  let m: Matrix;
  if (data instanceof tf.Tensor) {
    if (data.isDisposed) throw new ArgumentError(argument, `"${argument}" is a disposed tensor`);
    if (data.dtype !== 'float32' && data.dtype !== 'int32') {
      throw new ArgumentError(argument, `"${argument}" must be a float32 or int32 tensor, got dtype ${data.dtype}`);
    }
    if (data.rank !== 2)
      throw new ShapeError(
        argument,
        `"${argument}" must be 2-D [n, ${inputDim}], got shape [${data.shape.join(', ')}]`,
      );
    // float32: dataSync's array as it is — a copy of its own (wasm, webgl, node) or the cpu backend's stored array,
    // only read here as a Matrix's data always is (a second copy took ~15 ms per 31 MB); int32: converted
    const values = data.dataSync();
    m = {
      data: values instanceof Float32Array ? values : Float32Array.from(values),
      rows: data.shape[0]!,
      cols: data.shape[1]!,
    };
  } else if (isMatrix(data)) {
    if ('indptr' in data) {
      throw new ArgumentError(
        argument,
        `"${argument}" is a CSR SparseMatrix: encode and reconstruct take it as it is; fit and evaluate take it wrapped in a SparseBatchSource (new SparseBatchSource(matrix)); elsewhere densify it (sparseRowsToDense)`,
      );
    }
    assertMatrix(data, argument);
    m = data;
  } else if (typeof data === 'object' && data !== null && typeof (data as ArrayLike<unknown>).length === 'number') {
    if (ArrayBuffer.isView(data)) {
      throw new ArgumentError(
        argument,
        `"${argument}" is a flat typed array: give rows ([[…], […]]) or a Matrix { data, rows, cols }`,
      );
    }
    m = rowsToMatrix(data as ArrayLike<unknown>, argument, rules);
  } else {
    throw new ArgumentError(
      argument,
      `"${argument}" must be a Matrix, a 2-D tensor or an array of rows, got ${describe(data)}`,
    );
  }
  if (m.rows === 0) throw new DataError(`"${argument}" is empty: it has no examples`);
  if (m.cols !== inputDim) {
    throw new ShapeError(
      argument,
      `"${argument}" must have ${inputDim} columns (the model's ${rules?.width ?? 'inputDim'}), got ${m.cols}`,
    );
  }
  return m;
}

/**
 * Checks that every value fits the likelihood: finite; in [0, 1] for Bernoulli; a non-negative integer ≤ 2²⁴ for
 * counts. `locate` maps the index of a value in `m.data` to its row and column in the whole data set, for messages
 * about a part of it (default: `m`'s own row and column).
 * @throws DataError naming the row and column of the first bad value.
 */
export function validateDomain(
  m: Matrix,
  domain: DataDomain,
  likelihood: string,
  argument = 'data',
  locate?: (index: number) => { row: number; column: number },
): void {
  const { data, cols } = m;
  const i = firstOutsideDomain(data, domain);
  if (i < 0) return;
  const v = data[i]!;
  // `locate`: where value i is in the whole data set (a batch of a larger source, a sparse matrix's stored values)
  const { row, column } = locate?.(i) ?? { row: Math.floor(i / cols), column: i % cols };
  throw domainError(v, row, column, domainProblem(v, domain)!, { domain, likelihood }, argument);
}

/**
 * The index of the first value {@link domainProblem} objects to, or −1: one comparison chain per value in a loop per
 * domain (a call per value made `VAE.encode` of 10,000 MNIST images spend ~60 % of its matrix product's time here).
 */
function firstOutsideDomain(data: ArrayLike<number>, domain: DataDomain): number {
  const n = data.length;
  switch (domain) {
    case 'unit-interval':
      if (data instanceof Float32Array) return firstOutsideUnitInterval(data);
      for (let i = 0; i < n; i++) {
        const v = data[i]!;
        if (!(v >= 0 && v <= 1)) return i;
      }
      return -1;
    case 'binary':
      for (let i = 0; i < n; i++) {
        const v = data[i]!;
        if (v !== 0 && v !== 1) return i;
      }
      return -1;
    case 'counts':
      if (data instanceof Float32Array) return firstBadCount(data, MAX_EXACT_COUNT);
      for (let i = 0; i < n; i++) {
        const v = data[i]!;
        if (!(v >= 0 && v <= MAX_EXACT_COUNT && Math.floor(v) === v)) return i;
      }
      return -1;
    case 'real':
      for (let i = 0; i < n; i++) {
        if (!(Math.abs(data[i]!) <= FLOAT32_MAX)) return i;
      }
      return -1;
    default:
      for (let i = 0; i < n; i++) if (domainProblem(data[i]!, domain)) return i;
      return -1;
  }
}

/**
 * {@link toMatrix}, then every value checked against `rules` (for rows of numbers, before rounding to float32, so a
 * count above 2²⁴ cannot slip through as a rounded one), then `rules.validate`.
 * @throws the errors of {@link toMatrix} and {@link validateDomain}.
 */
export function readData(data: DataInput, inputDim: number, rules: DataRules, argument = 'data'): Matrix {
  const m = readMatrix(data, inputDim, argument, rules);
  // rows were checked while they were read; a Matrix or tensor is checked here
  if (!(typeof data === 'object' && data !== null && !isMatrix(data) && !(data instanceof tf.Tensor))) {
    validateDomain(m, rules.domain, rules.likelihood, argument);
  }
  rules.validate?.(m);
  return m;
}
