import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, assertOptions, type HostScans, hostScans, registerHostScans } from '@varia/core';
import { nativeAdamInPlace, nativeAdamUpdate } from './adam-kernel.js';
import { loadAddon, type NativeAddon } from './addon.js';
import { type BlasRequest, loadBlas } from './blas-library.js';
import { nativeDenseBackwardAdam, nativeJoinDeferred } from './dense-backward-adam-kernel.js';
import { nativeMlpVaeStep } from './mlp-vae-step-kernel.js';
import { nativeDenseBackward } from './dense-backward-kernel.js';
import { nativeHostScans } from './host-scans.js';
import { sharingCast, sharingIdentity } from './identity-kernel.js';
import { NativeKernelsUnavailableError } from './errors.js';
import { nativeLgamma, nativeSum, nativeUnary } from './elementwise-kernels.js';
import { nativeBatchMatMul, nativeFusedMatMul } from './matmul-kernels.js';
import { nativeDenseHost } from './dense-host-kernel.js';
import { nativeGatherRows } from './gather-rows-kernel.js';
import { nativeSparseDense, nativeSparseDenseHost } from './sparse-dense-kernel.js';
import { nativeSparseInputDense, nativeSparseInputDenseBackward } from './sparse-input-kernels.js';
import { nativeLikelihoodSteps } from './likelihood-step-kernels.js';
import { nativeStandardNormal } from './standard-normal-kernel.js';
import { nativeTableLookup } from './table-lookup-kernel.js';
import { nativeMulSub, nativeScaledSum } from './fused-elementwise-kernels.js';
import {
  nativeNormalBackward,
  nativeNormalKl,
  nativeNormalLogProb,
  nativeNormalLogProbBackward,
  nativeNormalSample,
} from './normal-latent-kernels.js';
import { asWasmBackend, heapBuffer } from './wasm-heap.js';

/** Options of {@link enableNativeKernels}. */
export interface NativeKernelsOptions {
  /** Which BLAS: `'auto'` (oneDNN, then OpenBLAS), a family, or a library path for dlopen. Default `'auto'`. */
  library?: BlasRequest;
  /**
   * Threads the BLAS may use. Default 1: on small machines shared with other work, a second thread spinning in
   * OpenMP costs more than it gives (measured in the package README); raise it on a dedicated many-core machine.
   */
  threads?: number;
  /**
   * Threads that share each large matrix product (≥ 2²¹ multiply-adds) and the Adam step: the calling thread and
   * `parallel − 1` helpers take blocks of rows or columns from a shared queue, each on a one-thread BLAS. Helpers sleep
   * between calls instead of spinning, and a helper the OS does not schedule delays the step by one block at most,
   * so a busy machine degrades to one thread's speed instead of collapsing as OpenMP does. A dense layer's forward
   * pass over 1,024 rows or more (`VAE.encode` of a large matrix) goes in blocks of 512 rows that the threads take
   * in turn, where that keeps the bits (oneDNN 2.x on an AVX-512 CPU). Smaller products run on the calling thread
   * whatever the count, so small models (a 2-2-2 VAE) keep the one-thread path. The results are the same bits for
   * every count.
   *
   * A number from 1 to 8, or `'auto'` (the default): {@link autoParallel}, both cores where the machine has two or
   * more, one thread where it has one. On two-core machines two threads trained MNIST 1.06–1.52× and encoded its
   * 10,000 images 1.5–2.2× faster than one; with the other core busy, the training step's medians stayed at
   * 1.01–1.15× one thread's speed (single pairs down to 0.89; bench README). Use it with `threads: 1`.
   */
  parallel?: number | 'auto';
}

/**
 * The `parallel` of `'auto'`: min(2, the cores this process may use, `os.availableParallelism()`). Two, not every core:
 * the sharing was measured on two-core machines only, and a training batch of 128 rows is 8 blocks of 16; raise
 * `parallel` on a dedicated many-core machine after measuring there.
 */
export function autoParallel(): number {
  return Math.min(2, Math.max(1, availableParallelism()));
}

/** Every option {@link enableNativeKernels} knows (another key is an ArgumentError with a "did you mean" hint). */
const OPTION_NAMES = ['library', 'threads', 'parallel'] as const satisfies readonly (keyof NativeKernelsOptions)[];

/** What {@link enableNativeKernels} installed. */
export interface NativeKernelsInfo {
  /** The BLAS family. */
  library: 'onednn' | 'openblas';
  /** Its version string. */
  version: string;
  /** The file dlopen loaded. */
  path: string;
  /** The BLAS thread count (0: the library offers no way to set or read it). */
  threads: number;
  /** Threads sharing products in blocks (the `parallel` option; `'auto'` resolved by {@link autoParallel}). */
  parallel: number;
  /** The wasm kernels now computed natively. */
  kernels: string[];
  /**
   * A one-line description, e.g. `wasm + oneDNN 2.6.3 matMul (1 thread, 2 threads sharing blocks)` (the default on a
   * machine with two or more cores), or `wasm + oneDNN 2.6.3 matMul (1 thread)` with `parallel: 1`.
   */
  description: string;
}

const BACKEND = 'wasm';
/** The wasm kernels replaced, each by its replacement (which falls back to the original for cases it does not cover). */
const REPLACEMENTS: Readonly<Record<string, (addon: NativeAddon, original: tf.KernelConfig) => tf.KernelConfig>> = {
  [tf.BatchMatMul]: nativeBatchMatMul,
  [tf._FusedMatMul]: nativeFusedMatMul,
  [tf.Softplus]: nativeUnary,
  [tf.Exp]: nativeUnary,
  [tf.Log]: nativeUnary,
  [tf.Log1p]: nativeUnary,
  [tf.Sigmoid]: nativeUnary,
  [tf.Sum]: nativeSum,
  [tf.Identity]: (_, original) => sharingIdentity(original),
  [tf.Cast]: (_, original) => sharingCast(original),
};
const REPLACED = Object.keys(REPLACEMENTS);
/** The kernels added (names of `@varia/core`'s kernel tags). */
const ADDED = [
  nativeAdamUpdate,
  nativeAdamInPlace,
  nativeDenseBackward,
  nativeDenseBackwardAdam,
  nativeJoinDeferred,
  nativeLgamma,
  nativeSparseDense,
  nativeSparseDenseHost,
  nativeDenseHost,
  nativeSparseInputDense,
  nativeSparseInputDenseBackward,
  nativeTableLookup,
  nativeMulSub,
  nativeScaledSum,
  nativeNormalSample,
  nativeNormalKl,
  nativeNormalBackward,
  nativeNormalLogProb,
  nativeNormalLogProbBackward,
  nativeLikelihoodSteps,
  nativeStandardNormal,
  nativeGatherRows,
  nativeMlpVaeStep,
] as const;
const originals = new Map<string, tf.KernelConfig>();
/** The names of the kernels {@link ADDED} registered (what `disableNativeKernels` unregisters). */
let addedNames: string[] = [];
let active: NativeKernelsInfo | undefined;
/** The host-side scans {@link enableNativeKernels} registered in `@varia/core` (what `disableNativeKernels` removes). */
let scans: HostScans | undefined;

function swapKernel(config: tf.KernelConfig): void {
  tf.unregisterKernel(config.kernelName, BACKEND);
  tf.registerKernel(config);
}

/**
 * Routes the wasm backend's matrix products (`BatchMatMul`, `_FusedMatMul`) to a native BLAS, computes `Softplus`,
 * `Exp`, `Log`, `Log1p`, `Sigmoid` (the bits of the backend's own) and contiguous-axis `Sum` with native vectorized loops, and registers a fused native Adam step
 * (`ADAM_UPDATE_KERNEL` of `@varia/core`, and `ADAM_IN_PLACE_KERNEL` for all variables in one call, used by
 * `@varia/layers`' `FusedAdamOptimizer`), a dense layer's whole backward pass (`DENSE_BACKWARD_KERNEL`, used by
 * `@varia/layers`' `Dense`), log Γ (`LGAMMA_KERNEL`, used by `@varia/distributions`' `lgamma`) and a dense layer's
 * forward pass on a CSR input (`SPARSE_DENSE_KERNEL`, and `SPARSE_DENSE_HOST_KERNEL` reading the CSR arrays in place,
 * used by `@varia/layers`' `denseOfSparse`), the forward pass of a dense input read in place (`DENSE_HOST_KERNEL`, used by
 * `@varia/layers`' `denseOfHost`), its forward pass and
 * parameter gradients on a dense input that is mostly zeros, reading its non-zero entries only
 * (`SPARSE_INPUT_DENSE_KERNEL`, `SPARSE_INPUT_DENSE_BACKWARD_KERNEL`), a table look-up
 * (`TABLE_LOOKUP_KERNEL`, used by `@varia/vae`'s fused training step for log x! of counts, as are the fused elementwise
 * passes `MUL_SUB_KERNEL`, `SCALED_SUM_KERNEL`, the Gaussian posterior's and likelihood's `NORMAL_*_KERNEL`s and the
 * draw of ε, `STANDARD_NORMAL_KERNEL`), a gather of host rows into a new tensor (`GATHER_ROWS_KERNEL`, used by
 * `@varia/vae` for its in-memory training batches) and the built-in MLP VAE's whole training step with Adam applied in
 * it (`MLP_VAE_STEP_KERNEL`: those kernels' native calls in one kernel, used by `@varia/vae`'s fused step), in Node.
 * It also registers native host-side scans (`registerHostScans` of `@varia/core`) for `@varia/vae`'s checks that data
 * lies in [0, 1] or is counts (4–7× faster than its JavaScript loops, the same answers).
 * Tensors stay where the wasm backend keeps them; the native code reads and writes that memory directly, so nothing
 * is copied. Every other kernel, and every case the native path does not cover, runs as before. Call it after importing
 * `@tensorflow/tfjs-backend-wasm` (whose import registers the kernels), before or after `tf.setBackend('wasm')`.
 * Calling it again changes the thread count (and the library, when a different one is asked for).
 *
 * @returns what was installed.
 * @throws NativeKernelsUnavailableError when the addon or a BLAS cannot be loaded, or the wasm kernels are not
 *   registered — the wasm backend is then untouched.
 * @throws ArgumentError for a bad `threads` or `parallel`, an unknown option, or options that are not an object.
 */
export function enableNativeKernels(options: NativeKernelsOptions = {}): NativeKernelsInfo {
  assertOptions(options as unknown, OPTION_NAMES, 'enableNativeKernels'); // a check only: keeps options' type
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ArgumentError('threads', `enableNativeKernels: "threads" must be a positive integer, got ${threads}`);
  }
  const requested = options.parallel ?? 'auto';
  const parallel = requested === 'auto' ? autoParallel() : requested;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 8) {
    throw new ArgumentError(
      'parallel',
      `enableNativeKernels: "parallel" must be 'auto' or an integer from 1 to 8, got ${typeof requested === 'string' ? JSON.stringify(requested) : requested}`,
    );
  }
  const wasmKernels = REPLACED.map((name) => originals.get(name) ?? tf.getKernel(name, BACKEND));
  if (wasmKernels.some((k) => k === undefined)) {
    throw new NativeKernelsUnavailableError(
      'the wasm kernels are not registered (import "@tensorflow/tfjs-backend-wasm" first)',
    );
  }
  const initialized = tf.engine().registry.wasm;
  if (initialized && !heapBuffer(asWasmBackend(initialized))) {
    throw new NativeKernelsUnavailableError(
      'the wasm backend runs the threaded build, whose shared memory the addon does not take',
    );
  }
  const addon = loadAddon();
  const blas =
    active && (options.library ?? 'auto') === 'auto'
      ? { kind: active.library, version: active.version, path: active.path }
      : loadBlas(addon, options.library ?? 'auto');
  addon.setThreads(threads);
  addon.setParallel(parallel);
  if (originals.size === 0) {
    REPLACED.forEach((name, i) => {
      originals.set(name, wasmKernels[i]!);
      swapKernel(REPLACEMENTS[name]!(addon, wasmKernels[i]!));
    });
    const added = ADDED.flatMap((make) => make(addon));
    for (const config of added) tf.registerKernel(config);
    addedNames = added.map((config) => config.kernelName);
    scans = nativeHostScans(addon);
    registerHostScans(scans);
  }
  const name = blas.kind === 'onednn' ? `oneDNN ${blas.version}` : `OpenBLAS (${blas.version})`;
  const effectiveThreads = addon.threads();
  active = {
    library: blas.kind,
    version: blas.version,
    path: blas.path,
    threads: effectiveThreads,
    parallel,
    kernels: [...REPLACED, ...addedNames],
    description: `wasm + ${name} matMul (${effectiveThreads === 0 ? 'threads unknown' : `${effectiveThreads} thread${effectiveThreads === 1 ? '' : 's'}`}${parallel > 1 ? `, ${parallel} threads sharing blocks` : ''})`,
  };
  return active;
}

/** Puts the wasm backend's own matrix-product kernels back. Does nothing when the native ones are not installed. */
export function disableNativeKernels(): void {
  if (originals.size === 0) return;
  for (const config of originals.values()) swapKernel(config);
  originals.clear();
  for (const name of addedNames) tf.unregisterKernel(name, BACKEND);
  addedNames = [];
  if (hostScans() === scans) registerHostScans(undefined); // unless another package has registered its own since
  scans = undefined;
  loadAddon().setParallel(1); // stop the helper threads
  active = undefined;
}

/** What is installed, or undefined when the native kernels are off. */
export function nativeKernelsInfo(): NativeKernelsInfo | undefined {
  return active;
}

/**
 * Why the native kernels cannot be enabled here (addon not built, no BLAS library), or undefined when they can. Loads
 * the addon and the library, but registers nothing.
 */
export function nativeKernelsProblem(library: BlasRequest = 'auto'): string | undefined {
  try {
    if (!(active && library === 'auto')) loadBlas(loadAddon(), library);
    return undefined;
  } catch (e) {
    return e instanceof NativeKernelsUnavailableError ? e.reason : (e as Error).message;
  }
}
