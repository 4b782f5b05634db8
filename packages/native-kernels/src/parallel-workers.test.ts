// The helper threads (`parallel`) are the process's, while every JS thread — the main one and each worker_thread —
// can post products to them. Two workers multiplying at once with parallel: 2 overwrote each other's job: about half
// of their products came back wrong, silently. Now one job runs at a time and a thread that finds the pool taken
// multiplies alone (the same bits); setParallel waits for the job in flight. A child process runs the workers.
import { describe, it } from 'vitest';
import { ADDON_PATH, loadAddon } from './addon.js';
import { loadBlas } from './blas-library.js';
import { type ChildEnd, expectWorkersExact, runWorkerChild, skipNative } from './test-support.js';

/**
 * The child: two workers, each with parallel: 2 (the second switching between 1 and 2 threads as it goes), multiply
 * all-one matrices of random shapes for `ms` milliseconds — every entry of the product is k, exact in float32 — and
 * print one line `products wrong` each.
 */
const CHILD = `
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
if (isMainThread) {
  const [addonPath, blasPath, ms] = process.argv.slice(1);
  for (const seed of [1, 2]) {
    new Worker(WORKER_SOURCE, { eval: true, workerData: { addonPath, blasPath, ms: Number(ms), seed } })
      .on('message', (m) => process.stdout.write(m.products + ' ' + m.wrong + '\\n'));
  }
} else {
  const addon = require(workerData.addonPath);
  addon.load(workerData.blasPath);
  addon.setParallel(2);
  let s = workerData.seed;
  const rnd = (m) => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return Math.floor((s / 2 ** 32) * m); };
  let products = 0, wrong = 0;
  const until = Date.now() + workerData.ms;
  while (Date.now() < until) {
    if (workerData.seed === 2 && products % 25 === 24) addon.setParallel(1 + (products % 2));
    const m = 32 + rnd(400), n = 32 + rnd(400), k = 64 + rnd(800);
    const heap = new ArrayBuffer(4 * (m * k + k * n + m * n));
    const f = new Float32Array(heap);
    f.fill(1, 0, m * k + k * n);
    f.fill(-1, m * k + k * n);
    addon.gemm(heap, false, false, m, n, k, 1, 0, 0, 4 * m * k, 0, 4 * (m * k + k * n), -1, 0, 0, 0);
    for (let i = m * k + k * n; i < f.length; i++) if (f[i] !== k) { wrong++; break; }
    products++;
  }
  parentPort.postMessage({ products, wrong });
}
`;

function runWorkers(blasPath: string, ms: number): Promise<ChildEnd> {
  return runWorkerChild(CHILD, [ADDON_PATH, blasPath, String(ms)]);
}

describe.skipIf(skipNative)('parallel products from two JS threads at once', () => {
  it('workers sharing the helper threads get exact products, also while one changes the thread count', async () => {
    const end = await runWorkers(loadBlas(loadAddon(), 'auto').path, 1500);
    expectWorkersExact(end);
  }, 30_000);
});
