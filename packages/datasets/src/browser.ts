/**
 * The browser entry of `@varia/datasets` (picked by bundlers through the `browser` export condition): everything
 * that does not touch the file system. The Node-only loaders — `mnist`, `mnistCounts`, `loadIdx`, `loadIdxDataset`,
 * `loadMatrix` — are left out, so a browser bundle never sees a `node:*` import. `mnistFromDigits` builds the same
 * MNIST split from digit files the page fetched itself.
 * @module
 */
export type { Dataset } from './dataset.js';
export type { Matrix } from '@varia/core';
export { toyGaussian2d, type ToyGaussian2dOptions } from './toy-gaussian.js';
export { toScatter, type Scatter, type ScatterPoint } from './scatter.js';
export {
  syntheticCounts,
  type CountNoise,
  type SyntheticCountsOptions,
  type SyntheticCountsDataset,
} from './synthetic-counts.js';
export {
  mnistFromDigits,
  type MnistSplit,
  type MnistBinarize,
  type MnistOptions,
  type MnistDataset,
} from './mnist-split.js';
export { shuffle, trainTestSplit, type TrainTestSplitOptions, type TrainTestSplit } from './split.js';
export { batches, batchesSync, type BatchOptions, type Batch } from './batches.js';
export { type SparseMatrix, sparseRowsToDense, sparseRowsInto, assertSparseMatrix } from './sparse-matrix.js';
