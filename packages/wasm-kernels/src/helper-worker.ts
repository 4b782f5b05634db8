/**
 * A second thread for the module's products on tfjs-backend-wasm's threaded build (a shared memory), when the backend
 * runs one thread of its own (then the module computes the products; with more, XNNPACK shares them and keeps them).
 * A helper worker instantiates the same module on the same memory and takes blocks of a product's columns from a
 * counter both threads claim from, as native-kernels' helper threads do: each block is whole strips of columns, and a
 * column's elements are the same chains whichever thread computes them, so the results have the same bits as on one
 * thread. The calling thread claims blocks too and then waits (`Atomics.wait`) only for blocks the helper has
 * claimed: a helper that never starts (a busy machine, a worker that failed to load) costs nothing but its wake-up.
 *
 * This file imports nothing but `@varia/core`'s errors (no TensorFlow.js): the helper worker loads it alone
 * (`@varia/wasm-kernels/helper`). The calling thread's side is helper.ts.
 */
import { ArgumentError } from '@varia/core';

/**
 * @internal A product's arguments for the module (byte offsets into the memory): C (`out`), op(A)(i, k) =
 * a[i·ais + k·aks], B (K × N, rows `ldb` floats apart), the bias (0: none), the sizes, `blocked` (1: the transposed
 * operand's order), the activation's code, and `lists` (0: none), the k-lists of op(A)'s row groups (zero-skip.ts).
 */
export type GemmArgs = [
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
  lists: number,
];

/** @internal The module's product, as wasm/matmul.c exports it: C's rows `ldc` floats apart (n for a whole C). */
export type GemmFunction = (...args: [...GemmArgs, ldc: number]) => void;

/** @internal The module's exports that the helper uses. */
export interface GemmModule {
  gemm: GemmFunction;
}

/** What a helper worker receives, once: the backend's shared memory, the compiled module and its control block. */
export interface HelperInit {
  type: 'varia-wasm-kernels-helper';
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** Byte offset of the control block (CONTROL_WORDS 32-bit words) in the memory. */
  control: number;
}

// The control block's words. SEQ: the job's number (the helper waits on it); CLAIM: the job's number (INDEX_BITS
// less) << INDEX_BITS | the next block to claim, so that a claim made for an earlier job fails; DONE: blocks finished
// (or failed); COUNT: blocks; WIDTH: columns per block; STOP: 1 ends the helper; FAILED: blocks whose product threw
// (a trap: an offset outside the memory); ARGS…: the product's arguments.
/** @internal */
export const SEQ = 0;
/** @internal */
export const CLAIM = 1;
/** @internal */
export const DONE = 2;
/** @internal */
export const COUNT = 3;
/** @internal */
export const WIDTH = 4;
/** @internal */
export const STOP = 5;
/** @internal */
export const FAILED = 6;
/** @internal */
export const ARGS = 7;
const ARG_COUNT = 13;
/** @internal Bits of CLAIM that hold the next block's index (at most 255 blocks a job). */
export const INDEX_BITS = 8;
/** @internal CLAIM's index part (the mask). */
export const INDEX = (1 << INDEX_BITS) - 1;
/** @internal 32-bit words of the control block. */
export const CONTROL_WORDS = ARGS + ARG_COUNT;

/** @internal CLAIM's job part for job `seq`. */
export function claimTag(seq: number): number {
  return (seq << INDEX_BITS) & ~INDEX;
}

/** @internal CLAIM's value that closes job `seq`: no block of it can be claimed any more. */
export function closedClaim(seq: number): number {
  return claimTag(seq) | INDEX;
}

/**
 * @internal
 * Runs blocks of the current job (tagged `seq`) until none is left for this thread to claim, and returns how many it
 * ran. A claim is a compare-exchange on CLAIM, which the caller closes (closedClaim) before it writes the next job; the
 * count is read again after the claim (a claim that succeeds after the job number wrapped round takes a block of the
 * current job, whose count that is), and the arguments after it (the caller writes the next job only once every
 * claimed block is done). A block whose product throws counts as done and in FAILED; with `rethrow` (the calling
 * thread) the error is thrown once the block is counted.
 */
export function runBlocks(gemm: GemmFunction, ctl: Int32Array, seq: number, rethrow = false): number {
  const tag = claimTag(seq);
  let ran = 0;
  for (;;) {
    const claim = Atomics.load(ctl, CLAIM);
    if ((claim & ~INDEX) !== tag || (claim & INDEX) >= Atomics.load(ctl, COUNT)) return ran;
    if (Atomics.compareExchange(ctl, CLAIM, claim, claim + 1) !== claim) continue;
    const q = claim & INDEX;
    const count = Atomics.load(ctl, COUNT);
    if (q >= count) return ran;
    const [out, a, ais, aks, b, ldb, bias, m, n, k, blocked, act, lists] = ctl.subarray(ARGS, ARGS + ARG_COUNT);
    const width = Atomics.load(ctl, WIDTH);
    const j0 = q * width;
    const cols = q === count - 1 ? n! - j0 : width;
    try {
      gemm(
        out! + 4 * j0,
        a!,
        ais!,
        aks!,
        b! + 4 * j0,
        ldb!,
        bias! === 0 ? 0 : bias! + 4 * j0,
        m!,
        cols,
        k!,
        blocked!,
        act!,
        lists!,
        n!,
      );
    } catch (e) {
      Atomics.add(ctl, FAILED, 1);
      if (rethrow) throw e;
    } finally {
      ran++;
      Atomics.add(ctl, DONE, 1);
      Atomics.notify(ctl, DONE);
    }
  }
}

/**
 * The helper worker's loop (it does not return until the caller detaches it): instantiates the module on the shared
 * memory and runs the blocks of each product posted. Call it with the first message the worker receives (one worker
 * per attach: a worker serves one helper).
 * @throws ArgumentError (argument `init`) when it is not a helper's init message.
 */
export function serveWasmKernels(init: HelperInit): void {
  if (
    init?.type !== 'varia-wasm-kernels-helper' ||
    !(init.memory instanceof WebAssembly.Memory) ||
    !(init.module instanceof WebAssembly.Module) ||
    !Number.isInteger(init.control)
  ) {
    throw new ArgumentError('init', 'serveWasmKernels: not a @varia/wasm-kernels helper init message');
  }
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const gemm = (instance.exports as unknown as GemmModule).gemm;
  const ctl = new Int32Array(init.memory.buffer, init.control, CONTROL_WORDS);
  let seen = Atomics.load(ctl, SEQ);
  // STOP before each wait: a helper detached before this worker started returns at once
  while (Atomics.load(ctl, STOP) === 0) {
    Atomics.wait(ctl, SEQ, seen);
    seen = Atomics.load(ctl, SEQ);
    if (Atomics.load(ctl, STOP) === 0) runBlocks(gemm, ctl, seen);
  }
}
