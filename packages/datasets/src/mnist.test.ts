import { ArgumentError, DataError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { mnist, mnistCounts } from './mnist.js';
import { mnistFromDigits } from './mnist-split.js';
import { sameBytes } from './test-utils/arrays.js';

/*
 * Pinned values: computed once by an independent Python script (not from this code) that reads
 * mnist/src/digits/{0..9}.json, concatenates the classes in order, and applies the split recurrence exactly as
 * documented — mulberry32(0) written with 32-bit masks, then `for i = n−1 down to 1: j = ⌊u·(i+1)⌋; swap(i, j)`.
 */
const PINNED = {
  trainIndices: [2266, 9975, 8652, 267, 4563, 1917, 3293, 4266, 5404, 9046],
  trainLabels: [2, 9, 8, 0, 4, 1, 3, 4, 5, 9],
  testIndices: [7228, 9993, 5055, 1241, 206, 9222, 7688, 447, 1162, 6151],
  testLabels: [7, 9, 4, 1, 0, 9, 7, 0, 1, 6],
  lastIndex: 2664,
  trainClassCounts: [800, 921, 806, 828, 755, 697, 820, 822, 743, 808],
  testClassCounts: [201, 206, 185, 204, 225, 166, 194, 248, 201, 170],
  /** Of the first training image (digit 2, row 138 of 2.json): Σ intensity, #(≥ 0.5), Σ round(255·intensity). */
  firstImage: { sum: 133.835, above: 139, countSum: 34131 },
};

const CLASS_SIZES = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function classCounts(labels: Int32Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]!++;
  return counts;
}

describe('mnist', () => {
  const train = mnist({ split: 'train' });
  const test = mnist({ split: 'test' });

  it('has 8,000 train and 2,000 test digits of 28×28 in [0, 1]', () => {
    expect([train.x.rows, train.x.cols]).toEqual([8000, 784]);
    expect([test.x.rows, test.x.cols]).toEqual([2000, 784]);
    expect(train.x.data).toBeInstanceOf(Float32Array);
    expect(train.shape).toEqual([28, 28]);
    expect(train.kind).toBe('unit-interval');
    expect(train.name).toBe('mnist-train');
    expect(test.name).toBe('mnist-test');
    expect(train.x.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(mnist().x.rows).toBe(8000); // train is the default
  });

  it('follows the documented split (pinned against an independent implementation)', () => {
    expect(Array.from(train.sourceIndices.subarray(0, 10))).toEqual(PINNED.trainIndices);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual(PINNED.trainLabels);
    expect(Array.from(test.sourceIndices.subarray(0, 10))).toEqual(PINNED.testIndices);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual(PINNED.testLabels);
    expect(test.sourceIndices[1999]).toBe(PINNED.lastIndex);
    const first = train.x.data.subarray(0, 784);
    expect(first.reduce((a, b) => a + b, 0)).toBeCloseTo(PINNED.firstImage.sum, 3);
    expect(first.filter((v) => v >= 0.5).length).toBe(PINNED.firstImage.above);
  });

  it('keeps every class in both parts, roughly in proportion', () => {
    expect(classCounts(train.labels)).toEqual(PINNED.trainClassCounts);
    expect(classCounts(test.labels)).toEqual(PINNED.testClassCounts);
    for (let c = 0; c < 10; c++) {
      // Hypergeometric: test count has sd ≈ √(n_c · 0.2 · 0.8) ≈ 13; allow 5 sd around 20 %.
      const expected = CLASS_SIZES[c]! * 0.2;
      expect(Math.abs(classCounts(test.labels)[c]! - expected)).toBeLessThan(5 * Math.sqrt(CLASS_SIZES[c]! * 0.16));
    }
  });

  it('partitions the 10,000 digits: train and test are disjoint, all = train then test', () => {
    const all = mnist({ split: 'all' });
    expect(all.x.rows).toBe(10_000);
    expect(sameBytes(all.sourceIndices, Int32Array.from([...train.sourceIndices, ...test.sourceIndices]))).toBe(true);
    expect(new Set(all.sourceIndices).size).toBe(10_000);
    expect(sameBytes(all.x.data.subarray(0, 8000 * 784), train.x.data)).toBe(true);
    expect(classCounts(all.labels)).toEqual(CLASS_SIZES);
  });

  it('is deterministic: two calls give identical data', () => {
    const again = mnist({ split: 'test' });
    expect(sameBytes(again.x.data, test.x.data)).toBe(true);
    expect(sameBytes(again.labels, test.labels)).toBe(true);
    // and returns fresh arrays, so mutating one result cannot corrupt the next
    again.x.data[0] = 42;
    expect(mnist({ split: 'test' }).x.data[0]).toBe(test.x.data[0]);
  });

  it('binarizes by threshold at 0.5', () => {
    const binary = mnist({ split: 'test', binarize: 'threshold' });
    expect(binary.kind).toBe('binary');
    const expected = test.x.data.map((v) => (v >= 0.5 ? 1 : 0));
    expect(sameBytes(binary.x.data, expected)).toBe(true);
  });

  it('binarizes stochastically with the seed: Bernoulli(intensity)', () => {
    const a = mnist({ split: 'test', binarize: 'stochastic', seed: 1 });
    const b = mnist({ split: 'test', binarize: 'stochastic', seed: 1 });
    const c = mnist({ split: 'test', binarize: 'stochastic', seed: 2 });
    expect(sameBytes(a.x.data, b.x.data)).toBe(true);
    expect(sameBytes(a.x.data, c.x.data)).toBe(false);
    let ones = 0;
    let expected = 0;
    let variance = 0;
    let violations = 0;
    for (let k = 0; k < a.x.data.length; k++) {
      const p = test.x.data[k]!;
      const bit = a.x.data[k]!;
      if ((bit !== 0 && bit !== 1) || (p === 0 && bit !== 0) || (p === 1 && bit !== 1)) violations++;
      ones += bit;
      expected += p;
      variance += p * (1 - p);
    }
    expect(violations).toBe(0);
    expect(Math.abs(ones - expected)).toBeLessThan(5 * Math.sqrt(variance));
  });

  it('validates its options', () => {
    expect(() => mnist({ binarize: 'stochastic' })).toThrow(ArgumentError);
    expect(() => mnist({ binarize: 'stochastic' })).toThrow(/"seed" must be a finite number, got undefined/);
    expect(() => mnist({ split: 'validation' as 'train' })).toThrow(
      /"split" must be one of "train", "test", "all", got "validation"/,
    );
    expect(() => mnist({ binarize: 'yes' as 'none' })).toThrow(/"binarize" must be one of/);
  });
});

describe('mnistCounts', () => {
  it('gives round(255 · intensity) as integer counts with the same split', () => {
    const counts = mnistCounts({ split: 'train' });
    expect(counts.kind).toBe('counts');
    expect(counts.name).toBe('mnist-counts-train');
    expect(counts.shape).toEqual([28, 28]);
    expect(counts.x.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    expect(Array.from(counts.labels.subarray(0, 10))).toEqual(PINNED.trainLabels);
    expect(counts.x.data.subarray(0, 784).reduce((a, b) => a + b, 0)).toBe(PINNED.firstImage.countSum);
    expect(mnistCounts().x.rows).toBe(8000);
  });
});

describe('mnistFromDigits (browser-safe)', () => {
  it('gives exactly what mnist() gives from the same digit files', async () => {
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const { dirname, join } = await import('node:path');
    const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
    const parts = Array.from(
      { length: 10 },
      (_, d) => (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data,
    );
    const a = mnistFromDigits(parts, { split: 'test' });
    const b = mnist({ split: 'test' });
    expect(a.x.rows).toBe(2000);
    expect(Buffer.from(a.x.data.buffer).equals(Buffer.from(b.x.data.buffer))).toBe(true);
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(() => mnistFromDigits(parts.slice(0, 9))).toThrowError(DataError);
  });
});
