import { ArgumentError, DataError, assertMatrix, mulberry32, permutation, takeRows, type Matrix } from '@varia/core';
import { checkDataset, type Dataset } from './dataset.js';
import { requireInteger, requireSeed } from './arguments.js';

/** Options of {@link batches} and {@link batchesSync}. */
export interface BatchOptions {
  /** Rows per batch, a positive integer. The last batch may be smaller unless `dropLast`. */
  batchSize: number;
  /** Visit the rows in a seeded random order (`permutation(n, mulberry32(seed))`); default `false` (row order). */
  shuffle?: boolean;
  /** Seed of the order; required with `shuffle: true`. Use a different seed per epoch, e.g. `baseSeed + epoch`. */
  seed?: number;
  /** Drop a last batch smaller than `batchSize`; default `false`. */
  dropLast?: boolean;
}

/** One mini-batch. */
export interface Batch {
  /** The batch's rows, `[size, cols]` — a copy, safe to keep or modify. */
  x: Matrix;
  /** Their labels, when the input was a {@link Dataset}. */
  labels?: Int32Array;
  /** Their row indices in the input. */
  indices: Int32Array;
}

function isMatrix(data: Dataset | Matrix): data is Matrix {
  return data !== null && typeof data === 'object' && 'data' in data && 'rows' in data && !('x' in data);
}

/** Validates eagerly (so a bad call throws at the call, not at the first `next()`) and plans the batches. */
function plan(data: Dataset | Matrix, options: BatchOptions, where: string) {
  if (data === null || typeof data !== 'object') {
    throw new ArgumentError('data', `${where}: "data" must be a Dataset or a Matrix, got ${String(data)}`);
  }
  let matrix: Matrix;
  let labels: Int32Array | undefined;
  if (isMatrix(data)) {
    assertMatrix(data, 'data');
    matrix = data;
  } else {
    checkDataset(data, 'data', where);
    matrix = data.x;
    labels = data.labels;
  }
  const batchSize = requireInteger(where, 'batchSize', options?.batchSize);
  const seed = options.shuffle ? requireSeed(where, options.seed) : undefined;
  const n = matrix.rows;
  if (n === 0) throw new DataError(`${where}: "data" is empty (0 rows), expected at least 1`, {});
  let order: Int32Array;
  if (seed !== undefined) order = permutation(n, mulberry32(seed));
  else {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  const end = options.dropLast ? n - (n % batchSize) : n;
  return { matrix, labels, order, batchSize, end };
}

function* generate(p: ReturnType<typeof plan>): Generator<Batch, void, undefined> {
  for (let start = 0; start < p.end; start += p.batchSize) {
    const indices = p.order.slice(start, Math.min(start + p.batchSize, p.end));
    const batch: Batch = { x: takeRows(p.matrix, indices), indices };
    if (p.labels) batch.labels = Int32Array.from(indices, (i) => p.labels![i]!);
    yield batch;
  }
}

/**
 * Iterates over mini-batches of a data set or matrix, synchronously: one pass (epoch) over the rows in row order,
 * or in a seeded random order with `shuffle`.
 *
 * @example
 * ```ts
 * for (const { x, labels } of batchesSync(mnist(), { batchSize: 128, shuffle: true, seed: epoch })) train(x);
 * ```
 * @throws ArgumentError when `batchSize` is not a positive integer or `shuffle` lacks a `seed`; DataError when the
 *   data has no rows; ShapeError when it is malformed. All are thrown at the call.
 */
export function batchesSync(data: Dataset | Matrix, options: BatchOptions): IterableIterator<Batch> {
  return generate(plan(data, options, 'batchesSync'));
}

/**
 * The same batches as {@link batchesSync}, as an async iterator for `for await` loops (e.g. around asynchronous
 * training steps).
 *
 * @example
 * ```ts
 * for await (const { x } of batches(toyGaussian2d({ seed: 1 }), { batchSize: 64, shuffle: true, seed: 2 })) await step(x);
 * ```
 * @throws as {@link batchesSync}, at the call.
 */
export function batches(data: Dataset | Matrix, options: BatchOptions): AsyncIterableIterator<Batch> {
  const inner = generate(plan(data, options, 'batches'));
  return (async function* () {
    yield* inner;
  })();
}
