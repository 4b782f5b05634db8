// denseBackward and denseBackwardAdam keep δ (and dW's blocks) in scratch memory between their steps. Every JS thread
// — the main one and each worker_thread — may call the addon, so that memory must be the calling thread's: with one
// buffer for the process, two workers training at once wrote their δ into the same memory (and a call that grew it
// freed the buffer the other was using): 9–20 % of denseBackwardAdam's results came back wrong, silently. A child
// process runs the workers.
import { describe, it } from 'vitest';
import { ADDON_PATH, loadAddon } from './addon.js';
import { loadBlas } from './blas-library.js';
import { type ChildEnd, expectWorkersExact, runWorkerChild, skipNative } from './test-support.js';

/**
 * The child: the main thread computes each kernel's results alone on 12 random layers (ReLU, so δ goes through the
 * scratch), then two workers (two helper threads shared by the process) repeat them at once for `ms` milliseconds,
 * each printing one line `calls wrong` (a call is wrong when any byte of its heap differs from the result alone).
 */
const CHILD = `
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
function rng(seed) { let s = seed >>> 0; return () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; }; }
// the count of denseBackwardAdam's numbers: the first count the addon does not refuse as a wrong length
function adamCount(addon) {
  for (let n = 20; n < 24; n++) {
    try { addon.denseBackwardAdam(new ArrayBuffer(64), new Float64Array(n)); } catch (e) { if (/Float64Array/.test(e.message)) continue; }
    return n;
  }
  throw new Error('denseBackwardAdam takes no count of 20 to 23 numbers');
}
// one layer: batch B, in I, units U; heap regions dy, y, x, W, b, W's m, v, b's m, v, dx (v ≥ 0), 16 floats apart
function layer(seed, adamNumbers) {
  const r = rng(seed);
  const B = 16 + Math.floor(r() * 200), I = 16 + Math.floor(r() * 300), U = 16 + Math.floor(r() * 200);
  const sizes = [B * U, B * U, B * I, I * U, U, I * U, I * U, U, U, B * I];
  const offs = []; let at = 0;
  for (const s of sizes) { offs.push(at * 4); at += s + 16; }
  const heap = new ArrayBuffer(at * 4), f = new Float32Array(heap);
  for (let i = 0; i < f.length; i++) f[i] = r() * 2 - 1;
  for (const k of [6, 8]) for (let i = 0; i < sizes[k]; i++) f[offs[k] / 4 + i] = Math.abs(f[offs[k] / 4 + i]);
  const numbers = new Float64Array(adamNumbers).fill(-1);
  numbers.set([B, I, U, ...offs, 1, 1e-3, 0.9, 0.999, 1e-7, 0.9, 0.999]);
  return { heap, B, I, U, offs, numbers };
}
function run(addon, seed, adam, adamNumbers) {
  const { heap, B, I, U, offs, numbers } = layer(seed, adamNumbers);
  if (adam) addon.denseBackwardAdam(heap, numbers);
  else addon.denseBackward(heap, B, I, U, offs[0], offs[1], offs[2], offs[3], offs[9], offs[5], offs[7], 1);
  return new Uint32Array(heap);
}
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
if (isMainThread) {
  const [addonPath, blasPath, ms] = process.argv.slice(1);
  const addon = require(addonPath);
  addon.load(blasPath);
  const adamNumbers = adamCount(addon);
  const cases = [];
  for (let seed = 1; seed <= 12; seed++) cases.push({ seed, adam: seed % 2 === 0, want: run(addon, seed, seed % 2 === 0, adamNumbers) });
  for (const w of [0, 1])
    new Worker(WORKER_SOURCE, { eval: true, workerData: { addonPath, blasPath, ms: Number(ms), cases, w, adamNumbers } })
      .on('message', (m) => process.stdout.write(m.calls + ' ' + m.wrong + '\\n'));
} else {
  const { addonPath, blasPath, ms, cases, w, adamNumbers } = workerData;
  const addon = require(addonPath);
  addon.load(blasPath);
  addon.setParallel(2);
  let calls = 0, wrong = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const c = cases[(calls * 5 + w * 7) % cases.length];
    if (!same(run(addon, c.seed, c.adam, adamNumbers), c.want)) wrong++;
    calls++;
  }
  parentPort.postMessage({ calls, wrong });
}
`;

function runWorkers(blasPath: string, ms: number): Promise<ChildEnd> {
  return runWorkerChild(CHILD, [ADDON_PATH, blasPath, String(ms)]);
}

describe.skipIf(skipNative)('dense backward kernels from two JS threads at once', () => {
  it('each thread has its own scratch: workers get the results each call gives alone', async () => {
    const end = await runWorkers(loadBlas(loadAddon(), 'auto').path, 1500);
    expectWorkersExact(end);
  }, 30_000);
});
