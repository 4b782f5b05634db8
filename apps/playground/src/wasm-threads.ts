/**
 * Starts tfjs-backend-wasm 4.22's multithreaded (pthreads) build in Node — experimental.
 *
 * Why it does not start by itself:
 * 1. `WASM_HAS_MULTITHREAD_SUPPORT` returns `false` whenever `IS_NODE` (tfjs issue #3830), so the single-threaded
 *    build is chosen.
 * 2. Forcing the flag then fails with `ERR_WORKER_PATH`: the backend's `locateFile` turns the pthread worker script
 *    into a `blob:` URL (`URL.createObjectURL(new Blob([wasmWorkerContents]))`), which browsers accept but Node's
 *    `worker_threads.Worker` does not (it needs a file path or a `file:`/`data:` URL).
 * 3. Each worker would then `importScripts` the main script from a `Blob` (`mainScriptUrlOrBlob`), which the
 *    worker's Node shim (`fs.readFileSync`) cannot read either.
 *
 * The workaround (nothing in node_modules is modified): write the worker script to a temporary `.cjs` file, with its
 * `load` handler pointed at the package's own `wasm-out/tfjs-backend-wasm-threaded-simd.js`; make
 * `URL.createObjectURL` return that file's path for the worker blob; force the flag. Must run after importing
 * `@tensorflow/tfjs-backend-wasm` and before `tf.setBackend('wasm')`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

/** The exact text of the worker's `load` handler that imports the main script; checked so a tfjs update fails loudly. */
const LOAD_MAIN_SCRIPT =
  'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';

let workerFile: string | undefined;

/** Applies the workaround described above (idempotent). @throws Error when the tfjs-wasm sources differ. */
export function enableWasmThreadsInNode(): string {
  if (workerFile) return workerFile;
  const root = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const { wasmWorkerContents } = require(join(root, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  if (!wasmWorkerContents.includes(LOAD_MAIN_SCRIPT)) {
    throw new Error('tfjs-backend-wasm changed its pthread worker script; the Node threads workaround does not apply');
  }
  const mainScript = join(root, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const source = wasmWorkerContents
    .replace(LOAD_MAIN_SCRIPT, `importScripts(${JSON.stringify(mainScript)});`)
    // As tfjs does before making its Blob: the template literal's newlines sit inside string literals.
    .replace(/\n/g, '\\n');
  const file = join(mkdtempSync(join(tmpdir(), 'varia-wasm-threads-')), 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  writeFileSync(file, source);
  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob) =>
    obj instanceof Blob && obj.type === 'application/javascript' ? file : createObjectURL(obj);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  workerFile = file;
  return file;
}

/**
 * Runs `start` (the wasm backend's initialization) while `os.cpus()` lists `2 × threads` entries, so that tfjs-wasm
 * starts `threads` XNNPACK threads. Its C++ caps the pool at `emscripten_num_logical_cores() / 2` ("many x86-64
 * processors have 2 threads per core"), which in Node is `require('os').cpus().length / 2`: 1 thread on a 2-core
 * machine whatever `setThreadsCount` asks. The cap is read once, when the module starts; `os.cpus` is restored after.
 */
export async function withThreadCap<T>(threads: number, start: () => Promise<T>): Promise<T> {
  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]!);
  };
  try {
    return await start();
  } finally {
    os.cpus = cpus;
  }
}
