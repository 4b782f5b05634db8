// A deferred denseBackwardAdam job belongs to the JS thread that posted it: it holds the process's thread pool until
// that thread joins it. Another JS thread (a worker) meanwhile runs its own calls alone and must never join, wait
// for or disturb the job. A child process runs the threads (the addon's pool is the process's).
import { describe, expect, it } from 'vitest';
import { ADDON_PATH, loadAddon } from './addon.js';
import { loadBlas } from './blas-library.js';
import { runWorkerChild, skipNative } from './test-support.js';

/**
 * The child: the main thread posts MNIST's output layer (128 × 400 → 784, linear, with dx) deferred and, while it is
 * pending, a worker makes 40 calls of its own (deferring asked for, and not) on other layers, each checked against
 * the same call made earlier; then the main thread checks that its job is still pending, joins it and compares its
 * heap with the call made without deferring. Prints `worker <calls> <wrong> <pendingInWorker>` and
 * `main <pendingBeforeJoin> <same>`.
 */
const CHILD = `
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
function layer(B, I, U, seed, defer) {
  let s = seed >>> 0;
  const r = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  const sizes = [B * U, B * U, B * I, I * U, U, I * U, I * U, U, U, B * I];
  const offs = []; let at = 0;
  for (const n of sizes) { offs.push(at * 4); at += n + 16; }
  // a wasm memory, as tfjs-wasm's: its address space is reserved ahead (a plain ArrayBuffer's is not: nothing defers)
  const heap = new WebAssembly.Memory({ initial: Math.ceil((at * 4) / 65536) }).buffer, f = new Float32Array(heap);
  for (let i = 0; i < f.length; i++) f[i] = r() * 2 - 1;
  for (const k of [6, 8]) for (let i = 0; i < sizes[k]; i++) f[offs[k] / 4 + i] = Math.abs(f[offs[k] / 4 + i]) * 1e-3;
  const numbers = Float64Array.from([B, I, U, ...offs, 0, 1e-3, 0.9, 0.999, 1e-7, 0.9, 0.999, -1, defer ? 1 : 0]);
  return { heap, numbers };
}
function call(addon, B, I, U, seed, defer) {
  const { heap, numbers } = layer(B, I, U, seed, defer);
  addon.denseBackwardAdam(heap, numbers);
  return { heap, pending: addon.deferredPending() };
}
const same = (a, b) => { const x = new Uint32Array(a), y = new Uint32Array(b); return x.length === y.length && x.every((v, i) => v === y[i]); };
const [addonPath, blasPath] = isMainThread ? process.argv.slice(1) : [workerData.addonPath, workerData.blasPath];
const addon = require(addonPath);
addon.load(blasPath);
addon.setThreads(1);
if (isMainThread) {
  addon.setParallel(2);
  const want = call(addon, 128, 400, 784, 1, false).heap;
  let job;
  // (after a job no helper had started on by its join, the next 16 calls run at once)
  for (let k = 0; k < 20 && !(job && job.pending); k++) { job = call(addon, 128, 400, 784, 1, true); if (!job.pending) addon.joinDeferred(); }
  new Worker(__filename === '[eval]' ? WORKER_SOURCE : __filename, { eval: true, workerData: { addonPath, blasPath } }).on('message', (m) => {
    process.stdout.write('worker ' + m.calls + ' ' + m.wrong + ' ' + m.pending + '\\n');
    const pending = addon.deferredPending();
    addon.joinDeferred();
    process.stdout.write('main ' + pending + ' ' + same(job.heap, want) + '\\n');
  });
} else {
  const shapes = [[64, 256, 300, 2], [32, 300, 256, 3], [16, 40, 30, 4]];
  const wants = shapes.map(([B, I, U, seed]) => call(addon, B, I, U, seed, false).heap);
  let calls = 0, wrong = 0, pending = 0;
  for (let k = 0; k < 40; k++) {
    const i = k % shapes.length, [B, I, U, seed] = shapes[i];
    const got = call(addon, B, I, U, seed, k % 2 === 0);
    if (got.pending) pending++;
    addon.joinDeferred();
    if (!same(got.heap, wants[i])) wrong++;
    calls++;
  }
  parentPort.postMessage({ calls, wrong, pending });
}
`;

describe.skipIf(skipNative)('a deferred job and a worker thread', () => {
  it("the worker runs its calls alone, exact, and never joins the main thread's job", async () => {
    const end = await runWorkerChild(CHILD, [ADDON_PATH, loadBlas(loadAddon(), 'auto').path]);
    expect(end.signal, end.output).toBeNull();
    expect(end.code, end.output).toBe(0);
    // the worker: 40 calls, none wrong, none left pending (the pool was the main thread's)
    expect(end.output).toContain('worker 40 0 0\n');
    // the main thread's job was still pending after the worker's calls, and gives the bits of the call alone
    expect(end.output).toContain('main true true\n');
  });
});
