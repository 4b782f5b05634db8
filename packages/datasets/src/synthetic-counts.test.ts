import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { syntheticCounts } from './synthetic-counts.js';

/** Mean of `values` and the standard error of that mean (from the sample standard deviation). */
function meanAndSe(values: ArrayLike<number>): { mean: number; se: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (n - 1) / n) };
}

describe('syntheticCounts', () => {
  it('returns counts with the documented shapes and ground truth', () => {
    const d = syntheticCounts({ n: 300, dim: 12, latentDim: 3, seed: 1 });
    expect(d.kind).toBe('counts');
    expect(d.shape).toEqual([12]);
    expect([d.x.rows, d.x.cols]).toEqual([300, 12]);
    expect([d.latents.rows, d.latents.cols]).toEqual([300, 3]);
    expect([d.rates.rows, d.rates.cols]).toEqual([300, 12]);
    expect([d.loadings.rows, d.loadings.cols]).toEqual([12, 3]);
    expect(d.bias).toHaveLength(12);
    expect(d.noise).toBe('poisson');
    expect(d.dispersion).toBe(Infinity);
    expect(d.x.data.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
    // rates = exp(W z + b), recomputed here from the returned truth
    for (let i = 0; i < 300; i += 37) {
      for (let j = 0; j < 12; j++) {
        let logRate = d.bias[j]!;
        for (let k = 0; k < 3; k++) logRate += d.loadings.data[j * 3 + k]! * d.latents.data[i * 3 + k]!;
        expect(d.rates.data[i * 12 + j]).toBeCloseTo(Math.exp(logRate), 4);
      }
      // labels = argmax of the latent
      const z = Array.from(d.latents.data.subarray(i * 3, i * 3 + 3));
      expect(d.labels[i]).toBe(z.indexOf(Math.max(...z)));
    }
  });

  it('is deterministic, and W does not depend on n', () => {
    const a = syntheticCounts({ n: 50, dim: 8, latentDim: 2, seed: 7 });
    const b = syntheticCounts({ n: 50, dim: 8, latentDim: 2, seed: 7 });
    const c = syntheticCounts({ n: 80, dim: 8, latentDim: 2, seed: 7 });
    expect(a.x.data).toEqual(b.x.data);
    expect(c.loadings.data).toEqual(a.loadings.data);
    expect(c.latents.data.subarray(0, 100)).toEqual(a.latents.data);
    expect(syntheticCounts({ n: 50, dim: 8, latentDim: 2, seed: 8 }).x.data).not.toEqual(a.x.data);
  });

  it('has E_z[rate] = meanCount for every feature (5 standard errors)', () => {
    const d = syntheticCounts({ n: 4000, dim: 5, latentDim: 2, seed: 3, meanCount: 7 });
    for (let j = 0; j < 5; j++) {
      const column = Array.from({ length: 4000 }, (_, i) => d.rates.data[i * 5 + j]!);
      const { mean, se } = meanAndSe(column);
      expect(Math.abs(mean - 7)).toBeLessThan(5 * se);
    }
  });

  // Conditional on the true rates, the standardized residual r = (x − E[x|μ]) / √Var[x|μ] has mean 0 and variance 1;
  // the tolerances are 5 standard errors estimated from the residuals themselves.
  it.each([
    ['poisson', undefined, 0],
    ['negative-binomial', 2, 0],
    ['negative-binomial', 0.5, 0.3],
    ['poisson', undefined, 0.2],
  ] as const)('matches the conditional mean and variance: %s, θ = %s, π = %s', (noise, dispersion, pi) => {
    const d = syntheticCounts({
      n: 2000,
      dim: 10,
      latentDim: 3,
      seed: 11,
      noise,
      ...(dispersion === undefined ? {} : { dispersion }),
      zeroInflation: pi,
    });
    expect(d.zeroInflation).toBe(pi);
    const theta = dispersion ?? Infinity;
    const residuals = new Float64Array(d.x.data.length);
    const squares = new Float64Array(d.x.data.length);
    for (let c = 0; c < residuals.length; c++) {
      const mu = d.rates.data[c]!;
      const mean = (1 - pi) * mu;
      const variance = (1 - pi) * (mu + (mu * mu) / theta) + pi * (1 - pi) * mu * mu;
      residuals[c] = (d.x.data[c]! - mean) / Math.sqrt(variance);
      squares[c] = residuals[c]! ** 2;
    }
    const first = meanAndSe(residuals);
    expect(Math.abs(first.mean)).toBeLessThan(5 * first.se);
    const second = meanAndSe(squares);
    expect(Math.abs(second.mean - 1)).toBeLessThan(5 * second.se);
  });

  it('adds the expected fraction of zeros with zeroInflation', () => {
    const pi = 0.4;
    const d = syntheticCounts({ n: 1000, dim: 10, latentDim: 2, seed: 5, zeroInflation: pi });
    let expected = 0;
    let variance = 0;
    let observed = 0;
    for (let c = 0; c < d.x.data.length; c++) {
      const p = pi + (1 - pi) * Math.exp(-d.rates.data[c]!);
      expected += p;
      variance += p * (1 - p);
      if (d.x.data[c] === 0) observed++;
    }
    expect(Math.abs(observed - expected)).toBeLessThan(5 * Math.sqrt(variance));
  });

  it('validates its options, naming the argument', () => {
    const base = { n: 10, dim: 3, latentDim: 2, seed: 1 };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ n: 0 }, 'n', /"n" must be a positive integer, got 0/],
      [{ dim: 2.5 }, 'dim', /"dim" must be a positive integer, got 2.5/],
      [{ latentDim: -1 }, 'latentDim', /"latentDim" must be a positive integer, got -1/],
      [{ seed: undefined }, 'seed', /"seed" must be a finite number, got undefined/],
      [{ noise: 'gaussian' }, 'noise', /"noise" must be one of "poisson", "negative-binomial", got "gaussian"/],
      [{ noise: 'negative-binomial', dispersion: 0 }, 'dispersion', /"dispersion" must be a finite number > 0, got 0/],
      [{ zeroInflation: 1 }, 'zeroInflation', /"zeroInflation" must be in \[0, 1\), got 1/],
      [{ meanCount: -5 }, 'meanCount', /"meanCount" must be a finite number > 0, got -5/],
    ];
    for (const [patch, argument, message] of cases) {
      const call = () => syntheticCounts({ ...base, ...patch } as Parameters<typeof syntheticCounts>[0]);
      expect(call).toThrow(ArgumentError);
      expect(call).toThrow(message);
      try {
        call();
      } catch (e) {
        expect((e as ArgumentError).argument).toBe(argument);
      }
    }
  });
});
