import { VariaError } from '@varia/core';

/**
 * The native kernels cannot be used here: the addon was not built, no supported BLAS library was found, or the wasm
 * backend is not the one they need. `reason` says which, in words a user can act on.
 */
export class NativeKernelsUnavailableError extends VariaError {
  /** Why the native kernels are unavailable. */
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`native kernels unavailable: ${reason}`, options);
    this.reason = reason;
  }
}
