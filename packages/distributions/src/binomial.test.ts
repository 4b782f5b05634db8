import * as tf from '@tensorflow/tfjs-core';
import { logGamma } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectNoLeak } from '../test/helpers.js';
import { expectAllClose, expectChiSquare, expectMatchesTorch, torch } from '../test/torch.js';
import { Binomial, type BinomialParams } from './binomial.js';

const pmf = (n: number, p: number) => (k: number) =>
  k < 0 || k > n
    ? 0
    : Math.exp(logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p));

describe('Binomial', () => {
  it('matches torch: logProb, mean, variance, mode, entropy; cdf by the incomplete beta (SciPy)', () => {
    expectMatchesTorch(torch.binomial!, (p) => new Binomial(p as unknown as BinomialParams), {
      rtol: 2e-5,
      atol: 2e-6,
    });
  });
  it('samples pass a χ² test (inversion for small n, beta splitting for large n)', () => {
    for (const [n, p, seed] of [
      [10, 0.3, 1],
      [7, 0.9, 2],
      [1000, 0.3, 3],
      [100000, 0.001, 4],
    ] as const) {
      const d = new Binomial({ totalCount: n, probs: p });
      const x = d.sample([4000], { seed });
      expectChiSquare(
        x.dataSync(),
        pmf(n, p),
        Array.from({ length: Math.min(n, 2000) + 1 }, (_, k) => k),
      );
      x.dispose();
      d.dispose();
    }
  });
  it('enumerateSupport: [n + 1, ...batch]; needs one n for the batch', () => {
    const d = new Binomial({ totalCount: 3, probs: [0.2, 0.7] });
    expectNoLeak(() => {
      const s = d.enumerateSupport();
      expect(s.shape).toEqual([4, 2]);
      expectAllClose(s, [0, 0, 1, 1, 2, 2, 3, 3]);
      const t = d.enumerateSupport(false);
      expect(t.shape).toEqual([4, 1]);
      return [s, t];
    });
    d.dispose();
    const mixed = new Binomial({ totalCount: [2, 3], probs: 0.5 });
    expect(() => mixed.enumerateSupport()).toThrowError(/same "totalCount"/);
    mixed.dispose();
  });
  it('is exact at p ∈ {0, 1}: log p = 0 at the certain count, −∞ elsewhere, entropy 0', () => {
    tf.tidy(() => {
      const d = new Binomial({ totalCount: 4, probs: [0, 1] });
      expectAllClose(
        d.logProb([
          [0, 4],
          [1, 3],
        ]),
        [0, 0, -Infinity, -Infinity],
      );
      expectAllClose(d.entropy(), [0, 0]);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Binomial({ totalCount: 2.5, probs: 0.5 })).toThrowError(
      /Binomial: "totalCount" must be finite and a non-negative integer, got 2.5/,
    );
    const d = new Binomial({ totalCount: 3, probs: 0.5 });
    expect(() => d.logProb(4)).toThrowError(/"value" must be finite and an integer in \[0, totalCount\], got 4/);
    d.dispose();
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Binomial({ totalCount: 5, logits: [0.5, -1] }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
    );
  });
});
