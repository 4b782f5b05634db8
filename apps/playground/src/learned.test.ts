import { describe, expect, it } from 'vitest';
import { baselineNll, labelShare } from './learned.js';

describe('labelShare (η²)', () => {
  it('is 1 when each label sits on one point, 0 when every label has the same mean, and skips unlabelled rows', () => {
    expect(labelShare({ data: [0, 0, 0, 0, 5, 5, 5, 5], rows: 4, cols: 2 }, [1, 1, 2, 2])).toBe(1);
    expect(labelShare({ data: [-1, 1, -1, 1], rows: 4, cols: 1 }, [1, 1, 2, 2])).toBe(0);
    expect(labelShare({ data: [0, 0, 0], rows: 3, cols: 1 }, [1, 2, 3])).toBe(0);
  });

  it('matches the hand computation: 1-D, groups {0, 2} and {4}', () => {
    // mean 2; total SS = 4 + 0 + 4 = 8; between = 2·(1 − 2)² + 1·(4 − 2)² = 6 → 0.75
    expect(labelShare({ data: [0, 2, 4], rows: 3, cols: 1 }, [0, 0, 1])).toBeCloseTo(0.75, 12);
    expect(labelShare({ data: [0, 2, 4, 99], rows: 4, cols: 1 }, [0, 0, 1, -1])).toBeCloseTo(0.75, 12);
  });
});

describe('baselineNll', () => {
  const train = { data: [0, 1, 1, 1], rows: 2, cols: 2 }; // feature means 0.5 and 1
  it('Bernoulli: −log 0.5 for the first feature, ≈ 0 for the always-on second (clipped at 1 − 1e-6)', () => {
    expect(baselineNll('bernoulli', train, { data: [1, 1], rows: 1, cols: 2 })).toBeCloseTo(
      Math.log(2) - Math.log(1 - 1e-6),
      9,
    );
  });
  it('Poisson: λ − x log λ + log x! per feature', () => {
    const counts = { data: [2, 4, 4, 4], rows: 2, cols: 2 }; // λ = 3, 4
    const nll = (x: number, l: number, fact: number) => l - x * Math.log(l) + Math.log(fact);
    expect(baselineNll('poisson', counts, { data: [3, 5], rows: 1, cols: 2 })).toBeCloseTo(
      nll(3, 3, 6) + nll(5, 4, 120),
      9,
    );
    // large counts: Stirling's series for log Γ(x + 1), checked against log 30! = 74.65823634883016 (Python's math.log(math.factorial(30)))
    expect(baselineNll('poisson', { data: [30], rows: 1, cols: 1 }, { data: [30], rows: 1, cols: 1 })).toBeCloseTo(
      30 - 30 * Math.log(30) + 74.65823634883016,
      9,
    );
  });
  it('Gaussian: ½ log(2πσ²) + (x − μ)²/(2σ²) with the maximum-likelihood σ²', () => {
    const g = { data: [1, 3], rows: 2, cols: 1 }; // μ = 2, σ² = 1
    expect(baselineNll('gaussian', g, { data: [4], rows: 1, cols: 1 })).toBeCloseTo(
      0.5 * Math.log(2 * Math.PI) + 2,
      12,
    );
  });
});
