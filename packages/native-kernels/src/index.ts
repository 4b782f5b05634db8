export { ADDON_PATH } from './addon.js';
export type { LoadedBlas } from './addon.js';
export { BLAS_CANDIDATES, type BlasCandidates, type BlasRequest, type ResolvedBlas } from './blas-library.js';
export {
  autoParallel,
  disableNativeKernels,
  enableNativeKernels,
  nativeKernelsInfo,
  nativeKernelsProblem,
} from './enable.js';
export type { NativeKernelsInfo, NativeKernelsOptions } from './enable.js';
export { NativeKernelsUnavailableError } from './errors.js';
