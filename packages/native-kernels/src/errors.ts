import { ArgumentError, DataError, ShapeError, VariaError } from '@varia/core';

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

/**
 * A kernel's input or attribute is missing or of the wrong kind (dtype, type of an attribute, an unsupported
 * activation): an {@link ArgumentError} whose `argument` is the input's name and whose message starts with the
 * kernel's name, `"<kernel>: <message>"`. Every kernel of this package reports misuse through this function or
 * {@link kernelShapeError}, so a caller of `tf.engine().runKernel(…)` gets a `VariaError`, never a plain `Error`.
 */
export function kernelInputError(kernel: string, input: string, message: string): ArgumentError {
  return new ArgumentError(input, `${kernel}: ${message}`);
}

/** Inputs whose shapes do not fit together: a {@link ShapeError} naming the input, as {@link kernelInputError}. */
export function kernelShapeError(kernel: string, input: string, message: string): ShapeError {
  return new ShapeError(input, `${kernel}: ${message}`);
}

/** What the addon throws for a malformed CSR (native/sparse_dense.c): code `VARIA_CSR`, the row and, for a column, it. */
interface CsrFailure {
  code?: unknown;
  message?: string;
  row?: number;
  column?: number;
}

/**
 * The error of a failed call of the addon's entry point `entry`, as a `VariaError`: a malformed CSR (code
 * `VARIA_CSR`) is a {@link DataError} at its row (and 1-based column); every other refusal of the C side (an operand
 * outside the wasm memory, a size or code out of range — the addon checks each offset before it reads or writes) is
 * an {@link ArgumentError} naming the entry point, with the addon's error as `cause`. A `VariaError` passes unchanged.
 */
export function nativeCallError(entry: string, error: unknown): VariaError {
  if (error instanceof VariaError) return error;
  const c = (error ?? {}) as CsrFailure;
  if (c.code === 'VARIA_CSR') {
    return new DataError(
      c.message ?? 'malformed sparse input',
      { ...(c.row !== undefined && { row: c.row }), ...(c.column !== undefined && { column: c.column + 1 }) },
      { cause: error },
    );
  }
  return new ArgumentError(
    entry,
    error instanceof Error ? error.message : `native-kernels: ${entry}: ${String(error)}`,
    {
      cause: error,
    },
  );
}
