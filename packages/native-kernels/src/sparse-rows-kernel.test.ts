// The row kernel of the sparse forward product (native/sparse_rows.c) against the CSC tiles it replaces for rows whose
// columns are sorted (native/sparse_tiles.c, forced with VARIA_NATIVE_SPARSE_TILES=1): every output's bits, by direct
// calls of sparseDense and sparseInputDense on a heap of noise, W placed at every 4-byte offset from a 64-byte
// boundary (the row kernel aligns its loads of W to it), 1 and 2 threads; and against float64 within the float32
// summation bound. VARIA_SPARSE_ROWS_RUNS=N runs N random cases (default 150).
import { mulberry32 } from '@varia/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { ACTIVATIONS } from './sparse-input-test-support.js';
import { noiseHeapLayout, randomArray, skipNative } from './test-support.js';

const RUNS = Number(process.env.VARIA_SPARSE_ROWS_RUNS ?? 150);

const SPECIAL = [0, -0, 1e-40, -3e-39, Infinity, -Infinity, Number.NaN, 3e38, -3e38];

/** A seeded CSR: about `density` of the cells, a duplicate column now and then, some rows empty, some shuffled. */
function csr(rows: number, cols: number, density: number, specials: boolean, unsorted: boolean, seed: number) {
  const next = mulberry32(seed); // in [0, 1)
  const value = () =>
    Math.fround(specials && next() < 0.05 ? SPECIAL[Math.floor(next() * SPECIAL.length)]! : 2 * next() - 1);
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < rows; i++) {
    const from = indices.length;
    if (next() >= 0.15)
      for (let k = 0; k < cols; k++)
        if (next() < density) {
          indices.push(k);
          values.push(value());
          if (next() < 0.08) {
            indices.push(k); // the same column again
            values.push(value());
          }
        }
    if (unsorted && indices.length - from > 1 && next() < 0.5)
      for (let e = indices.length - 1; e > from; e--) {
        const f = from + Math.floor(next() * (e - from + 1));
        [indices[e], indices[f]] = [indices[f]!, indices[e]!];
        [values[e], values[f]] = [values[f]!, values[e]!];
      }
    indptr[i + 1] = indices.length;
  }
  return { rows, cols, indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) };
}
type Csr = ReturnType<typeof csr>;

/** Row i's entries stably sorted by column (the order in which the tiles take them). */
function stablySorted(x: Csr): Csr {
  const indices = x.indices.slice();
  const values = x.values.slice();
  for (let i = 0; i < x.rows; i++) {
    const order = Array.from({ length: x.indptr[i + 1]! - x.indptr[i]! }, (_, j) => x.indptr[i]! + j);
    order.sort((a, b) => x.indices[a]! - x.indices[b]! || a - b);
    order.forEach((e, j) => {
      indices[x.indptr[i]! + j] = x.indices[e]!;
      values[x.indptr[i]! + j] = x.values[e]!;
    });
  }
  return { ...x, indices, values };
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.every((v, k) => Object.is(v, b[k]) || (Number.isNaN(v) && Number.isNaN(b[k]!)));

describe.skipIf(skipNative)('the row kernel of the sparse forward product', () => {
  const addon = loadAddon();
  afterAll(() => {
    addon.setParallel(1);
    delete process.env.VARIA_NATIVE_SPARSE_TILES;
  });

  /**
   * sparseDense of x on a noise heap (W `shift` floats past a 64-byte boundary), with the tiles or the row kernel:
   * y, and whether every byte outside y is as it was.
   */
  function sparseDense(x: Csr, w: Float32Array, b: Float32Array | undefined, units: number, o: Options) {
    const sizes = [x.rows + 1, x.indices.length, x.values.length, w.length, units, x.rows * units];
    const gaps = [16, 3, 5, 0, 7, 9];
    // W's float offset: 16 + rows + 1 + 3 + nnz + 5 + nnz + gap ≡ shift (mod 16)
    const before = 16 + sizes[0]! + 3 + sizes[1]! + 5 + sizes[2]!;
    gaps[3] = (((o.shift - before) % 16) + 16) % 16;
    const heap = noiseHeapLayout(sizes, gaps, o.seed, 21);
    new Int32Array(heap.heap, heap.offsets[0], sizes[0]).set(x.indptr);
    new Int32Array(heap.heap, heap.offsets[1], sizes[1]).set(x.indices);
    heap.view(2).set(x.values);
    heap.view(3).set(w);
    if (b) heap.view(4).set(b);
    expect(heap.offsets[3]! % 64).toBe(o.shift * 4);
    const copy = new Uint8Array(heap.heap.slice(0));
    addon.setParallel(o.threads);
    if (o.tiles) process.env.VARIA_NATIVE_SPARSE_TILES = '1';
    try {
      const [p, i, v, k, bias, y] = heap.offsets as [number, number, number, number, number, number];
      addon.sparseDense(heap.heap, x.rows, x.cols, units, x.indices.length, p, i, v, k, b ? bias : -1, y, o.act, 0.2);
    } finally {
      delete process.env.VARIA_NATIVE_SPARSE_TILES;
      addon.setParallel(1);
    }
    const now = new Uint8Array(heap.heap);
    const [y0, yBytes] = [heap.offsets[5]!, 4 * sizes[5]!];
    const untouched = now.every((byte, at) => (at >= y0 && at < y0 + yBytes) || byte === copy[at]);
    return { y: heap.view(5).slice(), untouched };
  }

  interface Options {
    shift: number;
    threads: number;
    tiles: boolean;
    act: number;
    seed: number;
  }

  const cases = fc.record({
    rows: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 70 })),
    cols: fc.integer({ min: 1, max: 300 }),
    units: fc.constantFrom(1, 3, 15, 16, 17, 31, 32, 48, 64, 100, 128, 200, 208, 400, 413),
    density: fc.constantFrom(0, 0.03, 0.2, 0.7),
    specials: fc.boolean(),
    unsorted: fc.boolean(),
    bias: fc.boolean(),
    act: fc.integer({ min: 0, max: 5 }),
    shift: fc.integer({ min: 0, max: 15 }),
    threads: fc.constantFrom(1, 2),
    seed: fc.integer({ min: 1, max: 1e6 }),
  });
  interface Case {
    rows: number;
    cols: number;
    units: number;
    density: number;
    specials: boolean;
    unsorted: boolean;
    bias: boolean;
    act: number;
    shift: number;
    threads: number;
    seed: number;
  }

  /** Whether the row kernel gives the tiles' bits on case c and neither writes outside y. */
  function agrees(c: Case): boolean {
    const x = csr(c.rows, c.cols, c.density, c.specials, c.unsorted, c.seed);
    const special = (v: number, k: number) => (c.specials && k % 97 === 5 ? SPECIAL[k % SPECIAL.length]! : v);
    const w = randomArray(c.cols * c.units, c.seed + 1).map(special);
    const b = c.bias ? randomArray(c.units, c.seed + 2).map(special) : undefined;
    const o = { shift: c.shift, threads: c.threads, act: c.act, seed: c.seed };
    const tiles = sparseDense(x, w, b, c.units, { ...o, tiles: true, threads: 1 });
    const rows = sparseDense(x, w, b, c.units, { ...o, tiles: false });
    // rows out of order take the tiles; the row kernel on a stably sorted copy must give their bits too
    const sorted = c.unsorted ? sparseDense(stablySorted(x), w, b, c.units, { ...o, tiles: false }) : rows;
    return (
      tiles.untouched && rows.untouched && sorted.untouched && sameBits(rows.y, tiles.y) && sameBits(sorted.y, tiles.y)
    );
  }

  it('gives the bits of the CSC tiles on random CSR (duplicates, empty rows, NaN, ±∞, any W alignment, 1–2 threads)', () => {
    fc.assert(fc.property(cases, agrees), { numRuns: RUNS, seed: 20261202 });
  });

  it('gives them with many entries per row of W (the kernel then reads an aligned copy of a shifted W)', () => {
    for (const shift of [0, 1, 2, 6, 15])
      for (const units of [16, 64, 208])
        for (const specials of [false, true]) {
          const c = { rows: 700, cols: 12, units, density: 0.7, specials, unsorted: false, bias: true, act: 1 };
          expect(agrees({ ...c, shift, threads: 1 + (shift % 2), seed: 31 + shift + units })).toBe(true);
        }
  });

  it('MNIST-sized rows (784 → 400 and 2,000 → 128, W 8 bytes past a boundary) within the float64 bound', () => {
    for (const [cols, units, density] of [
      [784, 400, 0.19],
      [2000, 128, 0.05],
    ] as const) {
      const x = csr(40, cols, density, false, false, 5);
      const w = randomArray(cols * units, 6);
      const b = randomArray(units, 7);
      for (const act of [0, 1, 5]) {
        const { y, untouched } = sparseDense(x, w, b, units, { shift: 2, threads: 2, tiles: false, act, seed: 8 });
        expect(untouched).toBe(true);
        const f = ACTIVATIONS[['linear', 'relu', '', '', '', 'sigmoid'][act]!]!;
        for (let i = 0; i < x.rows; i++)
          for (let j = 0; j < units; j++) {
            let s = b[j]!;
            let a = Math.abs(s);
            for (let e = x.indptr[i]!; e < x.indptr[i + 1]!; e++) {
              const t = x.values[e]! * w[x.indices[e]! * units + j]!;
              s += t;
              a += Math.abs(t);
            }
            const bound = (x.indptr[i + 1]! - x.indptr[i]! + 1) * 2 ** -24 * a + 4e-7 * (1 + Math.abs(f(s)));
            const got = y[i * units + j]!;
            if (!(Math.abs(got - f(s)) <= bound)) expect(`y[${i}, ${j}] = ${got}`).toBe(`${f(s)} ± ${bound}`);
          }
      }
    }
  });

  it('sparseInputDense (dense rows, mostly zeros) gives the bits of the tiles', () => {
    const [n, inDim, units] = [90, 300, 208];
    const heap = new ArrayBuffer(4 * (n * inDim + inDim * units + units + n * units + 16));
    const f = new Float32Array(heap);
    const x = csr(n, inDim, 0.15, true, false, 11);
    for (let i = 0; i < n; i++)
      for (let e = x.indptr[i]!; e < x.indptr[i + 1]!; e++) f[i * inDim + x.indices[e]!] = x.values[e]! || 0.5;
    const [wAt, bAt, yAt] = [n * inDim + 2, n * inDim + 2 + inDim * units, n * inDim + 2 + inDim * units + units];
    f.set(randomArray(inDim * units, 12), wAt);
    f.set(randomArray(units, 13), bAt);
    const results = ['1', undefined].map((tiles) => {
      if (tiles) process.env.VARIA_NATIVE_SPARSE_TILES = tiles;
      try {
        addon.sparseInputDense(heap, n, inDim, units, 0, 4 * wAt, 4 * bAt, 4 * yAt, 1, 0);
      } finally {
        delete process.env.VARIA_NATIVE_SPARSE_TILES;
      }
      return f.slice(yAt, yAt + n * units);
    });
    expect(sameBits(results[1]!, results[0]!)).toBe(true);
  });
});
