// A worker thread that alone loads the addon and runs products must be able to end: Node unloads the addon before the
// thread's own end, so nothing of the addon may run then. gemm512.c's per-thread scratch (narrow.c's panel, taken by
// default for a tall product with a few columns such as a VAE's μ head) was freed by a pthread key destructor, which
// ran from the unloaded code as the worker ended: the process died with SIGSEGV. It is freed with the thread's other
// scratch at its environment's cleanup now (sparse_tiles.c).
// The helper threads of setParallel are the process's and outlive the worker: with the addon unloaded, a helper still
// returning from its last block ran unmapped code (SIGSEGV at exit, 1 run in ~60 of parallel-workers.test.ts under
// load). The addon now keeps itself mapped until the process ends (varia_native.c, stay_mapped).
import { describe, expect, it } from 'vitest';
import { ADDON_PATH, loadAddon } from './addon.js';
import { loadBlas } from './blas-library.js';
import { runWorkerChild, skipNative } from './test-support.js';

/** The main thread never loads the addon; its worker runs a narrow and a zero-skipping product, then ends. */
const CHILD = `
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
if (isMainThread) {
  const [addonPath, blasPath] = process.argv.slice(1);
  new Worker(WORKER_SOURCE, { eval: true, workerData: { addonPath, blasPath } })
    .on('message', (m) => process.stdout.write(m + '\\n'))
    .on('exit', (code) => setTimeout(() => process.stdout.write('ended ' + code + '\\n'), 200));
} else {
  const { addonPath, blasPath } = workerData;
  const addon = require(addonPath);
  addon.load(blasPath);
  addon.setThreads(1);
  const product = (m, n, k, density) => {
    const heap = new ArrayBuffer(4 * (m * k + k * n + m * n));
    const v = new Float32Array(heap);
    let s = 7;
    for (let i = 0; i < v.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      v[i] = i < m * k && (s >>> 8) / 2 ** 24 >= density ? 0 : s / 2 ** 32 - 0.5;
    }
    addon.gemm(heap, false, false, m, n, k, 1, 0, 0, 4 * m * k, 0, 4 * (m * k + k * n), -1, n, 0, 0);
  };
  const narrowed = addon.narrowed(), skipped = addon.zeroSkipped();
  product(1024, 10, 400, 1); // narrow.c: tall, 10 columns
  product(256, 400, 784, 0.19); // zero_skip.c: op(A) mostly zeros
  parentPort.postMessage('narrowed ' + (addon.narrowed() - narrowed) + ' skipped ' + (addon.zeroSkipped() - skipped));
}
`;

/** The worker starts a helper thread and shares a product with it, then ends; the main thread reads its own mappings. */
const HELPERS_CHILD = `
const { Worker, isMainThread, workerData } = require('node:worker_threads');
if (isMainThread) {
  const [addonPath, blasPath] = process.argv.slice(1);
  new Worker(WORKER_SOURCE, { eval: true, workerData: { addonPath, blasPath } }).on('exit', (code) =>
    setTimeout(() => {
      const maps = require('node:fs').readFileSync('/proc/self/maps', 'utf8');
      process.stdout.write('ended ' + code + ' mapped ' + maps.includes(require('node:path').basename(addonPath)) + '\\n');
    }, 200));
} else {
  const addon = require(workerData.addonPath);
  addon.load(workerData.blasPath);
  addon.setParallel(2);
  const m = 256, n = 400, k = 784;
  const heap = new ArrayBuffer(4 * (m * k + k * n + m * n));
  new Float32Array(heap).fill(1);
  addon.gemm(heap, false, false, m, n, k, 1, 0, 0, 4 * m * k, 0, 4 * (m * k + k * n), -1, 0, 0, 0);
}
`;

describe.skipIf(skipNative || process.platform !== 'linux')(
  'the addon outlives the worker that alone loaded it',
  () => {
    it('a worker with helper threads ends: the addon stays mapped for them and the process exits cleanly', async () => {
      const end = await runWorkerChild(HELPERS_CHILD, [ADDON_PATH, loadBlas(loadAddon(), 'auto').path]);
      expect(end.signal, end.output).toBeNull();
      expect(end.code, end.output).toBe(0);
      expect(end.output.trim(), end.output).toBe('ended 0 mapped true');
    }, 30_000);
  },
);

describe.skipIf(skipNative)('a worker that alone loaded the addon ends cleanly after its products', () => {
  it('narrow and zero-skipping products on the worker, then its end: the process lives on', async (context) => {
    const end = await runWorkerChild(CHILD, [ADDON_PATH, loadBlas(loadAddon(), 'auto').path]);
    expect(end.signal, end.output).toBeNull();
    expect(end.code, end.output).toBe(0);
    expect(end.output, end.output).toMatch(/ended 0/);
    const [, narrowed] = /narrowed (\d+)/.exec(end.output) ?? [];
    if (Number(narrowed) === 0) context.skip('narrow.c needs oneDNN 2.x on an AVX-512 (avx512_core) CPU');
  }, 30_000);
});
