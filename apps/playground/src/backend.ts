/**
 * Picks the TensorFlow.js backend for the playground (Node): `@tensorflow/tfjs-node-gpu` if it loads, else
 * `@tensorflow/tfjs-node`, else wasm with `@varia/native-kernels` (matMul on oneDNN/OpenBLAS, fused Adam), else plain
 * wasm (its matrix products by `@varia/wasm-kernels`: the same results), else cpu — and says honestly which one ran and
 * why the others were skipped.
 *
 * The native packages are optional dependencies whose install script downloads libtensorflow; where that is blocked
 * (no internet, or pnpm's build-script approval) the addon is absent, which is detected from the file system before
 * importing, so a failed attempt does not leave half-registered kernels behind.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { NativeKernelsInfo } from '@varia/native-kernels';
import { tryEnableWasmKernels, type WasmKernelsInfo, type WasmKernelsUnavailable } from '@varia/wasm-kernels';

/** `@tensorflow/tfjs`, loaded on first use: parsing flags (and failing on bad ones) should not wait for it. */
let tfjs: typeof import('@tensorflow/tfjs') | undefined;
async function loadTf(): Promise<typeof import('@tensorflow/tfjs')> {
  tfjs ??= await import('@tensorflow/tfjs');
  return tfjs;
}

/**
 * A backend the CLI can be asked for. `wasm-native` is the wasm backend with `@varia/native-kernels` (its matrix
 * products on a native BLAS, a fused native Adam step); it needs the package's addon and oneDNN or OpenBLAS on the
 * system. `wasm-threaded` (opt-in, experimental, never chosen by `auto`) starts tfjs-wasm's multithreaded build in
 * Node through the workaround in `wasm-threads.ts`.
 */
export type BackendRequest = 'auto' | 'node-gpu' | 'node' | 'wasm-native' | 'wasm' | 'wasm-threaded' | 'cpu';

/** The backend requests accepted by `--backend`. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = [
  'auto',
  'node-gpu',
  'node',
  'wasm-native',
  'wasm',
  'wasm-threaded',
  'cpu',
];

/** The order `auto` tries. */
export const AUTO_ORDER: readonly Exclude<BackendRequest, 'auto'>[] = [
  'node-gpu',
  'node',
  'wasm-native',
  'wasm',
  'cpu',
];

/** One candidate's outcome. */
export interface BackendAttempt {
  /** The candidate. */
  candidate: Exclude<BackendRequest, 'auto'>;
  /** Whether it is the one in use. */
  ok: boolean;
  /** Why it was skipped or failed (absent when ok). */
  reason?: string;
}

/** The result of {@link selectBackend}. */
export interface BackendSelection {
  /** `tf.getBackend()` after selection: `tensorflow`, `wasm` or `cpu`. */
  backend: string;
  /** The candidate that is in use. */
  candidate: Exclude<BackendRequest, 'auto'>;
  /** Every candidate tried, in order. */
  attempts: BackendAttempt[];
  /** The tfjs-core version. */
  tfjsVersion: string;
  /** Wasm threads in use (1 for `wasm` and `wasm-native`, more for `wasm-threaded`; absent for other backends). */
  threads?: number;
  /** For `wasm-native`: the native kernels installed (library, version, BLAS threads). */
  native?: NativeKernelsInfo;
  /**
   * For `wasm`: `@varia/wasm-kernels`' matrix products (the same results, faster), or why they are not in use (absent
   * for other backends).
   */
  wasmKernels?: WasmKernelsInfo | WasmKernelsUnavailable;
}

/** Options of {@link selectBackend}. */
export interface BackendOptions {
  /** Threads of `wasm-threaded` (default: the available cores). */
  wasmThreads?: number;
  /** BLAS threads of `wasm-native` (default 1). */
  nativeThreads?: number;
  /**
   * Threads of `wasm-native` that share large products in blocks (`parallel` of `enableNativeKernels`; default
   * `'auto'`: both cores where the machine has two or more).
   */
  nativeParallel?: number | 'auto';
}

const require = createRequire(import.meta.url);

/** Why a native tfjs package cannot load, or undefined when its addon is present. */
function nativeAddonProblem(pkg: string): string | undefined {
  let root: string;
  try {
    root = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return `${pkg} is not installed (it is an optional dependency)`;
  }
  const lib = join(root, 'lib');
  const found =
    existsSync(lib) &&
    readdirSync(lib).some((d) => d.startsWith('napi-v') && existsSync(join(lib, d, 'tfjs_binding.node')));
  if (!found) {
    return `${pkg} is installed but its native addon is missing (its install script, which downloads libtensorflow, did not run or failed; run "pnpm approve-builds" on a machine with internet access)`;
  }
  return undefined;
}

async function tryNative(candidate: 'node-gpu' | 'node'): Promise<string | undefined> {
  const pkg = candidate === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const problem = nativeAddonProblem(pkg);
  if (problem) return problem;
  const tf = await loadTf();
  try {
    await import(pkg);
    if (!(await tf.setBackend('tensorflow'))) return `${pkg} loaded but the "tensorflow" backend did not initialize`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return `${pkg} failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** XNNPACK threads of the wasm backend that started (tfjs's `getThreadsCount()`). */
let wasmThreadsInUse = 1;
/** Whether the threaded wasm build started (its pthread workers keep Node's event loop alive until stopped). */
let wasmThreadsStarted = false;

/**
 * Stops the threaded wasm build's pthread workers, which otherwise keep Node running after the work is done: removes
 * the wasm backend (its `dispose` terminates them). Call when finished with tfjs; a no-op unless `wasm-threaded` was
 * selected.
 */
export async function stopWasmThreads(): Promise<void> {
  if (!wasmThreadsStarted) return;
  const tf = await loadTf();
  tf.removeBackend('wasm');
  wasmThreadsStarted = false;
}

async function tryWasm(threads?: number): Promise<string | undefined> {
  const tf = await loadTf();
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    let started: boolean;
    if (threads !== undefined) {
      const { enableWasmThreadsInNode, withThreadCap } = await import('./wasm-threads.js');
      enableWasmThreadsInNode();
      wasm.setThreadsCount(threads);
      started = await withThreadCap(threads, () => tf.setBackend('wasm'));
      wasmThreadsStarted = started;
    } else started = await tf.setBackend('wasm');
    if (!started) return 'the wasm backend did not initialize';
    await tf.ready();
    wasmThreadsInUse = wasm.getThreadsCount();
    return undefined;
  } catch (e) {
    return `the wasm backend failed: ${(e as Error).message.split('\n')[0]}`;
  }
}

let nativeInfo: NativeKernelsInfo | undefined;
let wasmKernelsState: WasmKernelsInfo | WasmKernelsUnavailable | undefined;

/** `@varia/wasm-kernels` on the plain wasm backend: its kernels, or why not (the backend runs its own then). */
async function startWasmKernels(): Promise<void> {
  wasmKernelsState = await tryEnableWasmKernels();
}

async function tryWasmNative(threads: number, parallel: number | 'auto'): Promise<string | undefined> {
  let native: typeof import('@varia/native-kernels');
  try {
    native = await import('@varia/native-kernels');
  } catch (e) {
    return `@varia/native-kernels failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
  // Checked before touching tfjs, so a machine without the addon or a BLAS skips to plain wasm cleanly.
  const problem = native.nativeKernelsProblem();
  if (problem) return problem;
  const wasmProblem = await tryWasm();
  if (wasmProblem) return wasmProblem;
  try {
    nativeInfo = native.enableNativeKernels({ threads, parallel });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Plain wasm, with `@varia/wasm-kernels`' products where they can run (they do not decide whether wasm is usable). */
async function tryPlainWasm(): Promise<string | undefined> {
  const problem = await tryWasm();
  if (problem === undefined) await startWasmKernels();
  return problem;
}

async function tryCpu(): Promise<string | undefined> {
  const tf = await loadTf();
  return (await tf.setBackend('cpu')) ? undefined : 'the cpu backend did not initialize';
}

function tryCandidate(
  candidate: Exclude<BackendRequest, 'auto'>,
  options: Required<BackendOptions>,
): Promise<string | undefined> {
  switch (candidate) {
    case 'node-gpu':
    case 'node':
      return tryNative(candidate);
    case 'wasm-native':
      return tryWasmNative(options.nativeThreads, options.nativeParallel);
    case 'wasm':
      return tryPlainWasm();
    case 'wasm-threaded':
      return tryWasm(options.wasmThreads);
    case 'cpu':
      return tryCpu();
  }
}

/**
 * tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js…" on its first tensor in Node
 * (also when it is only a helper of another backend). The playground says which backend runs and why, so the banner
 * is noise: mark the cpu backend as already used.
 */
export function silenceCpuBanner(tf: typeof import('@tensorflow/tfjs')): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

/**
 * Selects a backend. `auto` tries node-gpu → node → wasm-native → wasm → cpu; a specific request tries only that one
 * and throws when it fails.
 */
export async function selectBackend(
  request: BackendRequest = 'auto',
  options: BackendOptions = {},
): Promise<BackendSelection> {
  const resolved: Required<BackendOptions> = {
    wasmThreads: options.wasmThreads ?? availableParallelism(),
    nativeThreads: options.nativeThreads ?? 1,
    nativeParallel: options.nativeParallel ?? 'auto',
  };
  const order: readonly Exclude<BackendRequest, 'auto'>[] = request === 'auto' ? AUTO_ORDER : [request];
  const attempts: BackendAttempt[] = [];
  for (const candidate of order) {
    const reason = await tryCandidate(candidate, resolved);
    if (reason === undefined) {
      attempts.push({ candidate, ok: true });
      const tf = await loadTf();
      silenceCpuBanner(tf);
      const threads =
        candidate === 'wasm-threaded' || candidate === 'wasm' || candidate === 'wasm-native'
          ? wasmThreadsInUse
          : undefined;
      const native = candidate === 'wasm-native' ? nativeInfo : undefined;
      const wasmKernels = candidate === 'wasm' ? wasmKernelsState : undefined;
      return {
        backend: tf.getBackend(),
        candidate,
        attempts,
        tfjsVersion: tf.version.tfjs,
        threads,
        ...(native ? { native } : {}),
        ...(wasmKernels ? { wasmKernels } : {}),
      };
    }
    attempts.push({ candidate, ok: false, reason });
  }
  throw new Error(`no usable backend: ${attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; ')}`);
}

/**
 * The selection for humans: one line (the backend in use); with `verbose`, also every candidate skipped and why.
 */
export function describeSelection(s: BackendSelection, verbose = false): string {
  const skipped = verbose ? s.attempts.filter((a) => !a.ok).map((a) => `  skipped ${a.candidate}: ${a.reason}`) : [];
  const threads = s.threads && s.threads > 1 ? `, ${s.threads} threads` : '';
  const native = s.native ? `: ${s.native.description.replace(/^wasm \+ /, '')} + fused Adam` : '';
  const kernels =
    s.wasmKernels && 'kernels' in s.wasmKernels ? `: ${s.wasmKernels.description.replace(/^wasm \+ /, '')}` : '';
  const unused =
    verbose && s.wasmKernels && 'unavailable' in s.wasmKernels
      ? [`  wasm kernels not in use: ${s.wasmKernels.unavailable}`]
      : [];
  return [
    `backend: ${s.backend} (${s.candidate}${native}${kernels}${threads}, tfjs ${s.tfjsVersion})`,
    ...skipped,
    ...unused,
  ].join('\n');
}
