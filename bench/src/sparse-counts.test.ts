import * as tf from '@tensorflow/tfjs';
import { ArgumentError, assertSparseMatrix, type SparseMatrix } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { MemoryProbe, peakRssBytes } from './memory-probe.js';
import { SPARSE_1M, SparseCounts } from './sparse-counts.js';

await tf.setBackend('cpu');

/** Pearson's χ² of observed counts against expected ones (bins with expectation 0 must be empty). */
function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let chi = 0;
  for (let k = 0; k < observed.length; k++) chi += (observed[k]! - expected[k]!) ** 2 / expected[k]!;
  return chi;
}

/** Each row's (column, value) entries. */
function rowsOf(m: SparseMatrix): { cols: Int32Array; vals: Float32Array }[] {
  return Array.from({ length: m.rows }, (_, r) => ({
    cols: m.indices.subarray(m.indptr[r]!, m.indptr[r + 1]!),
    vals: m.data.subarray(m.indptr[r]!, m.indptr[r + 1]!),
  }));
}

/** Whether two typed arrays hold the same values. */
function sameArrays(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

const N = 3000;
const q = Math.exp(-0.4); // P(G ≥ k) = q^k: a marker's count is 1 + G
/** P(no noise draw lands on a given column) = (1 − 1/cols)^noise. */
const missed = (1 - 1 / SPARSE_1M.cols) ** SPARSE_1M.noise;

describe('SparseCounts (the sparse-1m data)', () => {
  const counts = new SparseCounts({ ...SPARSE_1M, rows: N });
  const all = counts.csr(N);

  it('generates each row from (seed, row) alone: any order of access, CSR or dense, gives the same rows', () => {
    assertSparseMatrix(all);
    const picked = Int32Array.from([2999, 5, 17, 5, 0]);
    const some = counts.rows(picked);
    assertSparseMatrix(some);
    const [a, b] = [rowsOf(all), rowsOf(some)];
    picked.forEach((i, k) => {
      expect(Array.from(b[k]!.cols)).toEqual(Array.from(a[i]!.cols));
      expect(Array.from(b[k]!.vals)).toEqual(Array.from(a[i]!.vals));
    });
    // what rows returns is its own: a later call (into the kept buffers, or fresh ones past 2^18 entries) leaves it
    const someIndices = some.indices.slice();
    const big = counts.rows(Int32Array.from({ length: 2000 }, (_, i) => i));
    counts.rows([7, 8]);
    expect(sameArrays(some.indices, someIndices)).toBe(true);
    expect(sameArrays(big.indices, all.indices.subarray(0, all.indptr[2000]))).toBe(true);
    expect(sameArrays(big.data, all.data.subarray(0, all.indptr[2000]))).toBe(true);
    const dense = counts.dense(20);
    for (let i = 0; i < 20; i++)
      for (let e = all.indptr[i]!; e < all.indptr[i + 1]!; e++)
        expect(dense.data[i * SPARSE_1M.cols + all.indices[e]!]).toBe(all.data[e]);
    // a second generator of the same shape gives the same matrix; another seed a different one
    const again = new SparseCounts({ ...SPARSE_1M, rows: N }).csr(N);
    expect(sameArrays(again.indices, all.indices) && sameArrays(again.data, all.data)).toBe(true);
    const other = new SparseCounts({ ...SPARSE_1M, seed: 18 }).rows([0, 1, 2]);
    expect(Array.from(other.indices)).not.toEqual(Array.from(all.indices.subarray(0, other.indices.length)));
  });

  it('stores each column once, ascending, with a positive integer count', () => {
    const bad = rowsOf(all).filter(
      ({ cols, vals }) =>
        cols[0]! < 0 ||
        cols.at(-1)! >= SPARSE_1M.cols ||
        cols.some((c, e) => e > 0 && c <= cols[e - 1]!) ||
        vals.some((v) => !Number.isInteger(v) || v < 1),
    );
    expect(bad).toHaveLength(0);
  });

  it('has the density and total count of its definition (≈ 98.7 non-zeros, ≈ 242.3 a row)', () => {
    const { cols, markers, noise } = SPARSE_1M;
    // a marker column is zero when the marker is absent and no noise draw hits it; any other column when none does
    const nonZeros = markers * (1 - missed / 2) + (cols - markers) * (1 - missed);
    const perRow = all.data.length / N;
    expect(nonZeros).toBeCloseTo(98.74, 2);
    expect(Math.abs(perRow - nonZeros)).toBeLessThan(0.6); // sd of the mean ≈ 0.145
    const sum = all.data.reduce((s, v) => s + v, 0) / N;
    expect(Math.abs(sum - ((markers / 2) * (1 + q / (1 - q)) + noise))).toBeLessThan(2); // sd of the mean ≈ 0.5
  });

  it('draws the types uniformly; each row expresses about half its type’s markers and few other genes', () => {
    const { types, cols: width, markers } = SPARSE_1M;
    const perType = new Array<number>(types).fill(0);
    const markerHits = new Array<number>(types).fill(0);
    const otherHits = new Array<number>(types).fill(0);
    const rows = rowsOf(all);
    for (let i = 0; i < N; i++) {
      const t = counts.cellType(i);
      perType[t]!++;
      const set = new Set(counts.markerGenes(t));
      for (const c of rows[i]!.cols) set.has(c) ? markerHits[t]!++ : otherHits[t]!++;
    }
    expect(chiSquare(perType, new Array(types).fill(N / types))).toBeLessThan(50); // df 19: P(χ² > 50) ≈ 1e-4
    for (let t = 0; t < types; t++) {
      expect(counts.markerGenes(t)).toHaveLength(markers);
      // sd ≈ 0.0035 and 0.00023 at ≈ 150 rows a type
      expect(Math.abs(markerHits[t]! / (perType[t]! * markers) - (1 - missed / 2))).toBeLessThan(0.015);
      expect(Math.abs(otherHits[t]! / (perType[t]! * (width - markers)) - (1 - missed))).toBeLessThan(0.001);
    }
    expect(() => counts.markerGenes(types)).toThrow(ArgumentError);
  });
});

describe('SparseCounts, markers and noise apart', () => {
  it('markers only: a type’s markers, each present with probability 1/2 independently, count 1 + Geometric', () => {
    const m = new SparseCounts({ ...SPARSE_1M, noise: 0 });
    const data = m.csr(N);
    const hist = new Array<number>(25).fill(0); // G = 0…23, and G ≥ 24
    let present = 0;
    // both of markers k and k + lag present, lag 1…31 (the coin flips of one or two 32-bit words)
    const both = new Array<number>(32).fill(0);
    const pairs = new Array<number>(32).fill(0);
    let strays = 0;
    rowsOf(data).forEach(({ cols, vals }, i) => {
      const markers = m.markerGenes(m.cellType(i));
      const set = new Set(cols);
      strays += cols.filter((c) => !markers.includes(c)).length;
      for (const v of vals) hist[Math.min(v - 1, 24)]!++;
      present += cols.length;
      for (let lag = 1; lag < 32; lag++)
        for (let k = lag; k < markers.length; k++, pairs[lag]!++)
          if (set.has(markers[k]!) && set.has(markers[k - lag]!)) both[lag]!++;
    });
    expect(strays).toBe(0);
    expect(Math.abs(present / (N * SPARSE_1M.markers) - 0.5)).toBeLessThan(0.003); // sd ≈ 0.0008
    for (let lag = 1; lag < 32; lag++) expect(Math.abs(both[lag]! / pairs[lag]! - 0.25)).toBeLessThan(0.004); // sd < 0.0008
    // G by the geometric's closed form, past the 16-bit draw's steps of 16 (G ≥ 16 draws again)
    const expected = hist.map((_, g) => present * (g < 24 ? (1 - q) * q ** g : q ** 24));
    expect(chiSquare(hist, expected)).toBeLessThan(60); // df 24: P(χ² > 60) ≈ 6e-5
  });

  it('noise only: `noise` uniform columns a row, a column drawn twice stored once with count 2', () => {
    const m = new SparseCounts({ ...SPARSE_1M, markers: 0 });
    const data = m.csr(N);
    const perColumn = new Array<number>(SPARSE_1M.cols).fill(0);
    const sums = new Set<number>();
    for (const { cols, vals } of rowsOf(data)) {
      sums.add(vals.reduce((s, v) => s + v, 0));
      cols.forEach((c, e) => {
        perColumn[c]! += vals[e]!;
      });
    }
    expect([...sums]).toEqual([SPARSE_1M.noise]);
    expect(data.data.some((v) => v >= 2)).toBe(true); // ≈ 0.2 repeats a row
    const draws = N * SPARSE_1M.noise;
    const chi = chiSquare(perColumn, new Array(SPARSE_1M.cols).fill(draws / SPARSE_1M.cols));
    expect(Math.abs(chi - (SPARSE_1M.cols - 1))).toBeLessThan(5 * Math.sqrt(2 * (SPARSE_1M.cols - 1))); // df 1,999
  });

  it('rejects shapes it cannot draw', () => {
    expect(() => new SparseCounts({ ...SPARSE_1M, cols: 70_000 })).toThrow(ArgumentError);
    expect(() => new SparseCounts({ ...SPARSE_1M, markers: 2001 })).toThrow(ArgumentError);
    expect(() => new SparseCounts({ ...SPARSE_1M, types: 0 })).toThrow(ArgumentError);
    expect(() => new SparseCounts({ ...SPARSE_1M, noise: 1.5 })).toThrow(ArgumentError);
  });
});

describe('MemoryProbe', () => {
  it('reports the peak RSS, tf.memory() and whether the tensor count stayed flat', () => {
    const probe = new MemoryProbe();
    probe.sample(true);
    const t = tf.scalar(1);
    probe.sample(true);
    t.dispose();
    const r = probe.report();
    expect(r.peak_rss_bytes).toBeGreaterThanOrEqual(r.rss_sampled_max_bytes * 0.5);
    expect(peakRssBytes()).toBeGreaterThan(0);
    expect(r.tf_num_tensors_samples).toEqual([r.tf_num_tensors_start, r.tf_num_tensors_start + 1]);
    expect(r.tensors_flat).toBe(false);
    expect(r.tf_num_tensors).toBe(r.tf_num_tensors_start);
  });
});
