import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random.js';
import { logGamma, sampleGamma, samplePoisson } from './samplers.js';

function moments(draw: () => number, n: number): { mean: number; variance: number } {
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const x = draw(); s += x; s2 += x * x; }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean };
}

describe('logGamma', () => {
  it('matches closed forms', () => {
    // Γ(n) = (n−1)!, Γ(½) = √π
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(171)).toBeCloseTo(706.5730622457874, 9); // Python math.lgamma(171) = log(170!)
    expect(logGamma(1e-6)).toBeCloseTo(13.81550998074943, 9); // Python math.lgamma(1e-6)
  });
});

describe('samplePoisson', () => {
  it.each([1e-3, 0.5, 3, 9.99, 10, 37.5, 1e4])('has mean and variance equal to the rate %s', (rate) => {
    const n = 100_000;
    const rng = mulberry32(Math.round(rate * 1000) + 1);
    const { mean, variance } = moments(() => samplePoisson(rate, rng), n);
    // standard error of the mean √(λ/n); of the variance ≈ √((2λ² + λ)/n)
    expect(Math.abs(mean - rate)).toBeLessThan(5 * Math.sqrt(rate / n));
    expect(Math.abs(variance - rate)).toBeLessThan(5 * Math.sqrt((2 * rate * rate + rate) / n) + 1e-9);
  });
  it('returns non-negative integers and 0 for rate 0', () => {
    const rng = mulberry32(3);
    expect(samplePoisson(0, rng)).toBe(0);
    for (let i = 0; i < 1000; i++) { const k = samplePoisson(50, rng); expect(Number.isInteger(k) && k >= 0).toBe(true); }
  });
});

describe('sampleGamma', () => {
  it.each([0.1, 1, 2.5, 100])('has mean α and variance α for concentration %s', (alpha) => {
    const n = 100_000;
    const rng = mulberry32(Math.round(alpha * 10) + 5);
    const { mean, variance } = moments(() => sampleGamma(alpha, rng), n);
    expect(Math.abs(mean - alpha)).toBeLessThan(5 * Math.sqrt(alpha / n));
    // Var of the sample variance for Gamma: (μ4 − σ⁴)/n with μ4 = 3α² + 6α
    expect(Math.abs(variance - alpha)).toBeLessThan(5 * Math.sqrt((3 * alpha * alpha + 6 * alpha - alpha * alpha) / n));
  });
});
