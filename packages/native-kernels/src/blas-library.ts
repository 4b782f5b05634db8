import type { LoadedBlas, NativeAddon } from './addon.js';
import { NativeKernelsUnavailableError } from './errors.js';

/** Which BLAS to use: a family (tried in order of speed), or a path / file name given to dlopen. */
export type BlasRequest = 'auto' | 'onednn' | 'openblas' | (string & {});

/** File names of each BLAS family, in the order they are tried. */
export interface BlasCandidates {
  /** oneDNN's shared library names (v3, then v2; Linux, then macOS). */
  readonly onednn: readonly string[];
  /** OpenBLAS's shared library names. */
  readonly openblas: readonly string[];
}

/**
 * File names tried for each family (dlopen searches the usual library paths). oneDNN comes first in `auto`: its JIT
 * kernels use the CPU's widest vectors (AVX-512 where present) and were ~2× OpenBLAS 0.3.21 on this project's
 * benchmark machine. Debian packages: `libdnnl2` (oneDNN 2.x) and `libopenblas0-pthread`.
 */
export const BLAS_CANDIDATES: BlasCandidates = {
  onednn: ['libdnnl.so.3', 'libdnnl.so.2', 'libdnnl.3.dylib', 'libdnnl.2.dylib'],
  openblas: ['libopenblas.so.0', 'libopenblas.so', 'libopenblas.0.dylib', 'libopenblas.dylib'],
};

/** A BLAS that the addon loaded, and the file it came from. */
export interface ResolvedBlas extends LoadedBlas {
  /** The name or path that dlopen loaded. */
  path: string;
}

/**
 * Loads the requested BLAS into the addon.
 * @throws NativeKernelsUnavailableError listing every file tried and why it failed.
 */
export function loadBlas(addon: NativeAddon, request: BlasRequest): ResolvedBlas {
  const names: string[] =
    request === 'auto'
      ? [...BLAS_CANDIDATES.onednn, ...BLAS_CANDIDATES.openblas]
      : request === 'onednn'
        ? [...BLAS_CANDIDATES.onednn]
        : request === 'openblas'
          ? [...BLAS_CANDIDATES.openblas]
          : [request];
  const failures: string[] = [];
  for (const path of names) {
    try {
      return { ...addon.load(path), path };
    } catch (e) {
      failures.push(`${path}: ${(e as Error).message}`);
    }
  }
  const hint =
    request === 'auto' || request === 'onednn' || request === 'openblas'
      ? ' (on Debian/Ubuntu: apt-get install libdnnl2, or libopenblas0-pthread)'
      : '';
  throw new NativeKernelsUnavailableError(`no usable BLAS library${hint}; tried ${failures.join('; ')}`);
}
