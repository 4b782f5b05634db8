import { describe, expect, it } from 'vitest';
import { sliceMedians } from './step-deciles.js';

describe('sliceMedians', () => {
  it('takes the median of each tenth', () => {
    // 20 steps: tenth k holds steps 2k and 2k + 1 (values 10k + 1 and 10k + 3): median 10k + 2
    const times = Array.from({ length: 20 }, (_, i) => 10 * (i >> 1) + (i % 2 === 0 ? 1 : 3));
    expect(sliceMedians(times)).toEqual([2, 12, 22, 32, 42, 52, 62, 72, 82, 92]);
  });

  it('is robust to an outlier within a slice and splits uneven counts', () => {
    // 7 steps in 3 slices: [0, 2), [2, 4), [4, 7)
    expect(sliceMedians([5, 1, 100, 3, 9, 1000, 7], 3)).toEqual([3, 51.5, 9]);
  });

  it('gives one median per entry for fewer entries than parts, none for none', () => {
    expect(sliceMedians([4, 2], 10)).toEqual([4, 2]);
    expect(sliceMedians([])).toEqual([]);
  });

  it('refuses a parts that is not a positive integer', () => {
    expect(() => sliceMedians([1], 0)).toThrow(RangeError);
    expect(() => sliceMedians([1], 1.5)).toThrow(RangeError);
  });
});
