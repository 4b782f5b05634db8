import { ArgumentError } from './errors.js';
import { mulberry32 } from './random.js';
import { describe, expect, it } from 'vitest';
import { logGamma, sampleBernoulli, sampleGamma, sampleNegativeBinomial, samplePoisson } from './samplers.js';

/** Sample mean and unbiased variance of `n` draws. */
function moments(n: number, draw: () => number): { mean: number; variance: number } {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const v = draw();
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / n;
  return { mean, variance: (sumSq - n * mean * mean) / (n - 1) };
}

/*
 * Monte-Carlo tolerances: with n draws the sample mean has standard error √(σ²/n) and the sample variance
 * √((μ₄ − σ⁴)/n). Every check allows 5 standard errors (a false alarm chance ≈ 6e-7 per check; the seeds are
 * fixed anyway, so the suite is deterministic).
 */
describe('samplePoisson', () => {
  // Poisson: σ² = λ, μ₄ − σ⁴ = λ + 2λ².
  it.each([
    [1e-3, 400_000],
    [0.5, 100_000],
    [3, 100_000],
    [9.99, 100_000],
    [10, 100_000],
    [37.5, 100_000],
    [1e4, 100_000],
  ])('matches mean and variance λ at λ = %s', (rate, n) => {
    const rng = mulberry32(1234);
    const { mean, variance } = moments(n, () => samplePoisson(rng, rate));
    expect(Math.abs(mean - rate)).toBeLessThan(5 * Math.sqrt(rate / n));
    expect(Math.abs(variance - rate)).toBeLessThan(5 * Math.sqrt((rate + 2 * rate * rate) / n));
  });

  it('returns non-negative integers, and 0 for λ = 0', () => {
    const rng = mulberry32(7);
    expect(samplePoisson(rng, 0)).toBe(0);
    for (const rate of [1e-3, 2, 15, 1e4]) {
      for (let i = 0; i < 1000; i++) {
        const k = samplePoisson(rng, rate);
        expect(Number.isInteger(k) && k >= 0).toBe(true);
      }
    }
  });

  // A goodness-of-fit test on both branches against the pmf computed independently by p(k) = p(k−1)·λ/k.
  it.each([4, 30, 250])('matches the pmf at λ = %s (χ² test)', (rate) => {
    const n = 100_000;
    const rng = mulberry32(99);
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const k = samplePoisson(rng, rate);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    // pmf by recurrence in log space, starting at k = 0.
    let logP = -rate;
    let chi2 = 0;
    let bins = 0;
    let tailObserved = n;
    let tailExpected = n;
    for (let k = 0; k < rate * 3 + 50; k++) {
      if (k > 0) logP += Math.log(rate / k);
      const expected = n * Math.exp(logP);
      const observed = counts.get(k) ?? 0;
      if (expected >= 20) {
        chi2 += (observed - expected) ** 2 / expected;
        bins++;
        tailObserved -= observed;
        tailExpected -= expected;
      }
    }
    chi2 += (tailObserved - tailExpected) ** 2 / tailExpected;
    bins++;
    const df = bins - 1;
    // χ²(df) has mean df and sd √(2 df): 5 sd above the mean is far in the tail.
    expect(chi2).toBeLessThan(df + 5 * Math.sqrt(2 * df));
  });

  it('rejects negative, NaN and infinite rates with ArgumentError naming "rate"', () => {
    const rng = mulberry32(1);
    for (const bad of [-1, Number.NaN, Infinity]) {
      expect(() => samplePoisson(rng, bad)).toThrow(ArgumentError);
      expect(() => samplePoisson(rng, bad)).toThrow(/"rate" must be a finite number ≥ 0, got/);
    }
  });
});

describe('sampleGamma', () => {
  // Gamma(α, β): mean α/β, variance α/β², μ₄ − σ⁴ = (3α(α+2) − α²)/β⁴ = (2α² + 6α)/β⁴.
  it.each([
    [0.1, 1],
    [0.5, 2],
    [1, 1],
    [2.5, 0.5],
    [100, 10],
  ])('matches mean α/β and variance α/β² at α = %s, β = %s', (alpha, beta) => {
    const n = 100_000;
    const rng = mulberry32(42);
    const { mean, variance } = moments(n, () => sampleGamma(rng, alpha, beta));
    const sigma2 = alpha / beta ** 2;
    expect(Math.abs(mean - alpha / beta)).toBeLessThan(5 * Math.sqrt(sigma2 / n));
    expect(Math.abs(variance - sigma2)).toBeLessThan(5 * Math.sqrt((2 * alpha ** 2 + 6 * alpha) / beta ** 4 / n));
  });

  it('rejects bad parameters', () => {
    const rng = mulberry32(1);
    expect(() => sampleGamma(rng, 0)).toThrow(/"concentration" must be a finite number > 0, got 0/);
    expect(() => sampleGamma(rng, 1, -2)).toThrow(/"rate" must be a finite number > 0, got -2/);
  });
});

describe('sampleNegativeBinomial', () => {
  // NB(μ, θ): variance μ + μ²/θ. The relative tolerance on the variance is 5 standard errors √((μ₄ − σ⁴)/n)/σ²,
  // with μ₄ the exact fourth central moment summed over the pmf (in Python, once) for n = 200,000.
  it.each([
    [5, 2, 0.0252],
    [0.5, 0.5, 0.0434],
    [50, 20, 0.017],
  ])('matches mean μ and variance μ + μ²/θ at μ = %s, θ = %s', (mu, theta, varianceTolerance) => {
    const n = 200_000;
    const rng = mulberry32(5);
    const { mean, variance } = moments(n, () => sampleNegativeBinomial(rng, mu, theta));
    const sigma2 = mu + (mu * mu) / theta;
    expect(Math.abs(mean - mu)).toBeLessThan(5 * Math.sqrt(sigma2 / n));
    expect(Math.abs(variance - sigma2) / sigma2).toBeLessThan(varianceTolerance);
  });

  it('returns 0 for mean 0 and rejects bad dispersion', () => {
    const rng = mulberry32(1);
    expect(sampleNegativeBinomial(rng, 0, 1)).toBe(0);
    expect(() => sampleNegativeBinomial(rng, 1, 0)).toThrow(/"dispersion" must be a finite number > 0/);
    expect(() => sampleNegativeBinomial(rng, -1, 1)).toThrow(/"mean" must be a finite number ≥ 0/);
  });
});

describe('sampleBernoulli', () => {
  it('has mean p', () => {
    const rng = mulberry32(3);
    const n = 100_000;
    const { mean } = moments(n, () => sampleBernoulli(rng, 0.3));
    expect(Math.abs(mean - 0.3)).toBeLessThan(5 * Math.sqrt((0.3 * 0.7) / n));
    expect(sampleBernoulli(rng, 0)).toBe(0);
    expect(sampleBernoulli(rng, 1)).toBe(1);
    expect(() => sampleBernoulli(rng, 1.5)).toThrow(/"probs" must be in \[0, 1\], got 1.5/);
  });
});

describe('logGamma', () => {
  it('matches log((n−1)!) and Γ(1/2) = √π', () => {
    let logFactorial = 0;
    for (let n = 1; n <= 170; n++) {
      if (n > 1) logFactorial += Math.log(n - 1);
      expect(logGamma(n)).toBeCloseTo(logFactorial, 9);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    // Γ(0.1) = 9.513507698668732 (Abramowitz & Stegun 6.1).
    expect(logGamma(0.1)).toBeCloseTo(Math.log(9.513507698668732), 12);
  });
});
