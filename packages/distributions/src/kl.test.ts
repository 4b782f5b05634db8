import * as tf from '@tensorflow/tfjs-core';
import { NotImplementedError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../test/helpers.js';
import { Bernoulli } from './bernoulli.js';
import type { Distribution } from './distribution.js';
import { Independent } from './independent.js';
import { klDivergence, registerKL, registeredKLPairs } from './kl.js';
import { Normal } from './normal.js';
import { Poisson } from './poisson.js';

/** Monte-Carlo KL and its standard error from n samples of log p − log q under p. */
function monteCarloKL(p: Distribution, q: Distribution, n: number, seed: number): { mean: number[]; se: number[] } {
  return tf.tidy(() => {
    const x = p.sample([n], { seed });
    const diff = tf.sub(p.logProb(x), q.logProb(x));
    const { mean, variance } = tf.moments(diff, 0);
    return { mean: Array.from(mean.dataSync()), se: Array.from(tf.sqrt(tf.div(variance, n)).dataSync()) };
  });
}

function expectWithin4SE(analytic: tf.Tensor, mc: { mean: number[]; se: number[] }): void {
  const a = analytic.dataSync();
  mc.mean.forEach((m, i) => expect(Math.abs(a[i]! - m)).toBeLessThanOrEqual(4 * mc.se[i]! + 1e-6));
}

describe('klDivergence', () => {
  it('Normal‖Normal: closed form and Monte Carlo agree within 4 standard errors', () => {
    tf.tidy(() => {
      const p = new Normal({ loc: [0, 1, -2], scale: [1, 0.5, 3] });
      const q = new Normal({ loc: [0.5, 0, 0], scale: [2, 1, 1] });
      const kl = klDivergence(p, q);
      // hand-computed first element: log 2 + (1 + 0.25)/8 − ½
      expect(kl.dataSync()[0]).toBeCloseTo(Math.log(2) + 1.25 / 8 - 0.5, 5);
      expectWithin4SE(kl, monteCarloKL(p, q, 50000, 1));
    });
  });

  it('Bernoulli‖Bernoulli and Poisson‖Poisson agree with Monte Carlo', () => {
    tf.tidy(() => {
      const p = new Bernoulli({ probs: [0.2, 0.7] });
      const q = new Bernoulli({ probs: [0.5, 0.1] });
      expectWithin4SE(klDivergence(p, q), monteCarloKL(p, q, 50000, 2));
      const a = new Poisson({ rate: [0.5, 10] });
      const b = new Poisson({ rate: [2, 7] });
      expectWithin4SE(klDivergence(a, b), monteCarloKL(a, b, 50000, 3));
    });
  });

  it('Independent‖Independent sums the base KL over the event dims', () => {
    tf.tidy(() => {
      const p = new Independent(new Normal({ loc: [[0, 1]], scale: [[1, 2]] }), 1);
      const q = new Independent(new Normal({ loc: [[0, 0]], scale: [[1, 1]] }), 1);
      const kl = klDivergence(p, q);
      expect(kl.shape).toEqual([1]);
      // element 2: log(1/2) + (4 + 1)/2 − ½
      expect(kl.dataSync()[0]).toBeCloseTo(0 + (Math.log(0.5) + 2.5 - 0.5), 5);
    });
  });

  it('throws a typed error listing registered pairs, and falls back to Monte Carlo on request', () => {
    const p = new Normal({ loc: 1, scale: 1 });
    const q = new Poisson({ rate: 1 }, { validateArgs: false });
    expect(() => klDivergence(p, q)).toThrowError(NotImplementedError);
    expect(() => klDivergence(p, q)).toThrowError(/Normal‖Normal/);
    expect(registeredKLPairs()).toContain('Poisson‖Poisson');
    tf.tidy(() => {
      const est = klDivergence(new Normal({ loc: 0, scale: 1 }), new Normal({ loc: 1, scale: 1 }), { monteCarlo: 10 });
      expect(est.shape).toEqual([]);
    });
    p.dispose();
    q.dispose();
  });

  it('dispatches to the most specific registered pair', () => {
    class WideNormal extends Normal {}
    registerKL(WideNormal, Normal, () => tf.scalar(42));
    tf.tidy(() => {
      const w = new WideNormal({ loc: 0, scale: 1 });
      const n = new Normal({ loc: 0, scale: 1 });
      expect(klDivergence(w, n).dataSync()[0]).toBe(42);
      expect(klDivergence(n, w).dataSync()[0]).toBeCloseTo(0, 6); // falls back to Normal‖Normal
    });
  });

  it('does not leak', () => {
    tf.tidy(() => {
      const p = new Normal({ loc: [0, 1], scale: [1, 2] });
      const q = new Normal({ loc: 0, scale: 1 });
      expectNoLeak(() => klDivergence(p, q));
      expectNoLeak(() => klDivergence(p, q, { monteCarlo: 5 }));
    });
  });
});
