// Signals arriving while the BLAS multiplies must not corrupt the process: oneDNN 2.6's JIT sgemm keeps data below
// the stack pointer, so a signal handler running mid-product (a profiler's SIGPROF, a process.on('SIGUSR2'), SIGCHLD
// from a child, SIGWINCH) overwrote it and glibc aborted on a corrupted heap. A child process multiplies in a loop
// while this process sends it signals as fast as it can; before the fix it died within a second (SIGABRT/SIGSEGV).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADDON_PATH, loadAddon } from './addon.js';
import { loadBlas } from './blas-library.js';
import { type ChildEnd, runNodeChild, skipNative } from './test-support.js';

/** The child: loads the addon and a BLAS (on `threads` BLAS threads), then multiplies 256×784 · 784×400 for `ms` ms. */
const CHILD = `
const [addonPath, blasPath, parallel, ms, threads] = process.argv.slice(1);
const addon = require(addonPath);
addon.load(blasPath);
addon.setParallel(Number(parallel));
addon.setThreads(Number(threads));
let received = 0;
process.on('SIGUSR2', () => { received++; });
const m = 256, n = 400, k = 784;
const heap = new ArrayBuffer(4 * (m * k + k * n + m * n));
new Float32Array(heap).fill(0.5);
process.stdout.write('ready\\n');
// the products start once the parent's stream has begun (a first handler has run): on a loaded machine the parent may
// start sending late, and a loop that ended before would have received nothing
const multiply = () => {
  const until = Date.now() + Number(ms);
  let products = 0;
  while (Date.now() < until) {
    addon.gemm(heap, false, false, m, n, k, 1, 0, 0, 4 * m * k, 0, 4 * (m * k + k * n), -1, 0, 0, 0);
    products++;
  }
  // a last handler may still be queued; 'done' tells the parent to stop, then the child lingers before it exits
  setTimeout(() => {
    process.stdout.write('done ' + products + ' ' + received + '\\n');
    setTimeout(() => {}, 300);
  }, 20);
};
const waitForSignals = () => (received > 0 ? multiply() : setTimeout(waitForSignals, 1));
waitForSignals();
`;

/** Runs the child, sending it SIGUSR2 in bursts from 'ready' until it says 'done' or exits. */
async function multiplyUnderSignals(
  blasPath: string,
  parallel: number,
  ms: number,
  threads = 1,
): Promise<ChildEnd & { sent: number }> {
  let sent = 0;
  let exited = false;
  let bursting = false;
  const burst = (pid: number, output: () => string) => {
    if (exited || output().includes('done')) return;
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(pid, 'SIGUSR2');
        sent++;
      } catch {
        return;
      }
    }
    setImmediate(() => burst(pid, output));
  };
  let latest = '';
  const end = await runNodeChild(
    CHILD,
    [ADDON_PATH, blasPath, String(parallel), String(ms), String(threads)],
    (output, child) => {
      latest = output;
      if (!bursting && output.includes('ready')) {
        bursting = true;
        burst(child.pid!, () => latest);
      }
    },
  );
  exited = true;
  return { ...end, sent };
}

describe.skipIf(skipNative)('signals during a native product', () => {
  const blas = loadBlas(loadAddon(), 'auto');

  // [parallel, BLAS threads]: helper threads (started with every signal blocked), and oneDNN's own OpenMP threads
  // (created inside a product, so they inherit its blocked mask)
  it.each([
    [1, 1],
    [2, 1],
    [1, 2],
  ])(
    'a process multiplying with parallel %i and %i BLAS thread(s) survives a stream of signal handlers running',
    async (parallel, threads) => {
      const end = await multiplyUnderSignals(blas.path, parallel, 1500, threads);
      expect(end.signal, end.output).toBeNull();
      expect(end.code, end.output).toBe(0);
      const [, products, received] = /done (\d+) (\d+)/.exec(end.output) ?? [];
      expect(Number(products)).toBeGreaterThan(0);
      expect(Number(received)).toBeGreaterThan(0);
      expect(end.sent).toBeGreaterThan(100);
    },
    30_000,
  );

  // Inside an export's call the first product blocks the signals and they stay blocked until the call returns
  // (signal_guard.h): the thread's mask must be back as it was after every call, or signals would stay pending for good.
  it.skipIf(!existsSync('/proc/self/status'))("leaves the calling thread's signal mask as it found it", () => {
    const addon = loadAddon();
    const blocked = (): string => /^SigBlk:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
    const before = blocked();
    const m = 64,
      n = 48,
      k = 32;
    const heap = new ArrayBuffer(4 * (m * k + k * n + m * n));
    new Float32Array(heap).fill(0.25);
    // op(B) = Bᵀ: the product goes to oneDNN's sgemm (the kernels that need no guard take op(B) = B only)
    for (let i = 0; i < 3; i++)
      addon.gemm(heap, false, true, m, n, k, 1, 0, 0, 4 * m * k, 0, 4 * (m * k + k * n), -1, 0, 0, 0);
    expect(blocked()).toBe(before);
    expect(new Float32Array(heap, 4 * (m * k + k * n), 1)[0]).toBeCloseTo(k * 0.0625, 5);
  });
});
