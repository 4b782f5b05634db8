import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeKernelsUnavailableError, nativeCallError } from './errors.js';

/** What a loaded BLAS says about itself. */
export interface LoadedBlas {
  /** Which family it is. */
  kind: 'onednn' | 'openblas';
  /** Its version (oneDNN: `major.minor.patch`; OpenBLAS: its build configuration string). */
  version: string;
}

/** The addon's functions (see native/varia_native.c for the exact contracts). */
export interface NativeAddon {
  load(path: string): LoadedBlas;
  setThreads(threads: number): void;
  threads(): number;
  setParallel(threads: number): void;
  parallel(): number;
  /** How many products native/zero_skip.c has done in this process (op(A) mostly zeros, oneDNN's bits). */
  zeroSkipped(): number;
  /** How many products native/narrow.c has done in this process (a narrow, tall C, oneDNN's bits). */
  narrowed(): number;
  /**
   * How many forward products native/dense_rows.c has run in blocks of rows shared by the threads (`parallel` ≥ 2,
   * many rows; the same bits).
   */
  rowBlocked(): number;
  gemm(
    heap: ArrayBuffer,
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    batch: number,
    aOffset: number,
    aStride: number,
    bOffset: number,
    bStride: number,
    cOffset: number,
    biasOffset: number,
    biasSize: number,
    activation: number,
    alpha: number,
    /**
     * The ticket `denseBackwardAdam` returned for the data that is B (0 or absent: none; native/weight_facts.h): for
     * one product with op(B) = B whose B is exactly the bytes it describes, B's scan is skipped (the same bits).
     */
    bFacts?: number,
  ): boolean;
  adam(
    heap: ArrayBuffer,
    size: number,
    wOffset: number,
    gOffset: number,
    mOffset: number,
    vOffset: number,
    wOut: number,
    mOut: number,
    vOut: number,
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    beta1Power: number,
    beta2Power: number,
  ): void;
  adamInPlace(
    heap: ArrayBuffer,
    specs: Float64Array,
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    beta1Power: number,
    beta2Power: number,
  ): void;
  denseBackward(
    heap: ArrayBuffer,
    batch: number,
    inDim: number,
    units: number,
    dyOffset: number,
    yOffset: number,
    xOffset: number,
    kernelOffset: number,
    dxOffset: number,
    dKernelOffset: number,
    dBiasOffset: number,
    activation: number,
    /** An addend to dx ([batch, inDim]; −1 or absent: none): dx = addend + δ·Wᵀ, an Add kernel's bits. */
    dxAddOffset?: number,
  ): void;
  /**
   * The dense backward pass then the in-place Adam step of W, b and their moments (native/dense_adam.c): `numbers`
   * holds batch, inDim, units, the byte offsets of dy, y, x, W, b, W's m and v, b's m and v, dx (−1: none), the
   * activation code, Adam's lr, β₁, β₂, ε, β₁ᵗ, β₂ᵗ, the byte offset of an addend to dx (−1: none), `defer` (1:
   * dW's blocks and W's step may run on after the call, until {@link NativeAddon.joinDeferred}) and, optionally,
   * `facts` (1: keep W's new facts for the next gemm that reads it; returns their ticket, native/weight_facts.h).
   */
  denseBackwardAdam(heap: ArrayBuffer, numbers: Float64Array): number | undefined;
  /** Waits for the calling thread's deferred `denseBackwardAdam` work; throws when it failed. */
  joinDeferred(): void;
  /** Whether the calling thread has deferred `denseBackwardAdam` work it has not joined (done or not). */
  deferredPending(): boolean;
  unary(heap: ArrayBuffer, op: number, size: number, xOffset: number, yOffset: number): void;
  sum(heap: ArrayBuffer, xOffset: number, yOffset: number, outer: number, reduce: number, inner: number): void;
  /** y = a·b − c elementwise. */
  mulSub(heap: ArrayBuffer, size: number, aOffset: number, bOffset: number, cOffset: number, yOffset: number): void;
  /** y = α·x + β·z elementwise. */
  scaledSum(
    heap: ArrayBuffer,
    size: number,
    xOffset: number,
    zOffset: number,
    alpha: number,
    beta: number,
    yOffset: number,
  ): void;
  /** σ = exp(s·½), z = μ + σ·ε; `args` = [size, locOff, sOff, epsOff, scaleOff, zOff]. */
  normalSample(heap: ArrayBuffer, args: Float64Array): void;
  /** σ² and Σ_j ½(σ² + μ² − 1 − log σ²); `args` = [rows, cols, locOff, scaleOff, varOff, scratchOff, sumOff]. */
  normalKl(heap: ArrayBuffer, args: Float64Array): void;
  /** ∂/∂μ and ∂/∂s of the KL and the sample; `args` = [size, locOff, scaleOff, varOff, epsOff, dzOff, h, dLocOff, dsOff]. */
  normalBackward(heap: ArrayBuffer, args: Float64Array): void;
  /** `count` draws of N(0, 1) as float32 from an Alea state (tf.randomNormal's values); `args` = [count, k0, k1, k2, outOff]. */
  standardNormal(heap: ArrayBuffer, args: Float64Array): void;
  /** Σ_j log N(x; μ, σ) per row; `args` = [rows, cols, perFeature, halfLog2pi, x, loc, sigma, scale, d, t, lp, sum]. */
  normalLogProb(heap: ArrayBuffer, args: Float64Array): void;
  /** Its gradients; `args` = [rows, cols, perFeature, g, scale, t, d, dLoc, dScale, dSigma]. */
  normalLogProbBackward(heap: ArrayBuffer, args: Float64Array): void;
  /**
   * A fused step's likelihood part in one pass (native/likelihood_step.c): `args` = [family, rows, cols, g, x, param,
   * sums, dOut, table, tableSize, aux] (byte offsets; table and aux −1 when absent); returns the misses (values of x
   * the family does not take).
   */
  likelihoodStep(heap: ArrayBuffer, args: Float64Array): number;
  /** y[i] = table[x[i]] for integer x[i] in [0, tableSize), NaN otherwise; returns how many were not (misses). */
  lookup(
    heap: ArrayBuffer,
    size: number,
    xOffset: number,
    tableOffset: number,
    tableSize: number,
    yOffset: number,
  ): number;
  sparseDense(
    heap: ArrayBuffer,
    rows: number,
    inDim: number,
    units: number,
    nnz: number,
    indptrOffset: number,
    indicesOffset: number,
    valuesOffset: number,
    kernelOffset: number,
    biasOffset: number,
    outOffset: number,
    activation: number,
    alpha: number,
  ): void;
  /**
   * gemm's y = act(x·W + b) for a two-matrix product with a per-column bias (its bits), x [rows, inDim] read in place
   * from the Float32Array (native/dense_host.c).
   */
  gemmHost(
    heap: ArrayBuffer,
    x: Float32Array,
    rows: number,
    inDim: number,
    units: number,
    kernelOffset: number,
    biasOffset: number,
    outOffset: number,
    activation: number,
    alpha: number,
  ): void;
  /**
   * sparseDense with X's CSR arrays read in place (no copy into the heap), checked with assertSparseMatrix's strict
   * rules; values a Float32Array or the heap offset of values already there; transform 1: log1p of values in a
   * Float32Array first, the Log1p kernel's bits (native/sparse_dense.c).
   */
  sparseDenseHost(
    heap: ArrayBuffer,
    indptr: Int32Array,
    indices: Int32Array,
    values: Float32Array | number,
    rows: number,
    inDim: number,
    units: number,
    kernelOffset: number,
    biasOffset: number,
    outOffset: number,
    activation: number,
    alpha: number,
    transform: number,
  ): void;
  /** y = act(x·W + b) for a dense x, from its non-zero entries (native/sparse_input.c). */
  sparseInputDense(
    heap: ArrayBuffer,
    n: number,
    inDim: number,
    units: number,
    xOffset: number,
    kernelOffset: number,
    biasOffset: number,
    yOffset: number,
    activation: number,
    alpha: number,
  ): void;
  /** dW = xᵀ·δ and db = Σ_rows δ, δ = dy ⊙ f′(y), from x's non-zero entries (native/sparse_input.c). */
  sparseInputDenseBackward(
    heap: ArrayBuffer,
    n: number,
    inDim: number,
    units: number,
    dyOffset: number,
    yOffset: number,
    xOffset: number,
    dKernelOffset: number,
    dBiasOffset: number,
    activation: number,
  ): void;
  /** The first i with ¬(0 ≤ x[i] ≤ 1) (−0 passes, NaN does not), or −1; reads `x` in place (native/domain_scan.c). */
  firstOutsideUnitInterval(x: Float32Array): number;
  /** The first i with ¬(x[i] ≥ 0 ∧ x[i] ≤ max ∧ x[i] a finite integer), or −1, for a `max` ≥ 0 (native/domain_scan.c). */
  firstBadCount(x: Float32Array, max: number): number;
  /**
   * out[k, :] = source[rows[k], :] for the `rows.length` rows of `cols` values at byte offset `outputOffset` of the
   * heap, the source read in place (its length a multiple of `cols`); returns −1, or the first k whose rows[k] is not
   * a row of the source, having written nothing (native/gather_rows.c).
   */
  gatherRows(heap: ArrayBuffer, source: Float32Array, cols: number, rows: Int32Array, outputOffset: number): number;
}

/** Where the build script puts the addon: `<package>/native/build/Release/varia_native.node`. */
export const ADDON_PATH = join(
  dirname(dirname(fileURLToPath(import.meta.url))),
  'native',
  'build',
  'Release',
  'varia_native.node',
);

let addon: NativeAddon | undefined;

/**
 * The addon with every entry point's refusal turned into a `VariaError` ({@link nativeCallError}): the C side throws
 * plain errors (and code `VARIA_CSR` ones) that name the entry point but are no part of the library's hierarchy.
 */
function guarded(raw: NativeAddon): NativeAddon {
  // the addon defines its entry points non-enumerable (napi_default), so Object.entries would see none
  const entries = Object.getOwnPropertyNames(raw).map((entry) => {
    const value = (raw as unknown as Record<string, unknown>)[entry];
    if (typeof value !== 'function') return [entry, value];
    const call = value as (...args: unknown[]) => unknown;
    return [
      entry,
      (...args: unknown[]) => {
        try {
          return call(...args);
        } catch (e) {
          throw nativeCallError(entry, e);
        }
      },
    ];
  });
  return Object.fromEntries(entries) as NativeAddon;
}

/**
 * Loads the compiled addon once.
 * @throws NativeKernelsUnavailableError when it was not built or does not load.
 */
export function loadAddon(): NativeAddon {
  if (addon) return addon;
  if (!existsSync(ADDON_PATH)) {
    throw new NativeKernelsUnavailableError(
      `the native addon was not built (${ADDON_PATH} is missing; build it with "npx varia-native-build", which needs a C compiler and Node's headers)`,
    );
  }
  try {
    addon = guarded(createRequire(import.meta.url)(ADDON_PATH) as NativeAddon);
  } catch (e) {
    throw new NativeKernelsUnavailableError(`the native addon does not load: ${(e as Error).message}`, { cause: e });
  }
  return addon;
}
