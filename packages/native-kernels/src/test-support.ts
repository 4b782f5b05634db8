// Shared by the tests (excluded from the build): whether the native path can run here, and plain-JS references.
import { type ChildProcess, spawn } from 'node:child_process';
import { expect } from 'vitest';
import { nativeKernelsProblem } from './enable.js';

/** Why the native kernels cannot run on this machine (undefined when they can). */
export const problem = nativeKernelsProblem();

/**
 * CI sets VARIA_REQUIRE_NATIVE_KERNELS=1 so a missing addon or BLAS fails the suite instead of skipping it; elsewhere
 * the native tests are skipped with the reason printed.
 */
export const required = process.env.VARIA_REQUIRE_NATIVE_KERNELS === '1';
if (problem && !required) console.warn(`native-kernels tests skipped: ${problem}`);
export const skipNative = problem !== undefined && !required;

/** A seeded uniform(−1, 1) array (mulberry32-style LCG; independent of tfjs's generators). */
export function randomArray(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** A seeded stream of uint32 words (xorshift32, independent of the tested code): random float32 bit patterns. */
export function randomWords(size: number, seed: number): Uint32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s;
  }
  return out;
}

/** op(A)·op(B) for row-major A, B of one matrix each, in float64. */
export function referenceMatMul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transposeA ? a[p * m + i]! : a[i * k + p]!;
        const bv = transposeB ? b[j * k + p]! : b[p * n + j]!;
        s += av * bv;
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

/** The largest |x − y| over two arrays of one length. */
export function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`length ${x.length} ≠ ${y.length}`);
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
}

/** How a child process ended, and what it printed (stdout and stderr together). */
export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs `node -e program …args` — the tests that need a process of their own (worker threads, signals, a crash to
 * observe) — and resolves when it exits. `onOutput` is called with everything printed so far after each chunk.
 */
export function runNodeChild(
  program: string,
  args: readonly string[],
  onOutput?: (output: string, child: ChildProcess) => void,
): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (d: Buffer) => {
      output += d.toString();
      onOutput?.(output, child);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, output }));
  });
}

/**
 * Runs `child` as a program whose main thread starts worker threads on the same source (given to it as
 * `WORKER_SOURCE`), with `args`; the program prints one line `calls wrong` per worker.
 */
export function runWorkerChild(child: string, args: readonly string[]): Promise<ChildEnd> {
  return runNodeChild(`const WORKER_SOURCE = ${JSON.stringify(child)};\n${child}`, args);
}

/** Expects a {@link runWorkerChild} run to exit cleanly with two workers that each made calls and got none wrong. */
export function expectWorkersExact(end: ChildEnd): void {
  expect(end.signal, end.output).toBeNull();
  expect(end.code, end.output).toBe(0);
  const lines = end.output.trim().split('\n');
  expect(lines, end.output).toHaveLength(2);
  for (const line of lines) {
    const [calls, wrong] = line.split(' ').map(Number);
    expect(calls).toBeGreaterThan(0);
    expect(wrong, end.output).toBe(0);
  }
}

/** The bit patterns of a float32 tensor's values. */
export function float32Bits(t: { dataSync(): unknown }): Uint32Array {
  return new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
}

/**
 * Fails at the first element whose bits differ, naming it — unless both are NaN (the payload of a NaN made from two
 * NaNs depends on the operand order of the hardware operation, which compilers choose).
 */
export function expectSameBits(got: Uint32Array, want: Uint32Array, what: string): void {
  expect(got.length).toBe(want.length);
  const g = new Float32Array(got.buffer),
    w = new Float32Array(want.buffer);
  for (let i = 0; i < got.length; i++)
    if (got[i] !== want[i] && !(Number.isNaN(g[i]) && Number.isNaN(w[i])))
      expect(`${what}[${i}] = ${g[i]} (0x${got[i]!.toString(16)})`).toBe(`${w[i]} (0x${want[i]!.toString(16)})`);
}

/**
 * A heap of xorshift noise holding float32 regions of the given sizes one after another, region i after a gap of
 * `gaps[i]` floats, and `tail` floats of noise after the last: for adversarial direct calls of the addon, which must
 * leave every byte outside their outputs as it was.
 */
export function noiseHeapLayout(sizes: number[], gaps: number[], seed: number, tail: number) {
  const offsets: number[] = [];
  let at = 0;
  sizes.forEach((size, i) => {
    at += gaps[i]!;
    offsets.push(at * 4);
    at += size;
  });
  const heap = new ArrayBuffer((at + tail) * 4);
  const noise = new Uint32Array(heap);
  let s = seed >>> 0 || 1;
  for (let k = 0; k < noise.length; k++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    noise[k] = s >>> 0;
  }
  return { heap, offsets, view: (i: number) => new Float32Array(heap, offsets[i]!, sizes[i]!) };
}
