export {
  VariaError,
  ArgumentError,
  ShapeError,
  DataError,
  SerializationError,
  DivergenceError,
  NotImplementedError,
  BackendError,
  DisposedError,
  type DataLocation,
} from './errors.js';
export { mulberry32, standardNormal, shuffleInPlace, permutation, nextSeed, type Rng } from './random.js';
export { assertOptions, closestName } from './known-keys.js';
export { matrixFromRows, assertMatrix, takeRows, type Matrix } from './matrix.js';
export {
  type SparseMatrix,
  sparseRowsToDense,
  sparseRowsInto,
  assertSparseMatrix,
  assertSparseShape,
} from './sparse-matrix.js';
export {
  ADAM_IN_PLACE_KERNEL,
  ADAM_UPDATE_KERNEL,
  DENSE_BACKWARD_ADAM_KERNEL,
  JOIN_DEFERRED_KERNEL,
  MLP_VAE_STEP_KERNEL,
  MLP_VAE_STEP_LAYER_INPUTS,
  DENSE_BACKWARD_KERNEL,
  FAST_TRANSPOSED_MATMUL,
  GATHER_ROWS_KERNEL,
  LGAMMA_KERNEL,
  LIKELIHOOD_STEP_KERNELS,
  MUL_SUB_KERNEL,
  NORMAL_BACKWARD_KERNEL,
  NORMAL_KL_KERNEL,
  NORMAL_LOG_PROB_BACKWARD_KERNEL,
  NORMAL_LOG_PROB_KERNEL,
  NORMAL_SAMPLE_KERNEL,
  SCALED_SUM_KERNEL,
  SPARSE_DENSE_HOST_KERNEL,
  DENSE_HOST_KERNEL,
  SPARSE_DENSE_KERNEL,
  SPARSE_INPUT_DENSE_BACKWARD_KERNEL,
  SPARSE_INPUT_DENSE_KERNEL,
  STANDARD_NORMAL_KERNEL,
  TABLE_LOOKUP_KERNEL,
} from './kernel-tags.js';
export { tfjsAleaState } from './tfjs-alea.js';
export { type HostScans, hostScans, registerHostScans } from './host-scans.js';
export { logGamma, samplePoisson, sampleGamma, sampleNegativeBinomial, sampleBernoulli } from './samplers.js';
