// Adversarial direct calls of the zero-skipping entry points (sparseInputDense, sparseInputDenseBackward,
// sparseDense): regions packed at unaligned (4-byte) offsets in a heap filled with noise, shapes that cross the
// 128-row blocks and end in ragged 64-column tiles, the AVX-512 and the portable loops, 1–3 threads. Every byte
// outside the outputs must be the same afterwards (inputs included), and the outputs within the float64 bounds.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { ACTIVATIONS, referenceBackward, referenceForward, sparseArray } from './sparse-input-test-support.js';
import { noiseHeapLayout, randomArray, skipNative } from './test-support.js';

// VARIA_SPARSE_GUARD_RUNS=N runs N random cases per entry point (default 40).
const RUNS = Number(process.env.VARIA_SPARSE_GUARD_RUNS ?? 40);

/** {@link noiseHeapLayout} with 37 floats of noise after the last region. */
const layout = (sizes: number[], gaps: number[], seed: number) => noiseHeapLayout(sizes, gaps, seed, 37);

/** The first byte that differs from `before` outside the [offset, offset + bytes) regions, or -1. */
function firstStray(heap: ArrayBuffer, before: Uint8Array, outputs: [number, number][]): number {
  const now = new Uint8Array(heap);
  for (let k = 0; k < now.length; k++)
    if (now[k] !== before[k] && !outputs.some(([o, b]) => k >= o && k < o + b)) return k;
  return -1;
}

/** The first index where |got − want| exceeds bound + tiny (NaN must match NaN), or -1. */
function firstMiss(got: Float32Array, want: ArrayLike<number>, bound: ArrayLike<number>): number {
  for (let k = 0; k < got.length; k++) {
    const w = want[k]!;
    if (Number.isNaN(w) ? !Number.isNaN(got[k]!) : !(Math.abs(got[k]! - w) <= bound[k]! * 1.0001 + 1e-30)) return k;
  }
  return -1;
}

const CODES: Record<string, number> = { linear: 0, relu: 1, sigmoid: 5, tanh: 6 };

const shapes = fc.record({
  n: fc.integer({ min: 0, max: 300 }),
  inDim: fc.integer({ min: 0, max: 80 }),
  units: fc.integer({ min: 0, max: 150 }),
  density: fc.constantFrom(0, 0.03, 0.2, 1),
  gaps: fc.array(fc.integer({ min: 0, max: 19 }), { minLength: 6, maxLength: 6 }),
  threads: fc.constantFrom(1, 2, 3),
  portable: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

describe.skipIf(skipNative)('zero-skipping entry points: nothing is written outside the outputs', () => {
  const addon = loadAddon();
  const withSetting = (threads: number, portable: boolean, call: () => void) => {
    addon.setParallel(threads);
    if (portable) process.env.VARIA_NATIVE_NO_AVX512 = '1';
    try {
      call();
    } finally {
      delete process.env.VARIA_NATIVE_NO_AVX512;
      addon.setParallel(1);
    }
  };
  afterAll(() => addon.setParallel(1));

  it('sparseInputDense and its backward: outputs only, within the float64 bounds', () => {
    fc.assert(
      fc.property(shapes, ({ n, inDim, units, density, gaps, threads, portable, seed }) => {
        const [x, w, b, y, dy, dw, db] = [n * inDim, inDim * units, units, n * units, n * units, inDim * units, units];
        const h = layout([x, w, b, y, dy, dw, db], [...gaps, gaps[0]!], seed);
        const xv = sparseArray(n, inDim, density, seed);
        h.view(0).set(xv);
        h.view(1).set(randomArray(w, seed + 1));
        h.view(2).set(randomArray(b, seed + 2));
        h.view(4).set(randomArray(dy, seed + 3));
        const [xo, wo, bo, yo, dyo, dwo, dbo] = h.offsets as [number, number, number, number, number, number, number];
        let before = new Uint8Array(h.heap.slice(0));
        withSetting(threads, portable, () => addon.sparseInputDense(h.heap, n, inDim, units, xo, wo, bo, yo, 1, 0));
        expect(firstStray(h.heap, before, [[yo, y * 4]])).toBe(-1);
        const ref = referenceForward(xv, h.view(1), h.view(2), n, inDim, units);
        expect(firstMiss(h.view(3), ref.value.map(ACTIVATIONS.relu!), ref.bound)).toBe(-1);
        before = new Uint8Array(h.heap.slice(0));
        withSetting(threads, portable, () =>
          addon.sparseInputDenseBackward(h.heap, n, inDim, units, dyo, yo, xo, dwo, dbo, CODES.relu!),
        );
        expect(
          firstStray(h.heap, before, [
            [dwo, dw * 4],
            [dbo, db * 4],
          ]),
        ).toBe(-1);
        const back = referenceBackward(h.view(4), h.view(3), xv, n, inDim, units, 'relu');
        expect(firstMiss(h.view(5), back.dw, back.dwBound)).toBe(-1);
        expect(firstMiss(h.view(6), back.db, back.dbBound)).toBe(-1);
      }),
      { numRuns: RUNS, seed: 71 },
    );
  });

  it('sparseDense: outputs only, within the float64 bounds (rows with no entries, repeated and unsorted columns)', () => {
    fc.assert(
      fc.property(shapes, ({ n, inDim, units, density, gaps, threads, portable, seed }) => {
        const k = Math.max(inDim, 1);
        const u = Math.max(units, 1);
        const dense = sparseArray(n, k, density, seed);
        // CSR of the dense rows, columns of each row reversed (unsorted) and its first entry split in two halves
        const indptr = [0];
        const indices: number[] = [];
        const values: number[] = [];
        for (let i = 0; i < n; i++) {
          for (let c = k - 1; c >= 0; c--) {
            const v = dense[i * k + c]!;
            if (v === 0) continue;
            if (indices.length === indptr[i]) {
              indices.push(c, c);
              values.push(v / 2, v / 2);
            } else {
              indices.push(c);
              values.push(v);
            }
          }
          indptr.push(indices.length);
        }
        const nnz = indices.length;
        const h = layout([n + 1, nnz, nnz, k * u, u, n * u], gaps, seed);
        new Int32Array(h.heap, h.offsets[0]!, n + 1).set(indptr);
        new Int32Array(h.heap, h.offsets[1]!, nnz).set(indices);
        h.view(2).set(values);
        h.view(3).set(randomArray(k * u, seed + 1));
        h.view(4).set(randomArray(u, seed + 2));
        const [po, io, vo, wo, bo, yo] = h.offsets as [number, number, number, number, number, number];
        const before = new Uint8Array(h.heap.slice(0));
        withSetting(threads, portable, () => addon.sparseDense(h.heap, n, k, u, nnz, po, io, vo, wo, bo, yo, 0, 0));
        expect(firstStray(h.heap, before, [[yo, n * u * 4]])).toBe(-1);
        const ref = referenceForward(dense, h.view(3), h.view(4), n, k, u);
        // the split first entry adds one rounding per row: twice the bound
        expect(
          firstMiss(
            h.view(5),
            ref.value,
            ref.bound.map((v) => 2 * v),
          ),
        ).toBe(-1);
      }),
      { numRuns: RUNS, seed: 72 },
    );
  });
});

describe.skipIf(skipNative)('zero-skipping entry points: counts that 32-bit CSR indices cannot hold', () => {
  it('x of 2³¹ − 16 cells or more is refused before any region is looked at (its non-zeros are indexed in 32 bits)', () => {
    // (a heap that holds such an x, 8 GiB and more, is possible outside wasm: the count is refused first)
    const heap = new ArrayBuffer(64);
    const addon = loadAddon();
    for (const [n, inDim] of [
      [2 ** 16, 2 ** 15],
      [1, 2 ** 31 - 16],
      [2 ** 31 - 16, 1],
    ] as const) {
      expect(() => addon.sparseInputDense(heap, n, inDim, 1, 0, 0, -1, 0, 0, 0)).toThrow(/n·inDim < 2³¹/);
      expect(() => addon.sparseInputDenseBackward(heap, n, inDim, 1, 0, 0, 0, 0, 0, 0)).toThrow(/n·inDim < 2³¹/);
    }
    // one cell fewer is counted: then refused for the heap it does not fit in
    expect(() => addon.sparseInputDense(heap, 1, 2 ** 31 - 17, 1, 0, 0, -1, 0, 0, 0)).toThrow(/outside the heap/);
  });
});
