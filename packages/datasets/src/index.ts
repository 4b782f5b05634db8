export type { Dataset } from './dataset.js';
export { toyGaussian2d, type ToyGaussian2dOptions } from './toy-gaussian.js';
export { toScatter, type Scatter, type ScatterPoint } from './scatter.js';
export {
  syntheticCounts,
  type CountNoise,
  type SyntheticCountsOptions,
  type SyntheticCountsDataset,
} from './synthetic-counts.js';
export {
  mnist,
  mnistCounts,
  type MnistSplit,
  type MnistBinarize,
  type MnistOptions,
  type MnistCountsOptions,
  type MnistDataset,
} from './mnist.js';
export { mnistFromDigits } from './mnist-split.js';
export {
  loadIdx,
  loadIdxDataset,
  type IdxDtype,
  type IdxData,
  type IdxArray,
  type IdxSource,
  type LoadIdxDatasetOptions,
} from './idx.js';
export { loadMatrix, type MatrixSource, type LoadMatrixOptions, type LoadedMatrix } from './load-matrix.js';
export { shuffle, trainTestSplit, type TrainTestSplitOptions, type TrainTestSplit } from './split.js';
export { batches, batchesSync, type BatchOptions, type Batch } from './batches.js';
