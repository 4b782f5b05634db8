import * as tf from '@tensorflow/tfjs';
import { assertSparseMatrix } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { MemoryProbe, peakRssBytes } from './memory-probe.js';
import { SPARSE_1M, SparseCounts } from './sparse-counts.js';

await tf.setBackend('cpu');

describe('SparseCounts (the sparse-1m data)', () => {
  const counts = new SparseCounts({ ...SPARSE_1M, rows: 3000 });

  it('generates each row from (seed, row) alone: any order of access, CSR or dense, gives the same rows', () => {
    const all = counts.csr(3000);
    assertSparseMatrix(all);
    const picked = Int32Array.from([2999, 5, 17, 5, 0]);
    const some = counts.rows(picked);
    assertSparseMatrix(some);
    picked.forEach((i, k) => {
      const row = (m: typeof all, r: number) => [
        Array.from(m.indices.subarray(m.indptr[r]!, m.indptr[r + 1]!)),
        Array.from(m.data.subarray(m.indptr[r]!, m.indptr[r + 1]!)),
      ];
      expect(row(some, k)).toEqual(row(all, i));
    });
    const dense = counts.dense(20);
    for (let i = 0; i < 20; i++) {
      for (let e = all.indptr[i]!; e < all.indptr[i + 1]!; e++)
        expect(dense.data[i * SPARSE_1M.cols + all.indices[e]!]).toBe(all.data[e]);
    }
  });

  it('has about 5 % non-zeros of positive integer counts', () => {
    const m = counts.csr(3000);
    const density = m.data.length / (3000 * SPARSE_1M.cols);
    expect(density).toBeGreaterThan(0.04);
    expect(density).toBeLessThan(0.06);
    expect(m.data.every((v) => Number.isInteger(v) && v >= 1)).toBe(true);
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
