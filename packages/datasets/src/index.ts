// Everything the browser entry has, plus the Node-only loaders (file system).
export * from './browser.js';
export {
  mnist,
  mnistCounts,
  type MnistSplit,
  type MnistBinarize,
  type MnistOptions,
  type MnistCountsOptions,
  type MnistDataset,
} from './mnist.js';
export {
  loadIdx,
  loadIdxDataset,
  IDX_DEFAULT_MAX_BYTES,
  type LoadIdxOptions,
  type LoadIdxDatasetOptions,
} from './idx.js';
export type { IdxDtype, IdxData, IdxArray, IdxSource } from './idx-header.js';
export {
  loadMatrix,
  LOAD_MATRIX_DEFAULT_MAX_LINE_LENGTH,
  type MatrixSource,
  type LoadMatrixOptions,
  type LoadedMatrix,
} from './load-matrix.js';
export type { TextSource } from './lines.js';
export {
  loadMatrixMarket,
  MATRIX_MARKET_DEFAULT_MAX_NON_ZEROS,
  MATRIX_MARKET_DEFAULT_MAX_ROWS,
  type LoadMatrixMarketOptions,
  type MatrixMarketHeader,
} from './load-matrix-market.js';
export {
  streamMatrixMarket,
  openMatrixMarket,
  MATRIX_MARKET_DEFAULT_BLOCK_ROWS,
  type StreamMatrixMarketOptions,
  type SparseRowBlock,
  type MatrixMarketFile,
} from './stream-matrix-market.js';
