import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachWasmKernelsHelper, disableWasmKernels } from './enable.js';
import { WasmKernelsUnavailableError } from './errors.js';
import { attachHelper, gemm, sharedProducts } from './helper.js';
import { CONTROL_WORDS, type GemmModule } from './helper-worker.js';
import { KERNELS_WASM_SHARED } from './kernels-wasm.js';
import type { ZeroSkipModule } from './zero-skip.js';

/** A worker that serves the helper's loop from the built file (as an application's worker script would). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
parentPort.once('message', async (init) => {
  const { serveWasmKernels } = await import(workerData.url);
  serveWasmKernels(init);
});
`;

const bytes = Uint8Array.from(atob(KERNELS_WASM_SHARED), (c) => c.charCodeAt(0));
const compiled = new WebAssembly.Module(bytes);
const memory = new WebAssembly.Memory({ initial: 256, maximum: 4096, shared: true });
const module = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as GemmModule &
  ZeroSkipModule;
const CONTROL = 64;
// the operands' and outputs' regions, far apart (byte offsets)
const A = 4096;
const B = 4 * 2 ** 20;
const BIAS = 8 * 2 ** 20;
const C1 = 9 * 2 ** 20;
const C2 = 12 * 2 ** 20;
const LISTS = 15 * 2 ** 20;

let worker: Worker;
let detach: () => void;

beforeAll(() => {
  worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { url: new URL('../dist/helper-worker.js', import.meta.url).href },
  });
  detach = attachHelper(module, compiled, memory, CONTROL, worker);
});

afterAll(async () => {
  detach();
  await worker.terminate();
});

interface Product {
  m: number;
  n: number;
  k: number;
  blocked: boolean;
  act: number;
  bias: boolean;
  transposedA: boolean;
  seed: number;
}

/** Fills A, B and the bias from the seed (values with ±0, NaN and ±∞ among them) and poisons both outputs. */
function fill(p: Product): void {
  const f = new Float32Array(memory.buffer);
  let s = p.seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    return u < 0.02 ? [0, -0, Number.NaN, Number.POSITIVE_INFINITY][s & 3]! : (u - 0.5) * 8;
  };
  for (let i = 0; i < p.m * p.k; i++) f[A / 4 + i] = next();
  for (let i = 0; i < p.k * p.n; i++) f[B / 4 + i] = next();
  for (let i = 0; i < p.n; i++) f[BIAS / 4 + i] = next();
  f.fill(Number.NaN, C1 / 4, C1 / 4 + p.m * p.n);
  f.fill(1234, C2 / 4, C2 / 4 + p.m * p.n);
}

/** C on the calling thread alone (C1) and through `gemm`, shared with the helper when large enough (C2). */
function both(p: Product): [Uint32Array, Uint32Array] {
  fill(p);
  const [ais, aks] = p.transposedA ? [1, p.m] : [p.k, 1];
  const bias = p.bias && !p.blocked ? BIAS : 0;
  const act = p.blocked ? 0 : p.act;
  module.gemm(C1, A, ais, aks, B, p.n, bias, p.m, p.n, p.k, p.blocked ? 1 : 0, act, 0, p.n);
  gemm(module, C2, A, ais, aks, B, p.n, bias, p.m, p.n, p.k, p.blocked ? 1 : 0, act, 0);
  const u = new Uint32Array(memory.buffer);
  return [u.slice(C1 / 4, C1 / 4 + p.m * p.n), u.slice(C2 / 4, C2 / 4 + p.m * p.n)];
}

const isNaNBits = (b: number) => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;

describe('a helper worker sharing the module’s products', () => {
  it('gives the bits of the calling thread alone, and the helper computes blocks of the large products', () => {
    const before = sharedProducts();
    let large = 0;
    const sizes = (m: number, n: number, k: number) => ({
      m: fc.integer({ min: 1, max: m }),
      n: fc.integer({ min: 1, max: n }),
      k: fc.integer({ min: 1, max: k }),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record(sizes(160, 300, 400)),
          fc.record(sizes(160, 300, 400)).filter((s) => s.m * s.n * s.k >= 2 ** 21),
        ),
        fc.record({
          blocked: fc.boolean(),
          act: fc.constantFrom(0, 1, 2),
          bias: fc.boolean(),
          transposedA: fc.boolean(),
          seed: fc.integer(),
        }),
        (size, rest) => {
          const p: Product = { ...size, ...rest };
          // what gemm splits: 2^21 multiply-adds, wider than one strip
          if (p.m * p.n * p.k >= 2 ** 21 && p.n > (p.blocked ? 16 : 8)) large++;
          const [alone, shared] = both(p);
          for (let i = 0; i < alone.length; i++) {
            // a NaN's payload is the engine's (WebAssembly leaves it open); every other element bit for bit
            if (isNaNBits(alone[i]!)) expect(isNaNBits(shared[i]!), `element ${i}`).toBe(true);
            else expect(shared[i], `element ${i} of ${JSON.stringify(p)}`).toBe(alone[i]);
          }
        },
      ),
      { numRuns: 50, seed: 17 },
    );
    expect(large).toBeGreaterThan(10);
    // products of which the helper itself computed a block (it wakes in tens of microseconds; a product takes ms)
    expect(sharedProducts() - before).toBeGreaterThan(0);
  });

  it('passes the row groups’ k-lists to the helper’s blocks: the bits of every k on one thread', () => {
    const before = sharedProducts();
    // rounds until the helper has computed blocks (it wakes in tens of microseconds; each product takes ms)
    for (let round = 0; round < 8 && (round < 2 || sharedProducts() === before); round++) {
      const [m, n, k, transposedA] = round % 2 ? ([784, 400, 128, true] as const) : ([128, 400, 784, false] as const);
      fill({ m, n, k, blocked: false, act: 1, bias: true, transposedA, seed: m + k + round });
      // A mostly zeros: 4 elements in 5 set to ±0 (B and the bias finite, no −0: skipping is exact)
      const f = new Float32Array(memory.buffer);
      for (let i = 0; i < m * k; i++) if (i % 5 !== 0) f[A / 4 + i] = i % 2 ? 0 : -0;
      for (let i = 0; i < k * n; i++) if (!Number.isFinite(f[B / 4 + i]!)) f[B / 4 + i] = 1;
      for (let i = 0; i < n; i++) if (f[BIAS / 4 + i] === 0) f[BIAS / 4 + i] = 0.5;
      const [ais, aks] = transposedA ? [1, m] : [k, 1];
      module.gemm(C1, A, ais, aks, B, n, BIAS, m, n, k, 0, 1, 0, n);
      expect(module.skippable(B, n, k, n, BIAS)).toBe(1);
      expect(module.unions(LISTS, A, ais, aks, m, k, Math.ceil(m / 4) * k)).toBeLessThan(Math.ceil(m / 4) * k);
      gemm(module, C2, A, ais, aks, B, n, BIAS, m, n, k, 0, 1, LISTS);
      const u = new Uint32Array(memory.buffer);
      expect(u.slice(C2 / 4, C2 / 4 + m * n)).toEqual(u.slice(C1 / 4, C1 / 4 + m * n));
    }
    expect(sharedProducts() - before).toBeGreaterThan(0);
  });

  it('visits only the listed k (a list that leaves out a non-zero changes the result)', () => {
    const [m, n, k] = [8, 16, 64];
    fill({ m, n, k, blocked: false, act: 0, bias: true, transposedA: false, seed: 9 });
    const f = new Float32Array(memory.buffer);
    f.fill(1, A / 4, A / 4 + m * k);
    f.fill(0.5, B / 4, B / 4 + k * n);
    f.fill(0.25, BIAS / 4, BIAS / 4 + n);
    const l = new Int32Array(memory.buffer, LISTS, 2 * (k + 1));
    // group 0: only k = 3 (its rows hold non-zeros at every k); group 1: every k
    l.set([1, 3], 0);
    for (let q = 0; q <= k; q++) l[k + 1 + q] = q === 0 ? k : q - 1;
    module.gemm(C1, A, k, 1, B, n, BIAS, m, n, k, 0, 0, LISTS, n);
    const c = f.subarray(C1 / 4, C1 / 4 + m * n);
    expect(
      [...c.subarray(0, 4 * n)].every((v) => v === 0.25 + 0.5),
      'rows of group 0: the bias and one product',
    ).toBe(true);
    expect(
      [...c.subarray(4 * n)].every((v) => v === 0.25 + 0.5 * k),
      'rows of group 1: every k',
    ).toBe(true);
  });

  it('computes the MNIST VAE’s products with the helper (784 × 400 weights from 128 rows)', () => {
    const before = sharedProducts();
    for (let round = 0; round < 3; round++) {
      for (const [m, n, k, transposedA] of [
        [128, 400, 784, false],
        [128, 784, 400, false],
        [400, 784, 128, true],
      ] as const) {
        const [alone, shared] = both({ m, n, k, blocked: false, act: 1, bias: true, transposedA, seed: m + n + k });
        expect(shared).toEqual(alone);
      }
    }
    expect(sharedProducts() - before).toBeGreaterThan(0);
  });

  it('waits for the helper’s blocks before it reports a block that failed, and then works again', () => {
    // C reaching past the memory's end: the blocks' last rows trap (in both threads), and the product throws once
    // every claimed block is done; the next product is whole
    const end = memory.buffer.byteLength;
    const p: Product = { m: 128, n: 400, k: 784, blocked: false, act: 0, bias: false, transposedA: false, seed: 5 };
    fill(p);
    expect(() => gemm(module, end - 4 * 400 * 64, A, 784, 1, B, 400, 0, 128, 400, 784, 0, 0, 0)).toThrow();
    const [alone, shared] = both(p);
    expect(shared).toEqual(alone);
  });

  it('finishes a product alone when no helper ever starts (its blocks are all the caller’s)', () => {
    const lonely = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as GemmModule;
    const stop = attachHelper(lonely, compiled, memory, CONTROL + 4 * CONTROL_WORDS + 64, { postMessage() {} });
    try {
      const p: Product = { m: 128, n: 400, k: 784, blocked: false, act: 0, bias: false, transposedA: false, seed: 3 };
      fill(p);
      module.gemm(C1, A, 784, 1, B, 400, 0, 128, 400, 784, 0, 0, 0, 400);
      const before = sharedProducts();
      gemm(lonely, C2, A, 784, 1, B, 400, 0, 128, 400, 784, 0, 0, 0);
      expect(sharedProducts() - before, 'products a helper computed blocks of').toBe(0);
      const u = new Uint32Array(memory.buffer);
      expect(u.slice(C2 / 4, C2 / 4 + 128 * 400)).toEqual(u.slice(C1 / 4, C1 / 4 + 128 * 400));
    } finally {
      stop();
    }
  });

  it('ends the worker’s loop when detached', async () => {
    const other = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { url: new URL('../dist/helper-worker.js', import.meta.url).href },
    });
    const done = new Promise<number>((resolve) => other.once('exit', resolve));
    const extra = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as GemmModule;
    const stop = attachHelper(extra, compiled, memory, CONTROL + 8 * CONTROL_WORDS + 128, other);
    // the loop returns, the worker has nothing left to do and exits by itself
    stop();
    expect(await done).toBe(0);
  });

  it('is refused without the module on a shared memory, with the reason', () => {
    disableWasmKernels();
    expect(() => attachWasmKernelsHelper({ postMessage() {} })).toThrow(WasmKernelsUnavailableError);
    expect(() => attachWasmKernelsHelper({ postMessage() {} })).toThrow(/enableWasmKernels\(\) has not run/);
    expect(() => attachWasmKernelsHelper(undefined as never)).toThrow(/needs a worker/);
  });
});
