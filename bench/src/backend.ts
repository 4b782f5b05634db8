/**
 * Backend selection for the benchmarks, the playground's logic in small: `@tensorflow/tfjs-node-gpu` if its native
 * addon is present and loads, else `@tensorflow/tfjs-node`, else wasm, else cpu. The native addons are detected on the
 * file system before importing, so a missing one costs nothing and registers no half-loaded kernels.
 *
 * `wasm-threaded` (opt-in, experimental) starts tfjs-wasm's multithreaded build in Node; see `wasm-threads.ts`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { enableWasmThreadsInNode } from './wasm-threads.js';

/** A backend the bench can be asked for. */
export type BackendRequest = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'wasm-threaded' | 'cpu';
type Candidate = Exclude<BackendRequest, 'auto'>;

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'node-gpu', 'node', 'wasm', 'wasm-threaded', 'cpu'];

/** The outcome of {@link selectBackend}. */
export interface BackendSelection {
  /** `tf.getBackend()`: `tensorflow`, `wasm` or `cpu`. */
  backend: string;
  /** The candidate in use, e.g. `wasm-threaded`. */
  candidate: Candidate;
  /** Wasm threads in use (1 unless `wasm-threaded`). */
  threads?: number;
  /** Candidates skipped, with the reason. */
  skipped: { candidate: Candidate; reason: string }[];
}

const require = createRequire(import.meta.url);

function nativeAddonProblem(pkg: string): string | undefined {
  let root: string;
  try {
    root = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return `${pkg} is not installed`;
  }
  const lib = join(root, 'lib');
  const found = existsSync(lib) && readdirSync(lib).some((d) => d.startsWith('napi-v') && existsSync(join(lib, d, 'tfjs_binding.node')));
  return found
    ? undefined
    : `${pkg} is installed but its native addon is missing (its install script downloads libtensorflow, which is blocked here)`;
}

async function tryNative(candidate: 'node-gpu' | 'node'): Promise<string | undefined> {
  const pkg = candidate === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const problem = nativeAddonProblem(pkg);
  if (problem) return problem;
  try {
    await import(pkg);
    if (!(await tf.setBackend('tensorflow'))) return `${pkg} loaded but the "tensorflow" backend did not initialize`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return `${pkg} failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
}

async function tryWasm(threads: number | undefined): Promise<string | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (threads !== undefined) {
      enableWasmThreadsInNode();
      wasm.setThreadsCount(threads);
    }
    if (!(await tf.setBackend('wasm'))) return 'the wasm backend did not initialize';
    await tf.ready();
    return undefined;
  } catch (e) {
    return `the wasm backend failed: ${(e as Error).message?.split('\n')[0] ?? String(e)}`;
  }
}

/** Selects a backend; `auto` tries node-gpu → node → wasm → cpu, a specific request only that one (throws on failure). */
export async function selectBackend(request: BackendRequest = 'auto', wasmThreads?: number): Promise<BackendSelection> {
  const order: Candidate[] = request === 'auto' ? ['node-gpu', 'node', 'wasm', 'cpu'] : [request];
  const skipped: BackendSelection['skipped'] = [];
  for (const candidate of order) {
    const reason =
      candidate === 'node-gpu' || candidate === 'node'
        ? await tryNative(candidate)
        : candidate === 'wasm'
          ? await tryWasm(undefined)
          : candidate === 'wasm-threaded'
            ? await tryWasm(wasmThreads ?? (await import('node:os')).availableParallelism())
            : (await tf.setBackend('cpu'))
              ? undefined
              : 'the cpu backend did not initialize';
    if (reason === undefined) {
      const threads = candidate === 'wasm-threaded' ? wasmThreads ?? (await import('node:os')).availableParallelism() : candidate === 'wasm' ? 1 : undefined;
      return { backend: tf.getBackend(), candidate, threads, skipped };
    }
    skipped.push({ candidate, reason });
  }
  throw new Error(`no usable backend: ${skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ')}`);
}
