/**
 * The helper worker of `@varia/wasm-kernels` (started by worker-wasm.ts on a cross-origin isolated page whose wasm
 * backend runs one thread of its own): it takes blocks of each large product's columns beside the training worker,
 * on the backend's shared memory, until the page closes.
 */
import { serveWasmKernels } from '@varia/wasm-kernels/helper';

self.onmessage = (e: MessageEvent) => {
  self.onmessage = null;
  serveWasmKernels(e.data);
};
