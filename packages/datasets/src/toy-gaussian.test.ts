import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { toScatter } from './scatter.js';
import { toyGaussian2d } from './toy-gaussian.js';

/** Mean and (biased) variance of each coordinate over the rows with `label`. */
function groupMoments(x: Float32Array, labels: Int32Array, label: number) {
  let n = 0;
  const sum = [0, 0];
  const sumSq = [0, 0];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== label) continue;
    n++;
    for (let d = 0; d < 2; d++) {
      sum[d]! += x[2 * i + d]!;
      sumSq[d]! += x[2 * i + d]! ** 2;
    }
  }
  const mean = sum.map((s) => s / n);
  return { n, mean, variance: sumSq.map((s, d) => s / n - mean[d]! ** 2) };
}

describe('toyGaussian2d', () => {
  it('has groups of 50·i points, 2,250 in all, labelled by group, shape [2], kind real', () => {
    const toy = toyGaussian2d({ seed: 1 });
    expect(toy.x.rows).toBe(2250);
    expect(toy.x.cols).toBe(2);
    expect(toy.x.data).toHaveLength(4500);
    expect(toy.labels).toHaveLength(2250);
    expect(toy.shape).toEqual([2]);
    expect(toy.kind).toBe('real');
    expect(toy.name).toBe('toy2d');
    for (let group = 0; group < 10; group++) {
      expect(toy.labels.filter((l) => l === group).length).toBe(50 * group);
    }
  });

  it('draws every group from N(0, I) by default (5 standard errors)', () => {
    const toy = toyGaussian2d({ seed: 2 });
    for (let group = 1; group < 10; group++) {
      const { n, mean, variance } = groupMoments(toy.x.data, toy.labels, group);
      for (let d = 0; d < 2; d++) {
        expect(Math.abs(mean[d]!)).toBeLessThan(5 / Math.sqrt(n));
        // the sample variance of N(0, 1) has standard error √(2/n)
        expect(Math.abs(variance[d]! - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
      }
    }
  });

  it('puts group i at radius·(cos 2πi/10, sin 2πi/10) with separated: true', () => {
    for (const radius of [5, 2]) {
      const toy = toyGaussian2d({ seed: 3, separated: true, ...(radius === 5 ? {} : { radius }) });
      expect(toy.name).toBe('toy2d-separated');
      for (let group = 1; group < 10; group++) {
        const { n, mean, variance } = groupMoments(toy.x.data, toy.labels, group);
        const angle = (2 * Math.PI * group) / 10;
        expect(Math.abs(mean[0]! - radius * Math.cos(angle))).toBeLessThan(5 / Math.sqrt(n));
        expect(Math.abs(mean[1]! - radius * Math.sin(angle))).toBeLessThan(5 / Math.sqrt(n));
        expect(Math.abs(variance[0]! - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
      }
    }
  });

  it('is deterministic in the seed', () => {
    expect(toyGaussian2d({ seed: 9 }).x.data).toEqual(toyGaussian2d({ seed: 9 }).x.data);
    expect(toyGaussian2d({ seed: 9 }).x.data).not.toEqual(toyGaussian2d({ seed: 10 }).x.data);
  });

  it('validates its options', () => {
    expect(() => toyGaussian2d({ seed: Number.NaN })).toThrow(ArgumentError);
    expect(() => toyGaussian2d({ seed: Number.NaN })).toThrow(/"seed" must be a finite number, got NaN/);
    expect(() => toyGaussian2d({ seed: 1, separated: true, radius: -1 })).toThrow(
      /"radius" must be a finite number > 0, got -1/,
    );
  });
});

describe('toScatter', () => {
  it('turns rows into { x, y, label } points', () => {
    const toy = toyGaussian2d({ seed: 4, separated: true });
    const scatter = toScatter(toy);
    expect(scatter.points).toHaveLength(2250);
    expect(scatter.labels).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(scatter.points[100]).toEqual({ x: toy.x.data[200], y: toy.x.data[201], label: toy.labels[100] });
    expect(JSON.parse(JSON.stringify(scatter)).points[0].label).toBe(1);
  });

  it('rejects data that is not 2-D', () => {
    const x = { data: new Float32Array(6), rows: 2, cols: 3 };
    expect(() => toScatter({ x, labels: new Int32Array(2) })).toThrow(/"dataset.x" must have 2 columns, got 3/);
    const y = { data: new Float32Array(4), rows: 2, cols: 2 };
    expect(() => toScatter({ x: y, labels: new Int32Array(3) })).toThrow(/one label per row \(2\), got 3/);
  });
});
