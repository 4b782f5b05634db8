import { describe, expect, it } from 'vitest';
import { mulberry32, permutation, standardNormal } from './random.js';

describe('mulberry32', () => {
  it('matches the reference recurrence for seed 0', () => {
    // Reference values computed by hand-translating the published C recurrence (uint32 arithmetic) in Python.
    const rng = mulberry32(0);
    const got = [rng(), rng(), rng()];
    expect(got[0]).toBeCloseTo(0.26642920868471265, 12);
    expect(got[1]).toBeCloseTo(0.0003297457005828619, 12);
    expect(got[2]).toBeCloseTo(0.2232720274478197, 12);
  });
  it('is deterministic per seed and differs across seeds', () => {
    const a = mulberry32(42),
      b = mulberry32(42),
      c = mulberry32(43);
    const xa = Array.from({ length: 5 }, a),
      xb = Array.from({ length: 5 }, b),
      xc = Array.from({ length: 5 }, c);
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });
});

describe('standardNormal', () => {
  it('has mean 0 and variance 1 within Monte-Carlo tolerance', () => {
    const rng = mulberry32(7);
    const n = 200_000;
    let s = 0,
      s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = standardNormal(rng);
      s += z;
      s2 += z * z;
    }
    const mean = s / n,
      variance = s2 / n - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n)); // 4 standard errors
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });
});

describe('permutation', () => {
  it('is a permutation', () => {
    const p = permutation(1000, mulberry32(1));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
