import { VariaError } from '@varia/core';

/**
 * The wasm kernels cannot be used here: the wasm backend is not registered, is not tfjs-backend-wasm 4.x, or runs its
 * threaded build (whose products already use several threads). `reason` says which, in words a user can act on.
 */
export class WasmKernelsUnavailableError extends VariaError {
  /** Why the wasm kernels are unavailable. */
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`wasm kernels unavailable: ${reason}`, options);
    this.reason = reason;
  }
}
