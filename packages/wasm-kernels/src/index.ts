/**
 * Faster training on TensorFlow.js's wasm backend, in the browser and in Node, with the backend's own results: its
 * matrix products, Adam steps and dense layers' backward passes by a SIMD128 module ({@link enableWasmKernels}).
 * @packageDocumentation
 */
export {
  attachWasmKernelsHelper,
  detachWasmKernelsHelper,
  disableWasmKernels,
  enableWasmKernels,
  tryEnableWasmKernels,
  wasmKernelCalls,
  wasmKernelsInfo,
  type WasmKernelCalls,
  type WasmKernelsHelperInfo,
  type WasmKernelsInfo,
  type WasmKernelsUnavailable,
} from './enable.js';
export { WasmKernelsUnavailableError } from './errors.js';
