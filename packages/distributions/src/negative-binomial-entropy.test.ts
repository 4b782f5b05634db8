import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '../test/helpers.js';
import { NegativeBinomial } from './negative-binomial.js';
import { ZeroInflatedNegativeBinomial } from './zero-inflated-negative-binomial.js';

/*
 * The NB entropy at large means (issue 14 leftover: it threw past 2^20 terms). References (scripts/nb-entropy-reference.py):
 * up to μ = 1e7 the float64 sum of −p log p over every count to the (1 − 1e-15) quantile with scipy's nbinom (Boost);
 * beyond, the large-mean limit H = log(μ/r) + r + lgamma(r) + (1 − r)ψ(r) in mpmath, whose error O(r/μ) is below 1e-9
 * there (1e-7 against the sum at μ = 1e7). Tolerance: 5e-7 relative plus 1e-6 absolute (a few float32 ulps of H).
 */
const timed = <T>(f: () => T): T => {
  const start = performance.now();
  const out = f();
  expect(performance.now() - start).toBeLessThan(2000);
  return out;
};

const entropyOf = (mean: number, dispersion: number): number =>
  tf.tidy(() => timed(() => NegativeBinomial.fromMeanDispersion({ mean, dispersion }).entropy().dataSync()[0]!));

describe('NegativeBinomial entropy at large means', () => {
  it.each([
    [1e5, 2, 12.397003948820844],
    [1e6, 0.5, 14.599669111663879],
    [1e6, 50, 13.271762500286503],
    [3e6, 1e4, 11.729521755659297],
    [1e7, 2, 17.002164235299787],
    [2e5, 1e6, 7.613134948046496],
    [1e5, 0.05, 6.064576998010739],
  ])('mean %d, r = %d: the float64 sum over the support (scipy)', (mean, r, expected) => {
    expectClose(entropyOf(mean, r), expected, 5e-7, 1e-6);
  });

  it.each([
    [1e10, 2, 23.909919414282044],
    [1e20, 2, 46.935770344222504],
    [1e30, 0.5, 69.86130990029531],
    [1e12, 1e3, 25.595748592964384],
  ])('mean %d, r = %d: the large-mean limit (mpmath)', (mean, r, expected) => {
    expectClose(entropyOf(mean, r), expected, 5e-7, 1e-6);
  });

  it('gradients at mean 1e10, r = 2 match the limit: ∂H/∂μ = 1/μ, ∂H/∂r = 1 − 1/r + (1 − r)ψ′(r)', () => {
    tf.tidy(() => {
      const [dMean, dR] = tf.grads((m: tf.Tensor, r: tf.Tensor) =>
        NegativeBinomial.fromMeanDispersion({ mean: m, dispersion: r }).entropy(),
      )([tf.scalar(1e10), tf.scalar(2)]);
      expectClose(dMean!, 1e-10, 1e-3, 0);
      expectClose(dR!, -0.14493406684822643, 1e-4, 0);
    });
  });

  it('a batch mixing a small mean (exact sum) and a large one (quadrature) gives each its own value', () => {
    tf.tidy(() => {
      const d = NegativeBinomial.fromMeanDispersion({ mean: [5, 1e7], dispersion: 2 });
      expectClose(d.entropy(), [2.6438386497582167, 17.002164235299787], 5e-7, 1e-6);
    });
  });

  it('ZINB at mean 1e8 (θ = 2, gate 0.3) matches the closed form over the NB limit (mpmath)', () => {
    tf.tidy(() => {
      const zinb = new ZeroInflatedNegativeBinomial({ mean: 1e8, dispersion: 2, gate: 0.3 });
      expectClose(
        timed(() => zinb.entropy()),
        14.124188761860651,
        5e-7,
        1e-6,
      );
    });
  });

  it('leaks nothing; a mean beyond the float32 range of the quadrature (~1e37) or too large a batch is an ArgumentError', () => {
    expectNoLeak(() => tf.tidy(() => NegativeBinomial.fromMeanDispersion({ mean: 1e8, dispersion: 2 }).entropy()));
    expectNoLeak(() => {
      const huge = NegativeBinomial.fromMeanDispersion({ mean: 3e38, dispersion: 2 });
      expect(() => timed(() => huge.entropy())).toThrowError(ArgumentError);
      const wide = NegativeBinomial.fromMeanDispersion({ mean: new Array(5000).fill(1e8), dispersion: 0.05 });
      expect(() => timed(() => wide.entropy())).toThrowError(/quadrature needs/);
      huge.dispose();
      wide.dispose();
    });
  });
});
