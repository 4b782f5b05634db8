import { ArgumentError, DataError, ShapeError, mulberry32, permutation } from '@varia/core';
import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.js';
import { shuffle, trainTestSplit } from './split.js';

/** Row i is (i, 10·i), label i % 3. */
function ramp(n: number): Dataset {
  const data = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    data[2 * i] = i;
    data[2 * i + 1] = 10 * i;
  }
  return {
    name: 'ramp',
    x: { data, rows: n, cols: 2 },
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    shape: [2],
    kind: 'real',
  };
}

describe('shuffle', () => {
  it('permutes rows and labels together by permutation(n, mulberry32(seed))', () => {
    const d = ramp(50);
    const s = shuffle(d, 123);
    const order = permutation(50, mulberry32(123));
    for (let i = 0; i < 50; i++) {
      expect(s.x.data[2 * i]).toBe(order[i]);
      expect(s.x.data[2 * i + 1]).toBe(10 * order[i]!);
      expect(s.labels[i]).toBe(order[i]! % 3);
    }
    expect(Array.from(d.x.data.subarray(0, 4))).toEqual([0, 0, 1, 10]); // input untouched
    expect([...s.x.data].filter((_, k) => k % 2 === 0).sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    expect(s.shape).toEqual([2]);
    expect(s.kind).toBe('real');
  });

  it('is deterministic in the seed', () => {
    expect(shuffle(ramp(30), 5).x.data).toEqual(shuffle(ramp(30), 5).x.data);
    expect(shuffle(ramp(30), 5).x.data).not.toEqual(shuffle(ramp(30), 6).x.data);
  });

  it('rejects empty or malformed data and a bad seed', () => {
    expect(() => shuffle(ramp(0), 1)).toThrow(DataError);
    expect(() => shuffle(ramp(3), Number.NaN)).toThrow(/"seed" must be a finite number, got NaN/);
    const bad = { ...ramp(3), labels: new Int32Array(2) };
    expect(() => shuffle(bad, 1)).toThrow(ShapeError);
    expect(() => shuffle(bad, 1)).toThrow(
      /"dataset.labels" must be an Int32Array with one label per row \(3\), got length 2/,
    );
  });
});

describe('trainTestSplit', () => {
  it('splits by fraction into disjoint parts covering every row', () => {
    const { train, test, trainIndices, testIndices } = trainTestSplit(ramp(101), { testFraction: 0.2, seed: 4 });
    expect(test.x.rows).toBe(20); // round(0.2 · 101)
    expect(train.x.rows).toBe(81);
    expect(train.name).toBe('ramp-train');
    expect(test.name).toBe('ramp-test');
    const all = [...trainIndices, ...testIndices].sort((a, b) => a - b);
    expect(all).toEqual([...Array(101).keys()]);
    expect(Array.from(trainIndices)).toEqual(Array.from(permutation(101, mulberry32(4)).subarray(0, 81)));
    for (let i = 0; i < 20; i++) {
      expect(test.x.data[2 * i]).toBe(testIndices[i]);
      expect(test.labels[i]).toBe(testIndices[i]! % 3);
    }
  });

  it('splits by size, deterministically', () => {
    const a = trainTestSplit(ramp(10), { testSize: 3, seed: 1 });
    const b = trainTestSplit(ramp(10), { testSize: 3, seed: 1 });
    expect(a.test.x.rows).toBe(3);
    expect(a.testIndices).toEqual(b.testIndices);
    expect(trainTestSplit(ramp(10), { testFraction: 0.01, seed: 1 }).test.x.rows).toBe(1); // at least one
  });

  it('validates its options', () => {
    const d = ramp(10);
    expect(() => trainTestSplit(d, { seed: 1 })).toThrow(
      /give exactly one of "testFraction" and "testSize", got neither/,
    );
    expect(() => trainTestSplit(d, { seed: 1, testFraction: 0.5, testSize: 2 })).toThrow(/got both/);
    expect(() => trainTestSplit(d, { seed: 1, testFraction: 1 })).toThrow(/"testFraction" must be in \(0, 1\), got 1/);
    expect(() => trainTestSplit(d, { seed: 1, testFraction: 0.99 })).toThrow(/leaves no training rows/);
    expect(() => trainTestSplit(d, { seed: 1, testSize: 10 })).toThrow(/"testSize" must be at most n − 1 = 9, got 10/);
    expect(() => trainTestSplit(d, { seed: 1, testSize: 0 })).toThrow(ArgumentError);
    expect(() => trainTestSplit(ramp(1), { seed: 1, testSize: 1 })).toThrow(DataError);
  });
});
