import { ArgumentError, DataError, ShapeError, mulberry32, permutation } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { batches, batchesSync, type Batch } from './batches.js';
import type { Dataset } from './dataset.js';

/** Row i is (i, −i), label 100 + i. */
function ramp(n: number): Dataset {
  const data = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    data[2 * i] = i;
    data[2 * i + 1] = -i;
  }
  return {
    name: 'ramp',
    x: { data, rows: n, cols: 2 },
    labels: Int32Array.from({ length: n }, (_, i) => 100 + i),
    shape: [2],
    kind: 'real',
  };
}

function checkConsistent(batch: Batch): void {
  batch.indices.forEach((row, k) => {
    expect(batch.x.data[2 * k]).toBe(row);
    expect(batch.x.data[2 * k + 1]).toBe(-row);
    if (batch.labels) expect(batch.labels[k]).toBe(100 + row);
  });
}

describe('batchesSync', () => {
  it('yields batches in row order, the last one smaller', () => {
    const all = [...batchesSync(ramp(10), { batchSize: 4 })];
    expect(all.map((b) => b.x.rows)).toEqual([4, 4, 2]);
    expect(all.map((b) => Array.from(b.indices))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    all.forEach(checkConsistent);
    expect(all[0]!.x.cols).toBe(2);
  });

  it('drops the short last batch with dropLast', () => {
    expect([...batchesSync(ramp(10), { batchSize: 4, dropLast: true })].map((b) => b.x.rows)).toEqual([4, 4]);
    expect([...batchesSync(ramp(8), { batchSize: 4, dropLast: true })].map((b) => b.x.rows)).toEqual([4, 4]);
    expect([...batchesSync(ramp(3), { batchSize: 4, dropLast: true })]).toEqual([]);
  });

  it('shuffles with the seed, visiting every row once', () => {
    const all = [...batchesSync(ramp(23), { batchSize: 5, shuffle: true, seed: 9 })];
    all.forEach(checkConsistent);
    const visited = all.flatMap((b) => Array.from(b.indices));
    expect(visited).toEqual(Array.from(permutation(23, mulberry32(9))));
    expect([...visited].sort((a, b) => a - b)).toEqual([...Array(23).keys()]);
    const again = [...batchesSync(ramp(23), { batchSize: 5, shuffle: true, seed: 9 })];
    expect(again.map((b) => Array.from(b.indices))).toEqual(all.map((b) => Array.from(b.indices)));
  });

  it('accepts a bare Matrix (no labels) and copies rows', () => {
    const m = ramp(5).x;
    const [first] = [...batchesSync(m, { batchSize: 5 })];
    expect(first!.labels).toBeUndefined();
    first!.x.data[0] = 99;
    expect(m.data[0]).toBe(0);
  });

  it('validates at the call, naming the argument', () => {
    for (const bad of [0, -1, 2.5, Number.NaN, undefined]) {
      let error: unknown;
      try {
        batchesSync(ramp(5), { batchSize: bad as number });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toBe('batchSize');
      expect((error as Error).message).toMatch(/"batchSize" must be a positive integer, got/);
    }
    expect(() => batchesSync(ramp(0), { batchSize: 2 })).toThrow(DataError);
    expect(() => batchesSync(ramp(0), { batchSize: 2 })).toThrow(/"data" is empty \(0 rows\)/);
    expect(() => batchesSync(ramp(4), { batchSize: 2, shuffle: true })).toThrow(
      /"seed" must be a finite number, got undefined/,
    );
    expect(() => batchesSync({ data: new Float32Array(3), rows: 2, cols: 2 }, { batchSize: 2 })).toThrow(ShapeError);
  });
});

describe('batches (async)', () => {
  it('yields the same batches under for await', async () => {
    const collected: Batch[] = [];
    for await (const b of batches(ramp(11), { batchSize: 3, shuffle: true, seed: 2 })) collected.push(b);
    const sync = [...batchesSync(ramp(11), { batchSize: 3, shuffle: true, seed: 2 })];
    expect(collected.map((b) => Array.from(b.indices))).toEqual(sync.map((b) => Array.from(b.indices)));
    collected.forEach(checkConsistent);
  });

  it('throws at the call for bad arguments', () => {
    expect(() => batches(ramp(3), { batchSize: 0 })).toThrow(/"batchSize" must be a positive integer, got 0/);
    expect(() => batches(ramp(0), { batchSize: 1 })).toThrow(DataError);
  });
});
