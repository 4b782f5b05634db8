/**
 * Faster matrix products and Adam steps for TensorFlow.js's wasm backend, in the browser and in Node, with the
 * backend's own results: {@link enableWasmKernels}.
 * @packageDocumentation
 */
export {
  disableWasmKernels,
  enableWasmKernels,
  tryEnableWasmKernels,
  wasmKernelCalls,
  wasmKernelsInfo,
  type WasmKernelCalls,
  type WasmKernelsInfo,
  type WasmKernelsUnavailable,
} from './enable.js';
export { WasmKernelsUnavailableError } from './errors.js';
