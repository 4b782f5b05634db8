/**
 * A synthetic single-cell-like count matrix, generated row by row from a seed (nothing is stored). Row i is a cell:
 *
 * - its type t is uniform over `types` cell types;
 * - each of type t's `markers` marker genes (distinct columns, uniform, fixed by the seed) is expressed independently
 *   with probability 1/2, with count 1 + G, G ~ Geometric on {0, 1, …} with P(G ≥ k) = e^(−0.4 k) (the floor of an
 *   Exponential of mean 2.5): mean 1 + 1/(e^0.4 − 1) ≈ 3.03;
 * - `noise` further genes are drawn uniformly over all columns, each adding 1 to its column (merged with a marker or
 *   another noise draw in the same column).
 *
 * So a row has ≈ markers/2 + noise ≈ 99 non-zeros of 2,000 columns (≈ 4.9 %), summing to ≈ 242. The same (seed, i)
 * always gives the same row, in any order of access — a random-access source.
 *
 * Cost: ≈ 57 random 32-bit words a row (one for the type, one per 32 marker coin flips, one per two counts, one per
 * two noise columns), no logarithms, no sort. Row i's words are fmix32(base + k·gamma), k = 1, 2, …: a Weyl sequence
 * through MurmurHash3's 32-bit finalizer, with base and the odd step gamma hashed from (seed, i) (distinct rows have
 * distinct bases). The row is summed into a dense scratch (a count and a bit per column) and read out in order.
 */
import { ArgumentError, mulberry32, type Matrix, type SparseMatrix } from '@varia/core';

/** The shape and density of the matrix. */
export interface SparseCountsShape {
  rows: number;
  /** Columns (genes), at most 65,536 (a noise column is drawn from 16 bits). */
  cols: number;
  /** Cell types (clusters). */
  types: number;
  /** Marker genes per type (each present with probability 1/2). */
  markers: number;
  /** Other genes drawn once per row (uniform over the columns). */
  noise: number;
  seed: number;
}

/** 1,000,000 × 2,000, ≈ 99 non-zeros per row (4.9 %). */
export const SPARSE_1M: SparseCountsShape = {
  rows: 1_000_000,
  cols: 2000,
  types: 20,
  markers: 140,
  noise: 30,
  seed: 17,
};

/** The geometric part G of a marker's count: P(G ≥ k) = GEOMETRIC_RATIO^k. */
export const GEOMETRIC_RATIO = Math.exp(-0.4);

/** The most entries of `rows`' buffers kept between calls (a batch of 256 rows needs 43,520). */
const KEPT_ENTRIES = 1 << 18;

/** G is drawn in steps of at most TAIL: a 16-bit draw in the top bucket (P(G ≥ TAIL)) adds TAIL and draws again. */
const TAIL = 16;

/** MurmurHash3's 32-bit finalizer: a bijection of the int32s that mixes every bit into every other (`>>> 0`: unsigned). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The start of row i's stream (its Weyl sequence's base). */
function rowBase(seedKey: number, i: number): number {
  return fmix32(seedKey ^ fmix32(i));
}

/** The odd step of row i's stream, from its base. */
function rowGamma(base: number): number {
  return fmix32(base ^ 0x9e3779b9) | 1;
}

/**
 * The integer CDF of G on 16 bits: `cdf[k]` = round(2^16 · P(G ≤ k)) for k < TAIL, so a uniform 16-bit u gives
 * G = the least k with u < cdf[k] (TAIL when none: G ≥ TAIL). Each P(G = k) is thus off by less than 2^−16, and the
 * tail stays exact in shape by memorylessness (G = TAIL + G′). `top[b]`: the k shared by every u with u >>> 8 = b,
 * or −1 where a threshold falls inside that byte's 256 values (about one byte in twelve; then the table is scanned).
 */
function geometricTables(): { cdf: Int32Array; top: Int8Array } {
  const cdf = Int32Array.from({ length: TAIL }, (_, k) => Math.round(65536 * (1 - GEOMETRIC_RATIO ** (k + 1))));
  const top = Int8Array.from({ length: 256 }, (_, b) => {
    const k = inverseCdf(cdf, b << 8);
    return k === inverseCdf(cdf, (b << 8) | 255) ? k : -1;
  });
  return { cdf, top };
}

/** The least k with u < cdf[k], or TAIL when u ≥ every entry. */
function inverseCdf(cdf: Int32Array, u: number): number {
  let k = 0;
  while (k < TAIL && u >= cdf[k]!) k++;
  return k;
}

/** Generates rows of the synthetic matrix on demand. */
export class SparseCounts {
  readonly shape: SparseCountsShape;
  /** The marker genes of each type, sorted. */
  private readonly markersByType: Int32Array[];
  /** The row being generated, all zero between rows: its count per column, and a bit per column it touched. */
  private readonly counts: Int32Array;
  private readonly touched: Int32Array;
  /** `rows`' buffers, kept for the next call up to KEPT_ENTRIES (what it returns is copied out of them). */
  private batchCols = new Int32Array(0);
  private batchVals = new Float32Array(0);
  private readonly cdf: Int32Array;
  private readonly top: Int8Array;
  /** 16-bit halves at or above this are skipped, so that a noise column is exactly uniform (2.3 % for 2,000). */
  private readonly noiseLimit: number;
  private readonly noisePer: number; // 16-bit values per column below `noiseLimit`
  private readonly seedKey: number; // the seed, mixed

  constructor(shape: SparseCountsShape) {
    const { cols, types, markers, noise } = shape;
    if (!Number.isInteger(cols) || cols < 1 || cols > 65536)
      throw new ArgumentError('cols', `SparseCounts: "cols" must be an integer in [1, 65536], got ${cols}`);
    if (!Number.isInteger(markers) || markers < 0 || markers > cols)
      throw new ArgumentError('markers', `SparseCounts: "markers" must be an integer in [0, ${cols}], got ${markers}`);
    if (!Number.isInteger(types) || types < 1)
      throw new ArgumentError('types', `SparseCounts: "types" must be a positive integer, got ${types}`);
    if (!Number.isInteger(noise) || noise < 0)
      throw new ArgumentError('noise', `SparseCounts: "noise" must be a non-negative integer, got ${noise}`);
    this.shape = shape;
    const rng = mulberry32(shape.seed);
    this.markersByType = Array.from({ length: types }, () => {
      const set = new Set<number>();
      while (set.size < markers) set.add(Math.floor(rng() * cols));
      return Int32Array.from([...set].sort((a, b) => a - b));
    });
    this.counts = new Int32Array(cols);
    this.touched = new Int32Array(Math.ceil(cols / 32));
    ({ cdf: this.cdf, top: this.top } = geometricTables());
    this.noisePer = Math.floor(65536 / cols);
    this.noiseLimit = this.noisePer * cols;
    this.seedKey = fmix32(shape.seed ^ 0x5bd1e995);
  }

  /** The cell type of row `i`: uniform over 0…types − 1 (the first word of the row's stream). */
  cellType(i: number): number {
    const base = rowBase(this.seedKey, i);
    return this.typeOf(fmix32((base + rowGamma(base)) | 0));
  }

  /** The marker genes (columns, ascending) of cell type `type`. */
  markerGenes(type: number): Int32Array {
    const markers = this.markersByType[type];
    if (markers === undefined)
      throw new ArgumentError(
        'type',
        `SparseCounts.markerGenes: "type" must be in [0, ${this.shape.types}), got ${type}`,
      );
    return markers.slice();
  }

  /** A type from a 32-bit word w: ⌊(w mod 2^32) · types / 2^32⌋, each type within types/2^32 of 1/types. */
  private typeOf(word: number): number {
    return Math.floor(((word >>> 0) * this.shape.types) / 4294967296);
  }

  /** Appends row `i` (columns ascending, each once) to `cols`/`vals` at `at`; returns the new end. */
  private row(i: number, cols: Int32Array, vals: Float32Array, at: number): number {
    const { counts, touched, cdf, top, noiseLimit, noisePer } = this;
    const nn = this.shape.noise;
    // the row's stream: word k is fmix32(base + k·gamma)
    let x = rowBase(this.seedKey, i);
    const gamma = rowGamma(x);
    x = (x + gamma) | 0;
    const markers = this.markersByType[this.typeOf(fmix32(x))]!;

    // noise columns, two per word (a half ≥ noiseLimit is skipped, so each column is exactly uniform)
    for (let k = 0; k < nn; ) {
      x = (x + gamma) | 0;
      const w = fmix32(x);
      if ((w & 0xffff) < noiseLimit) k = add(counts, touched, Math.floor((w & 0xffff) / noisePer), 1, k);
      if (k < nn && w >>> 16 < noiseLimit) k = add(counts, touched, Math.floor((w >>> 16) / noisePer), 1, k);
    }

    // the present markers: the set bits of one word per 32; each count 1 + G from a 16-bit half
    let spare = -1; // the unused upper half of the last count word
    for (let base = 0; base < markers.length; base += 32) {
      x = (x + gamma) | 0;
      let flips = fmix32(x);
      if (markers.length - base < 32) flips &= (1 << (markers.length - base)) - 1;
      while (flips !== 0) {
        const low = flips & -flips;
        flips ^= low;
        let count = 1;
        for (;;) {
          let u: number;
          if (spare >= 0) {
            u = spare;
            spare = -1;
          } else {
            x = (x + gamma) | 0;
            const w = fmix32(x);
            u = w & 0xffff;
            spare = w >>> 16;
          }
          let g = top[u >>> 8]!;
          if (g < 0) g = inverseCdf(cdf, u);
          count += g;
          if (g < TAIL) break;
        }
        add(counts, touched, markers[base + 31 - Math.clz32(low)]!, count, 0);
      }
    }

    // read the touched columns out in order, clearing them for the next row
    let end = at;
    for (let word = 0; word < touched.length; word++) {
      let bits = touched[word]!;
      if (bits === 0) continue;
      touched[word] = 0;
      do {
        const low = bits & -bits;
        bits ^= low;
        const c = (word << 5) + 31 - Math.clz32(low);
        cols[end] = c;
        vals[end++] = counts[c]!;
        counts[c] = 0;
      } while (bits !== 0);
    }
    return end;
  }

  /** Rows `indices` as CSR. */
  rows(indices: ArrayLike<number>): SparseMatrix {
    const most = this.shape.markers + this.shape.noise;
    const room = indices.length * most;
    if (room > KEPT_ENTRIES) return this.rowsInto(indices, new Int32Array(room), new Float32Array(room));
    if (this.batchCols.length < room) {
      this.batchCols = new Int32Array(room);
      this.batchVals = new Float32Array(room);
    }
    return this.rowsInto(indices, this.batchCols, this.batchVals);
  }

  /** Rows `indices` as CSR, generated into `cols`/`vals` (room for every entry) and copied out. */
  private rowsInto(indices: ArrayLike<number>, cols: Int32Array, vals: Float32Array): SparseMatrix {
    const indptr = new Int32Array(indices.length + 1);
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

/** Adds v to column c of the row being generated (`counts`, and its bit in `touched`); returns k + 1. */
function add(counts: Int32Array, touched: Int32Array, c: number, v: number, k: number): number {
  counts[c]! += v;
  touched[c >>> 5]! |= 1 << (c & 31);
  return k + 1;
}
