/**
 * The worker's tfjs-wasm setup: the `.wasm` binaries' URLs, and the size of XNNPACK's thread pool when the page is
 * cross-origin isolated (tfjs then takes its threaded SIMD build).
 *
 * tfjs-backend-wasm 4.22 caps the pool at `navigator.hardwareConcurrency / 2` ("many x86-64 processors have 2
 * threads per core", its `backend.cc`), whatever `setThreadsCount` asks: on a 2-core machine the isolated page got 1
 * thread, one core idle. The cap is read once, by the wasm module's static initializer, from `hardwareConcurrency`
 * of the thread that starts the module — this worker. So while the backend initializes, the worker's navigator
 * reports twice the count wanted; afterwards it reports the real value again.
 *
 * `?threads=N` gets N threads (1–8) on any machine. The default ({@link defaultWasmThreads}) stays tfjs's half of the
 * logical cores: on the shared 2-core bench machine 2 threads trained MNIST at 0.98× one thread (median of 28
 * interleaved rounds, 0.61–1.69, load 5–20; bench/README.md, browser section).
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { ADAM_UPDATE_KERNEL, DENSE_BACKWARD_KERNEL } from '@varia/core';
import {
  attachWasmKernelsHelper,
  tryEnableWasmKernels,
  type WasmKernelsInfo,
  type WasmKernelsUnavailable,
  WasmKernelsUnavailableError,
} from '@varia/wasm-kernels';
import { defaultWasmThreads, type WasmThreads } from './protocol.js';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

let requested: WasmThreads = 'auto';

/** The thread count the page asked for (`?threads=` in its URL); applies when the wasm backend first starts. */
export function requestWasmThreads(threads: WasmThreads): void {
  requested = threads;
}

/** The pool size to start: the page's request, or {@link defaultWasmThreads} of the logical cores. */
function poolSize(): number {
  return requested === 'auto' ? defaultWasmThreads(navigator.hardwareConcurrency || 1) : requested;
}

/** `@varia/wasm-kernels`' kernels when they run, else why not (the backend's own run then). */
let kernels: WasmKernelsInfo | WasmKernelsUnavailable | undefined;

/**
 * `@varia/wasm-kernels`' matrix products, Adam steps and dense backward passes (the backend's results, faster) where
 * the backend runs its products on one thread: the single-threaded build, or the threaded one with a pool of one (a cross-origin isolated page on a 2-core
 * machine, by default). With more threads its XNNPACK shares each product between them, and it keeps them.
 */
async function startWasmKernels(): Promise<void> {
  kernels = await tryEnableWasmKernels();
}

/** The helper worker's part of the note ('' where none was asked for), or why it did not start. */
let helperNote = '';

/**
 * A second thread for the module's products: where the page is isolated, the backend's pool runs one thread by
 * default (`?threads=` absent) on a machine with two or more logical cores, and the module computes the products, a
 * helper worker takes blocks of their columns (the same bits). An explicit `?threads=1` keeps one thread.
 */
function startKernelsHelper(): void {
  if (requested !== 'auto' || getThreadsCount() !== 1 || (navigator.hardwareConcurrency || 1) < 2) return;
  if (!kernels || !('kernels' in kernels) || !kernels.kernels.includes('BatchMatMul')) return;
  const worker = new Worker(new URL('./kernels-helper.ts', import.meta.url), { type: 'module' });
  try {
    attachWasmKernelsHelper(worker);
    helperNote = ', their products shared with a helper worker (2 threads)';
  } catch (e) {
    worker.terminate(); // refused: nothing will use it
    helperNote = `, no helper worker (${e instanceof WasmKernelsUnavailableError ? e.reason : (e as Error).message})`;
  }
}

/** The note's name of each kernel `@varia/wasm-kernels` may install, in the note's order. */
const NAMES: Readonly<Record<string, string>> = {
  BatchMatMul: 'matMul',
  [DENSE_BACKWARD_KERNEL]: 'dense backward',
  [ADAM_UPDATE_KERNEL]: 'Adam',
};

/**
 * What `@varia/wasm-kernels` computes, for the note: "matMul, dense backward and Adam by @varia/wasm-kernels
 * (SIMD128)" (on more than one thread "Adam by …": the products stay the backend's), or '' where it does not run.
 */
function byWasmKernels(): string {
  if (!kernels || !('kernels' in kernels)) return '';
  const installed = kernels.kernels;
  const names = Object.keys(NAMES)
    .filter((k) => installed.includes(k))
    .map((k) => NAMES[k]!);
  if (names.length === 0) return '';
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]!;
  return `${list} by @varia/wasm-kernels (SIMD128)`;
}

/** Starts tfjs-wasm: threaded with {@link poolSize} threads when cross-origin isolated, else single-threaded. */
export async function startWasm(): Promise<boolean> {
  if (!self.crossOriginIsolated) {
    if (!(await tf.setBackend('wasm'))) return false;
    await startWasmKernels();
    return true;
  }
  const threads = poolSize();
  setThreadsCount(threads);
  const nav = navigator as Navigator & { hardwareConcurrency: number };
  Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => 2 * threads });
  let started: boolean;
  try {
    started = await tf.setBackend('wasm');
  } finally {
    // the own property shadowed WorkerNavigator.prototype's getter; removing it restores the real value
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
  if (started) {
    await startWasmKernels();
    startKernelsHelper();
  }
  return started;
}

/** The backend line's note for wasm: SIMD or not, and the pool's real size (`getThreadsCount`). */
export async function wasmNote(): Promise<string> {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const by = byWasmKernels();
  const products = by ? `, ${by}` : '';
  if (!(threaded && simd))
    return `${simd ? 'SIMD' : 'no SIMD'}${products}, single-threaded: not cross-origin isolated (serve with COOP/COEP headers, as pnpm playground serve does, for threads)`;
  const n = getThreadsCount();
  const cores = navigator.hardwareConcurrency || 1;
  const how =
    requested === 'auto'
      ? `default for ${cores} logical cores; ?threads=N in the URL to change`
      : '?threads= in the URL';
  const shared = by ? `; ${by}${helperNote}` : '';
  return `SIMD, ${n} thread${n === 1 ? '' : 's'}: cross-origin isolated, ${how}${shared}`;
}
