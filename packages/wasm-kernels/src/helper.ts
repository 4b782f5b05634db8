/**
 * The calling thread's side of a helper worker (helper-worker.ts says how the two share a product).
 */
import { BackendError } from '@varia/core';
import {
  ARGS,
  CLAIM,
  CONTROL_WORDS,
  COUNT,
  DONE,
  type GemmFunction,
  type GemmModule,
  type HelperInit,
  runBlocks,
  SEQ,
  STOP,
  WIDTH,
} from './helper-worker.js';

/** A product with fewer multiply-adds runs on the calling thread (waking the helper costs tens of microseconds). */
const SPLIT_MIN_MACS = 2 ** 21;
/** Blocks per product (two a thread: a helper that starts late takes fewer). */
const BLOCKS = 4;
/** How long the calling thread waits for the helper's last block before it gives up (ms). */
const WAIT_LIMIT_MS = 60_000;

/** The calling thread's side of an attached helper. */
interface Attached {
  gemm: GemmFunction;
  ctl: Int32Array;
  seq: number;
}

const attachedByModule = new WeakMap<GemmModule, Attached>();

/**
 * Starts sharing `module`'s products with a helper worker (see {@link serveWasmKernels}): posts it the memory, the
 * compiled module and the control block at `control` (CONTROL_WORDS words, zeroed here). The calling thread must be
 * one that may block (`Atomics.wait`: a worker, or Node's main thread). Returns a function that stops the helper.
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
  const attached: Attached = { gemm: module.gemm, ctl, seq: 0 };
  attachedByModule.set(module, attached);
  return () => {
    if (attachedByModule.get(module) === attached) attachedByModule.delete(module);
    Atomics.store(ctl, STOP, 1);
    Atomics.add(ctl, SEQ, 1);
    Atomics.notify(ctl, SEQ);
  };
}

let shared = 0;

/** How many products (and backward passes' products) a helper worker has shared, in this JavaScript realm. */
export function sharedProducts(): number {
  return shared;
}

/**
 * C = op(A)·B (+ bias, activation) by the module, C's rows n floats apart: on the calling thread, or in blocks of
 * columns shared with the module's helper when one is attached and the product is large enough. The same bits.
 */
export function gemm(
  module: GemmModule,
  out: number,
  a: number,
  ais: number,
  aks: number,
  b: number,
  ldb: number,
  bias: number,
  m: number,
  n: number,
  k: number,
  blocked: number,
  act: number,
): void {
  const h = attachedByModule.get(module);
  // whole strips a block: 16 columns for the blocked order's tiles, 8 for XNNPACK's
  const strip = blocked ? 16 : 8;
  const width = Math.ceil(Math.ceil(n / BLOCKS) / strip) * strip;
  const count = width > 0 ? Math.ceil(n / width) : 0;
  if (!h || m * n * k < SPLIT_MIN_MACS || count < 2) {
    module.gemm(out, a, ais, aks, b, ldb, bias, m, n, k, blocked, act, n);
    return;
  }
  const { ctl } = h;
  // the last job's claims closed first (runBlocks): a helper still looking at it claims nothing of this one
  Atomics.store(ctl, CLAIM, ((h.seq & 0x7fff) << 16) | 0xffff);
  const seq = (h.seq + 1) & 0x7fffffff;
  h.seq = seq;
  ctl.set([out, a, ais, aks, b, ldb, bias, m, n, k, blocked, act], ARGS);
  Atomics.store(ctl, WIDTH, width);
  Atomics.store(ctl, COUNT, count);
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, CLAIM, (seq & 0x7fff) << 16);
  Atomics.store(ctl, SEQ, seq);
  Atomics.notify(ctl, SEQ);
  runBlocks(h.gemm, ctl, seq);
  // the helper's blocks: it claimed them, so it is running them
  const start = Date.now();
  for (let done = Atomics.load(ctl, DONE); done < count; done = Atomics.load(ctl, DONE)) {
    Atomics.wait(ctl, DONE, done, 1000);
    if (Date.now() - start > WAIT_LIMIT_MS) {
      throw new BackendError(
        `@varia/wasm-kernels: ${`the helper worker did not finish its block in ${WAIT_LIMIT_MS / 1000} s`}`,
      );
    }
  }
  shared++;
}
