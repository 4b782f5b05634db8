import { ArgumentError, DataError, mulberry32, permutation, takeRows } from '@varia/core';
import { checkDataset, type Dataset } from './dataset.js';
import { requireInteger, requireSeed } from './arguments.js';

function reorder(dataset: Dataset, rows: Int32Array, name: string): Dataset {
  return {
    name,
    x: takeRows(dataset.x, rows),
    labels: Int32Array.from(rows, (i) => dataset.labels[i]!),
    shape: dataset.shape,
    kind: dataset.kind,
  };
}

function requireNonEmpty(dataset: Dataset, where: string): void {
  if (dataset.x.rows === 0) {
    throw new DataError(
      `${where}: "dataset" ${JSON.stringify(dataset.name)} is empty (0 rows), expected at least 1`,
      {},
    );
  }
}

/**
 * Returns a copy of `dataset` with its rows (and labels) in a seeded random order: row i of the result is row
 * `permutation(n, mulberry32(seed))[i]` of the input (Fisher–Yates, as in `@varia/core`). Fields beyond
 * {@link Dataset}'s own (e.g. the ground truth of {@link syntheticCounts}) are not carried over; to reorder
 * them alike, apply the same permutation with `takeRows`.
 *
 * @param dataset - the data to shuffle; it is not modified.
 * @param seed - seed of the permutation.
 * @throws ArgumentError for a non-finite `seed`; DataError for an empty data set; ShapeError for a malformed one.
 */
export function shuffle(dataset: Dataset, seed: number): Dataset {
  const where = 'shuffle';
  checkDataset(dataset, 'dataset', where);
  requireSeed(where, seed);
  requireNonEmpty(dataset, where);
  return reorder(dataset, permutation(dataset.x.rows, mulberry32(seed)), dataset.name);
}

/** Options of {@link trainTestSplit}: give exactly one of `testFraction` and `testSize`. */
export interface TrainTestSplitOptions {
  /** Fraction of the rows for the test part, in (0, 1); the test size is round(testFraction · n), at least 1. */
  testFraction?: number;
  /** Number of rows for the test part, an integer in 1…n−1. */
  testSize?: number;
  /** Seed of the permutation. */
  seed: number;
}

/** What {@link trainTestSplit} returns. */
export interface TrainTestSplit {
  /** The training part, named `"<name>-train"`. */
  train: Dataset;
  /** The test part, named `"<name>-test"`. */
  test: Dataset;
  /** For each training row, its row index in the input (to split aligned arrays the same way with `takeRows`). */
  trainIndices: Int32Array;
  /** For each test row, its row index in the input. */
  testIndices: Int32Array;
}

/**
 * Splits a data set at random into a training and a test part: the rows are permuted by
 * `permutation(n, mulberry32(seed))`; the first n − testSize permuted rows are the training part, the last testSize
 * the test part (the same convention as the fixed MNIST split of {@link mnist}). Not stratified.
 *
 * @throws ArgumentError unless exactly one of `testFraction` (in (0, 1)) and `testSize` (integer in 1…n−1) is
 *   given, or when the resulting sizes leave either part empty; DataError for a data set with fewer than 2 rows.
 */
export function trainTestSplit(dataset: Dataset, options: TrainTestSplitOptions): TrainTestSplit {
  const where = 'trainTestSplit';
  checkDataset(dataset, 'dataset', where);
  const seed = requireSeed(where, options?.seed);
  const n = dataset.x.rows;
  if (n < 2) {
    throw new DataError(
      `${where}: "dataset" ${JSON.stringify(dataset.name)} has ${n} rows, need at least 2 to split`,
      {},
    );
  }
  const { testFraction, testSize } = options;
  if ((testFraction === undefined) === (testSize === undefined)) {
    throw new ArgumentError(
      'testFraction',
      `${where}: give exactly one of "testFraction" and "testSize", got ${
        testFraction === undefined ? 'neither' : `both (${testFraction}, ${testSize})`
      }`,
    );
  }
  let size: number;
  if (testFraction !== undefined) {
    if (typeof testFraction !== 'number' || !(testFraction > 0 && testFraction < 1)) {
      throw new ArgumentError('testFraction', `${where}: "testFraction" must be in (0, 1), got ${testFraction}`);
    }
    size = Math.max(1, Math.round(testFraction * n));
    if (size >= n) {
      throw new ArgumentError(
        'testFraction',
        `${where}: "testFraction" ${testFraction} of ${n} rows leaves no training rows (test size ${size})`,
      );
    }
  } else {
    size = requireInteger(where, 'testSize', testSize);
    if (size >= n) {
      throw new ArgumentError('testSize', `${where}: "testSize" must be at most n − 1 = ${n - 1}, got ${size}`);
    }
  }
  const order = permutation(n, mulberry32(seed));
  const trainIndices = order.slice(0, n - size);
  const testIndices = order.slice(n - size);
  return {
    train: reorder(dataset, trainIndices, `${dataset.name}-train`),
    test: reorder(dataset, testIndices, `${dataset.name}-test`),
    trainIndices,
    testIndices,
  };
}
