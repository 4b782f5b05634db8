import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { WasmKernelsUnavailableError } from './errors.js';
import { KERNELS_WASM, KERNELS_WASM_SHARED } from './kernels-wasm.js';
import { ADAM_UPDATE_KERNEL, DENSE_BACKWARD_KERNEL, FAST_TRANSPOSED_MATMUL } from '@varia/core';
import { type AdamModule, adamStepsTaken, adamUpdateKernel } from './adam-kernel.js';
import { type DenseModule, denseBackwardKernel, denseBackwardsTaken } from './dense-backward-kernel.js';
import {
  type KernelsModule,
  activationsTaken,
  batchMatMulKernel,
  fusedMatMulKernel,
  productsTaken,
} from './matmul-kernels.js';
import { attachHelper, sharedProducts } from './helper.js';
import { CONTROL_WORDS } from './helper-worker.js';
import { type WasmBackendParts, asWasmBackend, memoryOf } from './wasm-backend.js';
import { zeroSkippedProducts } from './zero-skip.js';

const BACKEND = 'wasm';

/** The module's exports (wasm/*.c). */
type Module = KernelsModule & AdamModule & DenseModule;

/** What {@link enableWasmKernels} installed. */
export interface WasmKernelsInfo {
  /**
   * The kernels now computed by the package's module: the wasm backend's products (each falls back to the backend's
   * own), `VariaAdamUpdate` and `VariaDenseBackward` (`@varia/core`'s `ADAM_UPDATE_KERNEL` and
   * `DENSE_BACKWARD_KERNEL`, each added where no other package registered one).
   */
  kernels: string[];
  /**
   * The fused products' activations the module computes: linear, relu and relu6 where the host's default NaN is
   * negative (x86: XNNPACK then clamps as the module does), else linear (the backend's own kernel runs the others);
   * none where the products stay the backend's (its threaded build with more than one thread).
   */
  activations: string[];
  /** A one-line description, e.g. `wasm + SIMD128 (BatchMatMul, _FusedMatMul, VariaAdamUpdate, VariaDenseBackward)`. */
  description: string;
}

/** The kernels replaced, each by its replacement (which runs the original for the cases it does not take). */
const REPLACEMENTS: Readonly<
  Record<
    string,
    (
      m: KernelsModule,
      current: (b: unknown) => WasmBackendParts | undefined,
      original: KernelConfig,
      clampsAsX86: boolean,
    ) => KernelConfig
  >
> = {
  [tf.BatchMatMul]: batchMatMulKernel,
  [tf._FusedMatMul]: fusedMatMulKernel,
};

/**
 * The kernels the package adds, which the backend does not have: each registered where no other package has
 * registered one of that name, and removed again by {@link disableWasmKernels}. `products`: it multiplies matrices on
 * one thread, so it is left out where the backend shares its products between threads.
 */
const ADDITIONS: Readonly<
  Record<
    string,
    { make: (m: Module, current: (b: unknown) => WasmBackendParts | undefined) => KernelConfig; products: boolean }
  >
> = {
  [ADAM_UPDATE_KERNEL]: { make: adamUpdateKernel, products: false },
  [DENSE_BACKWARD_KERNEL]: { make: denseBackwardKernel, products: true },
};

/** The backend's kernels the replacements took the place of, the replacements registered, and the additions. */
const originals = new Map<string, KernelConfig>();
const installed = new Set<KernelConfig>();
const added = new Set<KernelConfig>();
let active: WasmKernelsInfo | undefined;
/** Counts calls of disableWasmKernels: an enable that waited on the module's compilation meanwhile installs nothing. */
let disables = 0;
/** What a helper worker needs (set where the module computes the products on a shared memory), and the attached one. */
let sharing:
  | { module: Module; compiled: WebAssembly.Module; memory: WebAssembly.Memory; backend: WasmBackendParts }
  | undefined;
let helper: { detach: () => void } | undefined;

/** The module's bytes for a shared memory or not (src/kernels-wasm.ts holds them as base64). */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const text = atob(shared ? KERNELS_WASM_SHARED : KERNELS_WASM);
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Whether the host's default NaN (0·∞, made by the module at run time in the backend's memory) is negative: x86's.
 * XNNPACK's WebAssembly build picks its x86 kernels by the same sign, and those clamp as the module does. False when
 * the memory has no room for the three floats.
 */
function defaultNaNIsNegative(module: KernelsModule, backend: WasmBackendParts, memory: WebAssembly.Memory): boolean {
  const at = backend.wasm._malloc(12);
  if (at === 0) return false;
  try {
    new Float32Array(memory.buffer, at, 2).set([0, Number.POSITIVE_INFINITY]);
    module.gemm(at + 8, at, 1, 1, at + 4, 1, 0, 1, 1, 1, 0, 0, 0, 1); // +0 + 0·∞
    return (new Uint32Array(memory.buffer, at + 8, 1)[0]! & 0x80000000) !== 0;
  } finally {
    backend.wasm._free(at);
  }
}

function swapKernel(config: KernelConfig): void {
  tf.unregisterKernel(config.kernelName, BACKEND);
  tf.registerKernel(config);
}

/**
 * Replaces tfjs-backend-wasm's matrix-product kernels (`BatchMatMul`, `_FusedMatMul`) by a SIMD128 WebAssembly module
 * that works in the backend's own memory, in the browser and in Node, keeping the backend's results: every element
 * that is not a NaN has the same bits (a NaN stays a NaN; WebAssembly leaves a NaN's sign and payload to the engine).
 *
 * - Without a transposed operand the backend runs XNNPACK, whose sums are one chain per element from its bias:
 *   C[i][j] = (…((b_j + a_i0·w_0j) + a_i1·w_1j) + …), each product and sum rounded, then the activation's clamp. The
 *   module sums in the same order without XNNPACK's per-call packing of the weights (a new tensor each training step):
 *   1.34× the speed of a plain-wasm MNIST VAE's training step (measured in Node, 2026-12-03). ReLU and ReLU6 are
 *   taken where the host's default NaN is negative (x86), whose XNNPACK kernels clamp as the module does (a NaN to
 *   0); elsewhere those run on the backend's own kernel.
 * - With a transposed operand the backend runs a scalar loop (`slow_batch_matmul`): per element, a chain from +0 per
 *   block of 48 k, each block's sum added to the element; the module does the same per SIMD lane (up to ~60× faster
 *   on a 784 × 400 × 128 product with A transposed).
 * - Everything else (batched products, other activations, a transposed operand with a bias, other dtypes) runs the
 *   backend's own kernel, as does a product when the memory has no room for the module's output or scratch.
 * - It adds `VariaAdamUpdate` (`@varia/core`'s `ADAM_UPDATE_KERNEL`), which `@varia/layers`' `FusedAdamOptimizer` (the
 *   VAE's) then runs: one pass per variable with the bits of tfjs's own Adam, kernel by kernel (η, β₁, β₂, ε as
 *   `tf.train.adam` rounds them: m′ = m·β₁ + g·(1−β₁), v′ = v·β₂ + g²·(1−β₂), w′ = ((m′/(1−β₁ᵗ)) / (√(v′/(1−β₂ᵗ)) +
 *   ε))·(−η) + w, each operation rounded to float32), instead of ~12 kernels per variable; and `VariaDenseBackward`
 *   (`DENSE_BACKWARD_KERNEL`), which `@varia/layers`' `Dense` runs for its backward pass: δ = dy ⊙ f′(y), dx = δ·Wᵀ and
 *   dW = xᵀ·δ in XNNPACK's order, db = Σ_rows δ in the Sum kernel's — the bits of the kernels `Dense` composes there,
 *   instead of ~7 kernels and two transposes. On a backend made anew both compute on the host (the same bits).
 *
 * Call it after `await tf.setBackend('wasm')` (the backend's memory must exist). Calling it again changes nothing, except that it registers again an added kernel that
 * another package has unregistered since.
 * The threaded build (cross-origin isolated pages) is taken whole when its pool has one thread (on a 2-core machine
 * tfjs's default); with more, XNNPACK shares each product between them: the products (and `VariaDenseBackward`, whose
 * products would run on one thread) stay the backend's, and only `VariaAdamUpdate` is added (an elementwise pass: the
 * same bits on any number of threads). With `@varia/native-kernels` in Node, enable those instead (they replace the
 * same kernels).
 *
 * @returns what was installed.
 * @throws WasmKernelsUnavailableError when the wasm backend is not registered, not initialized, not tfjs-backend-wasm
 *   4.x, or has another package's products installed; nothing is changed then.
 */
export async function enableWasmKernels(): Promise<WasmKernelsInfo> {
  if (active) {
    // another package may have replaced and then unregistered an addition since: it comes back
    for (const config of added) if (!tf.getKernel(config.kernelName, BACKEND)) tf.registerKernel(config);
    return active;
  }
  if (!tf.findBackendFactory(BACKEND)) {
    throw new WasmKernelsUnavailableError(
      'the wasm backend is not registered (import "@tensorflow/tfjs-backend-wasm" first)',
    );
  }
  const found = tf.findBackend(BACKEND);
  if (!found) {
    throw new WasmKernelsUnavailableError(
      'the wasm backend is not initialized yet (await tf.setBackend("wasm") first)',
    );
  }
  const { backend, memory } = asWasmBackend(found);
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  // with more than one thread XNNPACK shares each product between them: the products stay the backend's, and only
  // the additions without products come (an elementwise pass has the same bits on any number of threads)
  const threads = backend.wasm._get_threads_count?.() ?? 1;
  const products = threads === 1;
  const wanted = Object.keys(REPLACEMENTS).map((name) => tf.getKernel(name, BACKEND));
  if (wanted.some((k) => k === undefined)) {
    throw new WasmKernelsUnavailableError('the wasm backend registers no BatchMatMul or _FusedMatMul kernel');
  }
  // @varia/native-kernels' products (a native BLAS, with other bits) are faster still: they stay
  if (wanted.some((k) => (k as unknown as Record<string, unknown>)[FAST_TRANSPOSED_MATMUL] === true)) {
    throw new WasmKernelsUnavailableError(
      "another package's matrix products are installed (@varia/native-kernels'): disable them first",
    );
  }
  const started = disables;
  const compiled = await WebAssembly.compile(moduleBytes(shared));
  const instance = await WebAssembly.instantiate(compiled, { env: { memory } });
  if (active) return active; // enabled by another call while this one waited
  if (disables !== started) throw new WasmKernelsUnavailableError('disableWasmKernels() was called while it started');
  const module = instance.exports as unknown as Module;
  const clampsAsX86 = defaultNaNIsNegative(module, backend, memory);
  // the module works on this backend's memory only: on a backend made anew (removeBackend, then registered again) the
  // products run its own kernels, and the additions compute on the host
  const current = (b: unknown): WasmBackendParts | undefined =>
    b === found && memoryOf(backend) === memory ? backend : undefined;
  const kernels: string[] = [];
  if (products) {
    Object.keys(REPLACEMENTS).forEach((name, i) => {
      originals.set(name, wanted[i]!);
      const config = REPLACEMENTS[name]!(module, current, wanted[i]!, clampsAsX86);
      installed.add(config);
      swapKernel(config);
      kernels.push(name);
    });
  }
  for (const [name, addition] of Object.entries(ADDITIONS)) {
    if (tf.getKernel(name, BACKEND) || (addition.products && !products)) continue; // another package's: it stays
    const config = addition.make(module, current);
    added.add(config);
    tf.registerKernel(config);
    kernels.push(name);
  }
  if (products && shared) sharing = { module, compiled, memory, backend };
  active = {
    kernels,
    activations: products ? activationsTaken(clampsAsX86) : [],
    description: `wasm + SIMD128 (${kernels.join(', ')}${products ? '' : `; the products stay on the backend's ${threads} threads`})`,
  };
  return active;
}

/** Why {@link tryEnableWasmKernels} installed nothing (the backend's own kernels run). */
export interface WasmKernelsUnavailable {
  /** The reason, in words a user can act on ({@link WasmKernelsUnavailableError}'s `reason`). */
  unavailable: string;
}

/**
 * {@link enableWasmKernels} where it can run, else why not, without throwing: for an application that takes the
 * module where it runs and the backend's own kernels elsewhere (the results are the backend's either way).
 */
export async function tryEnableWasmKernels(): Promise<WasmKernelsInfo | WasmKernelsUnavailable> {
  try {
    return await enableWasmKernels();
  } catch (e) {
    return { unavailable: e instanceof WasmKernelsUnavailableError ? e.reason : (e as Error).message };
  }
}

/**
 * Puts the wasm backend's own kernels back. Does nothing when the wasm kernels are not installed. A kernel another
 * package has replaced since (it keeps this package's to put back when it is disabled) is left to it: the module's
 * products are the backend's results either way.
 */
export function disableWasmKernels(): void {
  disables++;
  detachWasmKernelsHelper();
  sharing = undefined;
  for (const [name, config] of originals) {
    const now = tf.getKernel(name, BACKEND);
    if (now && installed.has(now)) swapKernel(config);
  }
  for (const config of added) {
    if (tf.getKernel(config.kernelName, BACKEND) === config) tf.unregisterKernel(config.kernelName, BACKEND);
  }
  originals.clear();
  installed.clear();
  added.clear();
  active = undefined;
}

/** How many calls each of the module's kernels has computed since the page or process started. */
export interface WasmKernelCalls {
  /** Matrix products (`BatchMatMul`, `_FusedMatMul`; the rest ran on the backend's own kernels). */
  products: number;
  /** Adam steps, one per variable and training step (`VariaAdamUpdate`). */
  adamSteps: number;
  /** Dense layers' backward passes (`VariaDenseBackward`). */
  denseBackwards: number;
  /** Products (of both kinds above) whose columns a helper worker shared ({@link attachWasmKernelsHelper}). */
  sharedWithHelper: number;
  /**
   * Products (of both kinds above; a backward pass's dW) computed over the non-zeros of their op(A)'s groups of 4 rows
   * only: op(A) mostly zeros (an encoder's input: pixels, counts), the same bits as every k.
   */
  zeroSkipped: number;
}

/** The calls the module has computed so far: to see that a model's products, Adam and backward passes go there. */
export function wasmKernelCalls(): WasmKernelCalls {
  return {
    products: productsTaken(),
    adamSteps: adamStepsTaken(),
    denseBackwards: denseBackwardsTaken(),
    sharedWithHelper: sharedProducts(),
    zeroSkipped: zeroSkippedProducts(),
  };
}

/** What is installed, or undefined when the wasm kernels are off. */
export function wasmKernelsInfo(): WasmKernelsInfo | undefined {
  return active;
}

/** Whether this thread may block in `Atomics.wait` (a browser's main thread may not). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** What {@link attachWasmKernelsHelper} started. */
export interface WasmKernelsHelperInfo {
  /** In words: which products the helper shares. */
  description: string;
}

/**
 * Shares the module's large products (and those of its dense backward pass) with a second thread: `worker` is a
 * fresh dedicated worker whose script calls `serveWasmKernels` from `@varia/wasm-kernels/helper` with the first message
 * it receives (a worker serves one helper). The two threads take blocks of each product's
 * columns in turn; every element is computed as on one thread, so the results have the same bits.
 *
 * Only where the module computes the products on tfjs-backend-wasm's threaded build — a cross-origin isolated page,
 * with the backend's own pool at one thread (`setThreadsCount(1)`, or its default on a 2- or 3-core machine); Node's
 * tfjs-backend-wasm never shares its memory — and from a worker (a browser's main thread may not block in
 * `Atomics.wait`). Replaces a helper attached before. A helper worker terminated while it computes a block leaves
 * that product waiting for it: detach it first.
 * @throws WasmKernelsUnavailableError naming what is missing.
 */
export function attachWasmKernelsHelper(worker: { postMessage(message: unknown): void }): WasmKernelsHelperInfo {
  if (typeof worker?.postMessage !== 'function') {
    throw new WasmKernelsUnavailableError('attachWasmKernelsHelper needs a worker (an object with postMessage)');
  }
  if (!sharing) {
    throw new WasmKernelsUnavailableError(
      active
        ? "the module does not compute the products on a shared memory (tfjs-backend-wasm's threaded build with one thread of its own)"
        : 'enableWasmKernels() has not run',
    );
  }
  if (!mayBlock()) {
    throw new WasmKernelsUnavailableError(
      "this thread may not block in Atomics.wait (a browser's main thread): attach the helper from a worker",
    );
  }
  const { module, compiled, memory, backend } = sharing;
  const control = backend.wasm._malloc(4 * CONTROL_WORDS);
  if (control === 0) throw new WasmKernelsUnavailableError("the wasm backend's memory has no room for the helper");
  let detach: () => void;
  try {
    // the new helper takes over from one attached before (whose loop ends) once it has its message
    detach = attachHelper(module, compiled, memory, control, worker);
  } catch (e) {
    backend.wasm._free(control); // no worker has it
    throw new WasmKernelsUnavailableError(`the worker did not take the helper's message (${(e as Error).message})`, {
      cause: e,
    });
  }
  helper = { detach };
  return { description: 'a helper worker shares the large products' };
}

/**
 * Stops the helper {@link attachWasmKernelsHelper} started, if any (its worker returns from `serveWasmKernels`;
 * ending it is the caller's). The products run on the calling thread alone again.
 */
export function detachWasmKernelsHelper(): void {
  if (!helper) return;
  helper.detach();
  // the helper may still read its control block until it wakes: those 19 words stay allocated (76 bytes an attach)
  helper = undefined;
}
