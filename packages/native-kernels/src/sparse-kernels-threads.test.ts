// The zero-skipping entry points called at the same time from two JS threads (worker_threads load the addon too):
// each thread's scratch memory is its own. With one process-wide grow-only scratch, one thread freed the buffer the
// other was filling while it grew it, and the process died (SIGSEGV) within a second. A child process runs the
// workers, so a crash is seen as its signal.
import { describe, it } from 'vitest';
import { ADDON_PATH } from './addon.js';
import { type ChildEnd, expectWorkersExact, runWorkerChild, skipNative } from './test-support.js';

/**
 * The child: two workers, each calling sparseInputDense, its backward and sparseDense for `ms` milliseconds on
 * random shapes (0/1 inputs and all-one weights, so every output is a count, exact in float32), checking every
 * result; prints one line `calls wrong` per worker. The workers run the same source (`WORKER_SOURCE`).
 */
const CHILD = `
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
if (isMainThread) {
  const [addonPath, ms] = process.argv.slice(1);
  for (const seed of [1, 2]) {
    new Worker(WORKER_SOURCE, { eval: true, workerData: { addonPath, ms: Number(ms), seed } })
      .on('message', (m) => process.stdout.write(m.calls + ' ' + m.wrong + '\\n'));
  }
} else {
  const addon = require(workerData.addonPath);
  let s = workerData.seed;
  const rnd = (m) => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return Math.floor((s / 2 ** 32) * m); };
  let calls = 0, wrong = 0;
  const until = Date.now() + workerData.ms;
  while (Date.now() < until) {
    const n = 1 + rnd(300), k = 1 + rnd(2000), u = 1 + rnd(100);
    // x [n, k] at 0, W [k, u], y [n, u], dy [n, u], dW [k, u], db [u]; CSR of x: indptr, indices, values
    const at = [0, n * k, n * k + k * u, n * k + k * u + n * u, n * k + k * u + 2 * n * u, n * k + 2 * k * u + 2 * n * u];
    const end = at[5] + u;
    const heap = new ArrayBuffer(4 * (end + (n + 1) + 2 * n * k));
    const f = new Float32Array(heap), i32 = new Int32Array(heap);
    const rows = new Float64Array(n), cols = new Float64Array(k);
    const p = end, ix = p + n + 1;
    let nnz = 0;
    for (let i = 0; i < n; i++) {
      i32[p + i] = nnz;
      for (let c = 0; c < k; c++)
        if (rnd(5) === 0) { f[i * k + c] = 1; rows[i]++; cols[c]++; i32[ix + nnz++] = c; }
    }
    i32[p + n] = nnz;
    for (let e = 0; e < nnz; e++) f[ix + nnz + e] = 1;
    f.fill(1, at[1], at[2]);
    f.fill(1, at[3], at[4]);
    addon.sparseInputDense(heap, n, k, u, 0, 4 * at[1], -1, 4 * at[2], 0, 0);
    for (let i = 0; i < n; i++) if (f[at[2] + i * u] !== rows[i] || f[at[2] + i * u + u - 1] !== rows[i]) wrong++;
    addon.sparseInputDenseBackward(heap, n, k, u, 4 * at[3], 4 * at[2], 0, 4 * at[4], 4 * at[5], 0);
    for (let c = 0; c < k; c++) if (f[at[4] + c * u] !== cols[c] || f[at[4] + c * u + u - 1] !== cols[c]) wrong++;
    if (f[at[5]] !== n) wrong++;
    addon.sparseDense(heap, n, k, u, nnz, 4 * p, 4 * ix, 4 * (ix + nnz), 4 * at[1], -1, 4 * at[2], 0, 0);
    for (let i = 0; i < n; i++) if (f[at[2] + i * u] !== rows[i] || f[at[2] + i * u + u - 1] !== rows[i]) wrong++;
    calls++;
  }
  parentPort.postMessage({ calls, wrong });
}
`;

function runWorkers(ms: number): Promise<ChildEnd> {
  // the workers evaluate the same source (WORKER_SOURCE: defined for the main thread only)
  return runWorkerChild(CHILD, [ADDON_PATH, String(ms)]);
}

describe.skipIf(skipNative)('zero-skipping entry points on two JS threads at once', () => {
  it('workers calling them concurrently get exact results and the process survives', async () => {
    const end = await runWorkers(1500);
    expectWorkersExact(end);
  }, 30_000);
});
