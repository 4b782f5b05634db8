import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '../test/helpers.js';
import { NegativeBinomial } from './negative-binomial.js';
import { ZeroInflatedNegativeBinomial } from './zero-inflated-negative-binomial.js';
import { ZeroInflatedPoisson } from './zero-inflated-poisson.js';

/*
 * Large-mean count entropies (issue 13: no input may hang). References: mpmath (30 digits) sums of −p log p over
 * λ ± 14√λ for the Poisson part (λ = 1e4, 1e8) and the zero-inflated mixture from it; at λ = 1e30 the Poisson series
 * ½ log(2πeλ) − 1/(12λ); the NB sum runs over k until log p(k) < −60 past the mean.
 */
const timed = <T>(f: () => T): T => {
  const start = performance.now();
  const out = f();
  expect(performance.now() - start).toBeLessThan(1000);
  return out;
};

describe('count entropies at large means', () => {
  it('ZeroInflatedPoisson at rates 1e4, 1e8, 1e30 matches mpmath within 1e-6 and returns within a second', () => {
    const cases: [number, number, number][] = [
      [1e4, 0.5, 3.705197373281301],
      [1e4, 0.2, 5.319682731892357],
      [1e8, 0.5, 6.007786632733707],
      [1e8, 0.2, 9.0038255470162056],
      [1e8, 0, 10.629278904347522],
      [1e30, 0.5, 18.672004644617623],
      [1e30, 0, 35.957714928115358],
      [1e30, 1, 0],
    ];
    for (const [rate, gate, h] of cases)
      tf.tidy(() =>
        expectClose(
          timed(() => new ZeroInflatedPoisson({ rate, gate }).entropy()),
          h,
          1e-6,
          1e-6,
        ),
      );
    tf.tidy(() =>
      expectClose(
        timed(() => new ZeroInflatedPoisson({ rate: 1e30, gateLogits: 0 }).entropy()),
        18.672004644617623,
        1e-6,
        1e-6,
      ),
    );
  });
  it('the ZIP entropy at rate 1e30 has finite gradients and leaks nothing', () => {
    expectNoLeak(() =>
      tf.tidy(() => {
        const [gr, gg] = tf.grads((r: tf.Tensor, g: tf.Tensor) =>
          new ZeroInflatedPoisson({ rate: r, gate: g }).entropy(),
        )([tf.tensor([1e30, 1e8]), tf.tensor([0.5, 1])]);
        expect([...gr!.dataSync(), ...gg!.dataSync()].every(Number.isFinite)).toBe(true);
      }),
    );
  });
  it('NegativeBinomial and ZINB at mean 1e4 (r = 2) match mpmath within 1e-5', () => {
    tf.tidy(() => {
      expectClose(
        NegativeBinomial.fromMeanDispersion({ mean: 1e4, dispersion: 2 }).entropy(),
        10.094508814908526,
        1e-5,
        0,
      );
      const zinb = new ZeroInflatedNegativeBinomial({ mean: 1e4, dispersion: 2, gate: 0.3 });
      expectClose(zinb.entropy(), 7.677019991433625, 1e-5, 0);
    });
  });
  it('NegativeBinomial and ZINB with a mean beyond the float32 range of the entropy quadrature throw an ArgumentError at once (no hang, no leak)', () => {
    // means up to ~1e36 are integrated (negative-binomial-entropy.test.ts); these are beyond
    for (const mean of [3e38, 1e38])
      expectNoLeak(() => {
        const nb = NegativeBinomial.fromMeanDispersion({ mean, dispersion: 2 });
        expect(() => timed(() => nb.entropy())).toThrow(ArgumentError);
        const zinb = new ZeroInflatedNegativeBinomial({ mean, dispersion: 2, gate: 0.5 });
        expect(() => timed(() => zinb.entropy())).toThrow(ArgumentError);
        nb.dispose();
        zinb.dispose();
      });
  });
});
