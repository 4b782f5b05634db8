import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, assertOptions, closestName, DataError, type Matrix, ShapeError } from '@varia/core';
import { showValue } from './show-value.js';

/**
 * How a categorical covariate enters a network: `'one-hot'` (one column per level, scVI's encoding) or
 * `{ embedding: dim }` (a trainable table of `levels × dim` values, saved with the model; one row per level).
 */
export type CategoricalEncoding =
  | 'one-hot'
  | {
      /** Width of the embedding: each level is a trainable vector of this many values. */
      embedding: number;
    };

/**
 * One covariate of a conditional model: a categorical one (an experimental batch, a digit label) whose value in a row
 * is a level index 0 … levels − 1, or a continuous one (a dose, a log library size) whose value is a finite number.
 */
export type CovariateSpec =
  | {
      /** Name of the covariate (unique in the model; a key of the covariate record). */
      name: string;
      /** A categorical covariate. */
      kind: 'categorical';
      /** Number of levels L ≥ 1: a row's value is an integer level 0 … L − 1. */
      levels: number;
      /** One-hot (default) or a learned embedding. See {@link CategoricalEncoding}. */
      encoding?: CategoricalEncoding;
    }
  | {
      /** Name of the covariate (unique in the model; a key of the covariate record). */
      name: string;
      /** A continuous covariate, fed to the networks as it is (standardize it first). */
      kind: 'continuous';
    };

/** A {@link CovariateSpec} with the defaults filled in (what a saved model stores). */
export type ResolvedCovariate =
  | {
      /** Name of the covariate. */
      name: string;
      /** A categorical covariate. */
      kind: 'categorical';
      /** Number of levels L. */
      levels: number;
      /** How it enters the networks. */
      encoding: CategoricalEncoding;
    }
  | {
      /** Name of the covariate. */
      name: string;
      /** A continuous covariate. */
      kind: 'continuous';
    };

/** Where the covariates of a {@link CovariateSpec} list enter the decoder: its first layer, or every hidden layer. */
export type CovariateInjection = 'first' | 'all';

/**
 * The covariates of a batch, one row per example: a matrix [n, C] (a {@link Matrix}, a 2-D tensor or rows of numbers)
 * whose column j holds the j-th declared covariate (a level index for a categorical one, a value for a continuous
 * one), or a record by name `{ batch: [0, 1, …], dose: [0.5, …] }` of one column of n numbers per covariate.
 */
export type CovariateInput =
  | Matrix
  | tf.Tensor2D
  | ArrayLike<ArrayLike<number>>
  | Readonly<Record<string, ArrayLike<number>>>;

/** Size limits of covariate declarations, checked by the model's constructor (and so by `load`). */
export const COVARIATE_LIMITS = {
  /** The most covariates of one model. */
  maxCovariates: 1024,
  /** The most levels of a categorical covariate, and the widest embedding: 2²⁰. */
  maxLevels: 2 ** 20,
  /** The widest covariate feature vector (one-hot levels + embedding widths + continuous covariates): 2²⁰. */
  maxFeatureWidth: 2 ** 20,
  /** The longest covariate name. */
  maxNameLength: 256,
} as const;

const SPEC_KEYS = { categorical: ['name', 'kind', 'levels', 'encoding'], continuous: ['name', 'kind'] } as const;

function integerIn(where: string, name: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new ArgumentError(name, `${where}: "${name}" must be an integer in 1 … ${max}, got ${showValue(v)}`);
  }
  return v;
}

/**
 * Validates a covariate list and fills in the defaults (one-hot encoding).
 * @throws ArgumentError naming the covariate (`covariates[i]`) and the field: a missing or duplicate name, an unknown
 *   kind or key, levels or an embedding width that is not an integer in 1 … 2²⁰, more than
 *   {@link COVARIATE_LIMITS}.maxCovariates covariates, or a total feature width above the limit.
 */
export function resolveCovariates(covariates: unknown): ResolvedCovariate[] {
  if (covariates === undefined) return [];
  if (!Array.isArray(covariates)) {
    throw new ArgumentError(
      'covariates',
      `VAE: "covariates" must be an array of covariate declarations, got ${showValue(covariates)}`,
    );
  }
  if (covariates.length > COVARIATE_LIMITS.maxCovariates) {
    throw new ArgumentError(
      'covariates',
      `VAE: "covariates" declares ${covariates.length} covariates, above the limit of ${COVARIATE_LIMITS.maxCovariates} (COVARIATE_LIMITS.maxCovariates)`,
    );
  }
  const names = new Set<string>();
  const resolved = covariates.map((c: unknown, i): ResolvedCovariate => {
    const where = `VAE: covariates[${i}]`;
    const arg = `covariates[${i}]`;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) {
      throw new ArgumentError(arg, `${where} must be an object { name, kind, … }, got ${showValue(c)}`);
    }
    const spec = c as Record<string, unknown>;
    const { name, kind } = spec;
    if (typeof name !== 'string' || name.length === 0 || name.length > COVARIATE_LIMITS.maxNameLength) {
      throw new ArgumentError(
        `${arg}.name`,
        `${where}: "name" must be a non-empty string of at most ${COVARIATE_LIMITS.maxNameLength} characters, got ${showValue(name)}`,
      );
    }
    if (names.has(name))
      throw new ArgumentError(`${arg}.name`, `${where}: the name ${JSON.stringify(name)} is declared twice`);
    names.add(name);
    if (kind !== 'categorical' && kind !== 'continuous') {
      throw new ArgumentError(
        `${arg}.kind`,
        `${where} (${JSON.stringify(name)}): "kind" must be 'categorical' or 'continuous', got ${showValue(kind)}`,
      );
    }
    assertOptions(spec, SPEC_KEYS[kind], `${where} (${JSON.stringify(name)})`, arg);
    if (kind === 'continuous') return { name, kind };
    const levels = integerIn(`${where} (${JSON.stringify(name)})`, 'levels', spec.levels, COVARIATE_LIMITS.maxLevels);
    const encoding = spec.encoding ?? 'one-hot';
    if (encoding === 'one-hot') return { name, kind, levels, encoding };
    if (typeof encoding !== 'object' || encoding === null || Array.isArray(encoding)) {
      throw new ArgumentError(
        `${arg}.encoding`,
        `${where} (${JSON.stringify(name)}): "encoding" must be 'one-hot' or { embedding: dim }, got ${showValue(encoding)}`,
      );
    }
    assertOptions(encoding, ['embedding'], `${where} (${JSON.stringify(name)})`, `${arg}.encoding`);
    const dim = integerIn(
      `${where} (${JSON.stringify(name)})`,
      'encoding.embedding',
      (encoding as { embedding?: unknown }).embedding,
      COVARIATE_LIMITS.maxLevels,
    );
    return { name, kind, levels, encoding: { embedding: dim } };
  });
  const width = covariateFeatureWidth(resolved);
  if (width > COVARIATE_LIMITS.maxFeatureWidth) {
    throw new ArgumentError(
      'covariates',
      `VAE: the covariates make ${width} feature columns, above the limit of ${COVARIATE_LIMITS.maxFeatureWidth} (COVARIATE_LIMITS.maxFeatureWidth)`,
    );
  }
  return resolved;
}

/** Columns one covariate adds to a network's input: L (one-hot), the embedding width, or 1 (continuous). */
export function featureWidthOf(c: ResolvedCovariate): number {
  if (c.kind === 'continuous') return 1;
  return c.encoding === 'one-hot' ? c.levels : c.encoding.embedding;
}

/** The width F of the covariate feature vector: the sum of {@link featureWidthOf} over the covariates. */
export function covariateFeatureWidth(covariates: readonly ResolvedCovariate[]): number {
  return covariates.reduce((sum, c) => sum + featureWidthOf(c), 0);
}

/** Parameters of the embedding tables (Σ levels × dim over embedded covariates). */
export function embeddingParameters(covariates: readonly ResolvedCovariate[]): number {
  return covariates.reduce(
    (sum, c) => sum + (c.kind === 'categorical' && c.encoding !== 'one-hot' ? c.levels * c.encoding.embedding : 0),
    0,
  );
}

/**
 * An upper bound on the parameters the covariates add to a model: F extra input rows in every layer that may read
 * them (each hidden layer, the encoder's head — counted for up to four outputs — and the likelihood head's up to three
 * outputs when a network has no hidden layer), plus the embedding tables.
 */
export function covariateParameterBound(c: {
  inputDim: number;
  latentDim: number;
  encoderUnits: readonly number[];
  decoderUnits: readonly number[];
  covariates?: readonly ResolvedCovariate[];
  encodeCovariates?: boolean;
}): number {
  const covariates = c.covariates ?? [];
  const width = covariateFeatureWidth(covariates);
  const sum = (units: readonly number[]) => units.reduce((s, u) => s + u, 0);
  const encoder = c.encodeCovariates ? sum(c.encoderUnits) + 4 * c.latentDim : 0;
  const decoder = sum(c.decoderUnits) + 3 * c.inputDim;
  return width * (encoder + decoder) + embeddingParameters(covariates);
}

/**
 * A lower bound on the weights that covariate declarations read from a file imply, for the size check of untrusted
 * files (before anything is built): the embedding tables plus the F extra input rows of the decoder's first layer
 * (`firstUnits` wide), which every conditional model has. Malformed declarations count 0 (the config check refuses
 * them).
 */
export function savedCovariateWeights(declarations: unknown, firstUnits: number): number {
  if (!Array.isArray(declarations) || declarations.length > COVARIATE_LIMITS.maxCovariates) return 0;
  const count = (v: unknown): number =>
    typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= COVARIATE_LIMITS.maxLevels ? v : 0;
  let width = 0;
  let tables = 0;
  for (const d of declarations as { kind?: unknown; levels?: unknown; encoding?: unknown }[]) {
    if (d?.kind === 'continuous') width += 1;
    if (d?.kind !== 'categorical') continue;
    const levels = count(d.levels);
    const dim =
      typeof d.encoding === 'object' && d.encoding !== null
        ? count((d.encoding as { embedding?: unknown }).embedding)
        : 0;
    width += dim > 0 ? dim : levels;
    tables += levels * dim;
  }
  return width * firstUnits + tables;
}

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
          `${where}: covariate ${JSON.stringify(c.name)} (column ${j}) at row ${rowAt(i)} ${problem}`,
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
