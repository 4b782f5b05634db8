/**
 * The calling thread's side of a helper worker (helper-worker.ts says how the two share a product).
 */
import { BackendError } from '@varia/core';
import {
  ARGS,
  CLAIM,
  CONTROL_WORDS,
  COUNT,
  claimTag,
  closedClaim,
  DONE,
  FAILED,
  type GemmArgs,
  type GemmFunction,
  type GemmModule,
  type HelperInit,
  INDEX,
  runBlocks,
  SEQ,
  STOP,
  WIDTH,
} from './helper-worker.js';

/** A product with fewer multiply-adds runs on the calling thread (waking the helper costs tens of microseconds). */
const SPLIT_MIN_MACS = 2 ** 21;
/** Blocks per product (two a thread: a helper that starts late takes fewer). */
const BLOCKS = 4;

/** The calling thread's side of an attached helper. */
interface Attached {
  gemm: GemmFunction;
  ctl: Int32Array;
  seq: number;
  /** Ends the helper's loop (STOP, then a new job number to wake it). */
  stop: () => void;
}

const attachedByModule = new WeakMap<GemmModule, Attached>();

/**
 * Starts sharing `module`'s products with a helper worker (see serveWasmKernels): posts it the memory, the compiled
 * module and the control block at `control` (CONTROL_WORDS words, zeroed here), then takes over from a helper attached
 * before to `module` (its loop ends). The calling thread must be one that may block (`Atomics.wait`: a worker, or
 * Node's main thread). Returns a function that stops the helper. Throws what `worker.postMessage` throws (nothing is
 * attached then).
 */
export function attachHelper(
  module: GemmModule,
  compiled: WebAssembly.Module,
  memory: WebAssembly.Memory,
  control: number,
  worker: { postMessage(message: unknown): void },
): () => void {
  const ctl = new Int32Array(memory.buffer, control, CONTROL_WORDS);
  ctl.fill(0);
  const init: HelperInit = { type: 'varia-wasm-kernels-helper', memory, module: compiled, control };
  worker.postMessage(init);
  const attached: Attached = {
    gemm: module.gemm,
    ctl,
    seq: 0,
    stop: () => {
      Atomics.store(ctl, STOP, 1);
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
    },
  };
  attachedByModule.get(module)?.stop();
  attachedByModule.set(module, attached);
  return () => {
    if (attachedByModule.get(module) === attached) attachedByModule.delete(module);
    attached.stop();
  };
}

let shared = 0;

/** How many products (and backward passes' products) a helper worker computed blocks of, in this JavaScript realm. */
export function sharedProducts(): number {
  return shared;
}

/**
 * C = op(A)·B (+ bias, activation) by the module, C's rows n floats apart: on the calling thread, or in blocks of
 * columns shared with the module's helper when one is attached and the product is large enough. The same bits.
 */
export function gemm(module: GemmModule, ...args: GemmArgs): void {
  const [, , , , , , , m, n, k, blocked] = args;
  const h = attachedByModule.get(module);
  // whole strips a block: 16 columns for the blocked order's tiles, 8 for XNNPACK's
  const strip = blocked ? 16 : 8;
  const width = Math.ceil(Math.ceil(n / BLOCKS) / strip) * strip;
  const count = width > 0 ? Math.ceil(n / width) : 0;
  if (!h || m * n * k < SPLIT_MIN_MACS || count < 2) {
    module.gemm(...args, n);
    return;
  }
  const { ctl } = h;
  const seq = (h.seq + 1) & 0x7fffffff;
  h.seq = seq;
  ctl.set(args, ARGS);
  Atomics.store(ctl, WIDTH, width);
  Atomics.store(ctl, COUNT, count);
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, FAILED, 0);
  Atomics.store(ctl, CLAIM, claimTag(seq));
  Atomics.store(ctl, SEQ, seq);
  Atomics.notify(ctl, SEQ);
  let mine = 0;
  let failure: unknown;
  try {
    mine = runBlocks(h.gemm, ctl, seq, true);
  } catch (e) {
    failure = e;
  }
  // closed: no block of this job starts any more; every one claimed is counted in DONE when it ends (the helper
  // counts a block whose product threw too), so the wait ends once each claimed block is done — and only then may
  // the caller free what the product reads or writes
  const claimed = Math.min(Atomics.exchange(ctl, CLAIM, closedClaim(seq)) & INDEX, count);
  for (let done = Atomics.load(ctl, DONE); done < claimed; done = Atomics.load(ctl, DONE)) {
    Atomics.wait(ctl, DONE, done);
  }
  if (failure !== undefined) throw failure;
  const failed = Atomics.load(ctl, FAILED);
  if (failed > 0) {
    throw new BackendError(
      `@varia/wasm-kernels: ${failed} of the product's ${count} blocks failed in the helper worker`,
    );
  }
  if (mine < count) shared++;
}
