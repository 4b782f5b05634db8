/**
 * A synthetic single-cell-like count matrix, generated row by row from a seed (nothing is stored): row i is a cell of
 * one of `types` cell types; it expresses each of its type's `markers` marker genes with probability 1/2 (counts
 * 1 + Geometric, mean ≈ 3.5) and about `noise` other genes once, so a row has ≈ markers/2 + noise ≈ 5 % non-zeros of
 * 2,000 columns. The same (seed, i) always gives the same row, in any order of access — a random-access source.
 */
import { mulberry32, type Matrix, type SparseMatrix } from '@varia/core';

/** The shape and density of the matrix. */
export interface SparseCountsShape {
  rows: number;
  cols: number;
  /** Cell types (clusters). */
  types: number;
  /** Marker genes per type (each present with probability 1/2). */
  markers: number;
  /** Other genes drawn once per row (uniform over the columns). */
  noise: number;
  seed: number;
}

/** 1,000,000 × 2,000, ≈ 100 non-zeros per row (5 %). */
export const SPARSE_1M: SparseCountsShape = {
  rows: 1_000_000,
  cols: 2000,
  types: 20,
  markers: 140,
  noise: 30,
  seed: 17,
};

/** Generates rows of the synthetic matrix on demand. */
export class SparseCounts {
  readonly shape: SparseCountsShape;
  /** The marker genes of each type, sorted. */
  private readonly markerGenes: Int32Array[];
  /** The noise genes of the row being generated. */
  private readonly noise: Int32Array;

  constructor(shape: SparseCountsShape) {
    this.shape = shape;
    const rng = mulberry32(shape.seed);
    this.markerGenes = Array.from({ length: shape.types }, () => {
      const set = new Set<number>();
      while (set.size < shape.markers) set.add(Math.floor(rng() * shape.cols));
      return Int32Array.from([...set].sort((a, b) => a - b));
    });
    this.noise = new Int32Array(shape.noise);
  }

  /** Appends row `i` (columns ascending, duplicates merged) to `cols`/`vals` at `at`; returns the new end. */
  private row(i: number, cols: Int32Array, vals: Float32Array, at: number): number {
    const { shape, noise } = this;
    const rng = mulberry32(Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ shape.seed);
    const markers = this.markerGenes[Math.floor(rng() * shape.types)]!;
    for (let k = 0; k < shape.noise; k++) noise[k] = Math.floor(rng() * shape.cols);
    noise.sort();
    // merge the type's markers (sorted; each present with probability 1/2) with the sorted noise genes
    let end = at;
    const put = (c: number, v: number): void => {
      if (end > at && cols[end - 1] === c) vals[end - 1]! += v;
      else {
        cols[end] = c;
        vals[end++] = v;
      }
    };
    let q = 0;
    for (let k = 0; k < markers.length; k++) {
      if (rng() >= 0.5) continue;
      const c = markers[k]!;
      while (q < noise.length && noise[q]! < c) put(noise[q++]!, 1);
      put(c, 1 + Math.floor(-Math.log(1 - rng()) * 2.5));
    }
    while (q < noise.length) put(noise[q++]!, 1);
    return end;
  }

  /** Rows `indices` as CSR. */
  rows(indices: ArrayLike<number>): SparseMatrix {
    const most = this.shape.markers + this.shape.noise;
    const indptr = new Int32Array(indices.length + 1);
    const cols = new Int32Array(indices.length * most);
    const vals = new Float32Array(indices.length * most);
    let end = 0;
    for (let k = 0; k < indices.length; k++) {
      end = this.row(indices[k]!, cols, vals, end);
      indptr[k + 1] = end;
    }
    return {
      rows: indices.length,
      cols: this.shape.cols,
      indptr,
      indices: cols.slice(0, end),
      data: vals.slice(0, end),
    };
  }

  /** The first `n` rows as one CSR matrix, built in place (8 bytes per entry, no copy at the end). */
  csr(n: number): SparseMatrix {
    const most = this.shape.markers + this.shape.noise;
    const indptr = new Int32Array(n + 1);
    let cols = new Int32Array(Math.ceil(n * most * 0.6) + most);
    let vals = new Float32Array(cols.length);
    let end = 0;
    for (let i = 0; i < n; i++) {
      if (end + most > cols.length) {
        const grow = <T extends Int32Array | Float32Array>(a: T, make: (k: number) => T): T => {
          const b = make(Math.ceil(a.length * 1.25) + most);
          b.set(a);
          return b;
        };
        cols = grow(cols, (k) => new Int32Array(k));
        vals = grow(vals, (k) => new Float32Array(k));
      }
      end = this.row(i, cols, vals, end);
      indptr[i + 1] = end;
    }
    return { rows: n, cols: this.shape.cols, indptr, indices: cols.subarray(0, end), data: vals.subarray(0, end) };
  }

  /** The first `n` rows, dense. */
  dense(n: number): Matrix {
    const { cols } = this.shape;
    const m = this.rows(Int32Array.from({ length: n }, (_, i) => i));
    const data = new Float32Array(n * cols);
    for (let i = 0; i < n; i++)
      for (let e = m.indptr[i]!; e < m.indptr[i + 1]!; e++) data[i * cols + m.indices[e]!] = m.data[e]!;
    return { data, rows: n, cols };
  }
}
