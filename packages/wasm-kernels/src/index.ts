/**
 * Faster matrix products for TensorFlow.js's wasm backend, in the browser and in Node, with the backend's own results:
 * {@link enableWasmKernels}.
 * @packageDocumentation
 */
export {
  disableWasmKernels,
  enableWasmKernels,
  wasmKernelProducts,
  wasmKernelsInfo,
  type WasmKernelsInfo,
} from './enable.js';
export { WasmKernelsUnavailableError } from './errors.js';
