/**
 * A second thread for the module's products on tfjs-backend-wasm's threaded build (a shared memory), when the backend
 * runs one thread of its own (then the module computes the products; with more, XNNPACK shares them and keeps them).
 * A helper worker instantiates the same module on the same memory and takes blocks of a product's columns from a
 * counter both threads claim from, as native-kernels' helper threads do: each block is whole strips of columns, and a
 * column's elements are the same chains whichever thread computes them, so the results have the same bits as on one
 * thread. The calling thread claims blocks too and then waits (`Atomics.wait`) only for blocks the helper has
 * claimed: a helper that never starts (a busy machine, a worker that failed to load) costs nothing but its wake-up.
 *
 * This file imports nothing: the helper worker loads it alone (`@varia/wasm-kernels/helper`). The calling thread's
 * side is helper.ts.
 */

/** The module's product, as wasm/matmul.c exports it (byte offsets into the memory; C's rows `ldc` floats apart). */
export type GemmFunction = (
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
  ldc: number,
) => void;

/** The module's exports that the helper uses. */
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

// The control block's words. SEQ: the job's number (the helper waits on it); CLAIM: the job's number (15 bits) << 16
// | the next block to claim, so that a claim made for an earlier job fails; DONE: blocks finished; COUNT: blocks;
// WIDTH: columns per block; STOP: 1 ends the helper; ARGS…: the product's arguments.
export const SEQ = 0;
export const CLAIM = 1;
export const DONE = 2;
export const COUNT = 3;
export const WIDTH = 4;
export const STOP = 5;
export const ARGS = 6;
const ARG_COUNT = 12;
/** 32-bit words of the control block. */
export const CONTROL_WORDS = ARGS + ARG_COUNT;

/**
 * Runs blocks of the current job (tagged `seq`) until none is left for this thread to claim. A claim is a
 * compare-exchange on CLAIM, which the caller closes (its block count to 0xffff) before it writes the next job: a
 * claim that succeeds was made before that, so the count read before it and the arguments read after it are the job's
 * (the caller writes the next job only once every claimed block is done).
 */
export function runBlocks(gemm: GemmFunction, ctl: Int32Array, seq: number): void {
  const tag = (seq & 0x7fff) << 16;
  for (;;) {
    const claim = Atomics.load(ctl, CLAIM);
    const count = Atomics.load(ctl, COUNT);
    if ((claim & ~0xffff) !== tag || (claim & 0xffff) >= count) return;
    if (Atomics.compareExchange(ctl, CLAIM, claim, claim + 1) !== claim) continue;
    const q = claim & 0xffff;
    const [out, a, ais, aks, b, ldb, bias, m, n, k, blocked, act] = ctl.subarray(ARGS, ARGS + ARG_COUNT);
    const width = Atomics.load(ctl, WIDTH);
    const j0 = q * width;
    const cols = q === count - 1 ? n! - j0 : width;
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
      n!,
    );
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
}

/**
 * The helper worker's loop (it does not return until the caller detaches it): instantiates the module on the shared
 * memory and runs the blocks of each product posted. Call it with the first message the worker receives.
 * @throws TypeError when `init` is not a helper's init message.
 */
export function serveWasmKernels(init: HelperInit): void {
  if (init?.type !== 'varia-wasm-kernels-helper' || !(init.memory instanceof WebAssembly.Memory)) {
    throw new TypeError('serveWasmKernels: not a @varia/wasm-kernels helper init message');
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
