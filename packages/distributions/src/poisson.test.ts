import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectFixture, expectNoLeak, fixtures } from '../test/helpers.js';
import { Poisson } from './poisson.js';

describe('Poisson', () => {
  it('logProb and entropy match SciPy for rates 1e-3…1e4', () => {
    for (const c of fixtures.poisson) {
      const d = new Poisson({ rate: c.rate });
      // float32: log λ·x and λ are each O(1e4·9) for the largest case, so compare with a relative tolerance
      expectClose(d.logProb(c.x), c.logProb, 2e-5, 1e-4);
      expectClose(d.entropy(), c.entropy, 1e-4, 1e-5);
      d.dispose();
    }
  });

  it('accepts logRate and agrees with rate', () => {
    tf.tidy(() => {
      const a = new Poisson({ rate: [0.5, 4] });
      const b = new Poisson({ logRate: [Math.log(0.5), Math.log(4)] });
      expectClose(b.logProb([1, 3]), Array.from(a.logProb([1, 3]).dataSync()), 1e-6, 1e-6);
    });
  });

  it('samples have mean and variance λ for tiny and huge rates', () => {
    tf.tidy(() => {
      const rates = [1e-3, 2, 30, 1e4];
      const d = new Poisson({ rate: rates });
      const n = 20000;
      const x = d.sample([n], { seed: 11 });
      expect(x.shape).toEqual([n, 4]);
      const { mean, variance } = tf.moments(x, 0);
      const m = mean.dataSync(),
        v = variance.dataSync();
      rates.forEach((r, i) => {
        expect(Math.abs(m[i]! - r)).toBeLessThan(5 * Math.sqrt(r / n) + 1e-9);
        expect(Math.abs(v[i]! - r)).toBeLessThan(5 * Math.sqrt((2 * r * r + r) / n) + 1e-9);
      });
      const all = x.dataSync();
      expect(all.every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
    });
  });

  it('rejects non-positive rates and out-of-support values', () => {
    expect(() => new Poisson({ rate: [1, -1] })).toThrowError(
      /Poisson: "rate" must be finite and > 0, got -1 at index \[1\]/,
    );
    expect(() => new Poisson({ rate: NaN })).toThrowError(ArgumentError);
    expect(() => new Poisson({ rate: 1, logRate: 0 } as never)).toThrowError(ArgumentError);
    const d = new Poisson({ rate: 2 });
    expect(() => d.logProb(1.5)).toThrowError(/"value" must be finite and a non-negative integer, got 1.5/);
    expect(() => d.logProb(-1)).toThrowError(ArgumentError);
    d.dispose();
    tf.tidy(() => {
      const lax = new Poisson({ rate: 2 }, { validateArgs: false });
      expect(Array.from(lax.logProb([-1, 1.5]).dataSync())).toEqual([-Infinity, -Infinity]);
    });
  });

  it('does not leak', () => {
    const before = tf.memory().numTensors;
    const d = new Poisson({ rate: [0.5, 20] });
    expectNoLeak(() => [d.logProb([0, 3]), d.sample([2]), d.mean(), d.mode(), d.variance(), d.entropy()]);
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Poisson (Loader saddle-point log-mass)', () => {
  it('matches SciPy for counts up to 1e6 and rates 1e-3…1e6 within 1e-5 relative', () => {
    tf.tidy(() => {
      const c = fixtures.poissonLarge;
      const d = new Poisson({ rate: c.map((v) => v.rate) });
      expectFixture(d, c, { logProb: [1e-5, 1e-5] });
    });
  });
  it('logRate parameterization stays finite for log λ = ±30 and is differentiable', () => {
    tf.tidy(() => {
      const d = new Poisson({ logRate: [-30, 30] });
      const lp = d.logProb([0, 3]).dataSync();
      expect(lp[0]).toBeCloseTo(-Math.exp(-30), 10);
      expectClose(lp[1]!, 3 * 30 - Math.exp(30) - Math.log(6), 1e-6, 0);
      // d/dlogλ log p(x) = x − λ
      const g = tf.grad((l: tf.Tensor) =>
        tf.sum(new Poisson({ logRate: l }, { validateArgs: false }).logProb([2, 5, 9876])),
      )(tf.tensor([Math.log(3), Math.log(5), Math.log(1e4)]));
      expectClose(g, [2 - 3, 0, 9876 - 1e4], 1e-3, 1e-3);
    });
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new Poisson({ rate: [0.5, 20] }), ['mean', 'mode', 'variance', 'stddev', 'entropy']);
  });
});

describe('Poisson gradients at extreme rates', () => {
  it('d logProb / d logRate is finite (and equals x − λ) when the rate underflows float32 or is huge', () => {
    tf.tidy(() => {
      // regression: the deviance term's (x − λ)/λ had the gradient −x/λ², which overflowed for λ < 1e-19 and made
      // a VAE's whole gradient NaN once a decoder output drifted that low
      const logRate = tf.tensor1d([-110, -60, -30, 0, 20, 60]);
      const x = tf.tensor1d([3, 0, 1, 2, 0, 5]);
      const g = tf.grad((lr: tf.Tensor) => tf.sum(new Poisson({ logRate: lr }, { validateArgs: false }).logProb(x)))(
        logRate,
      );
      const rates = [-110, -60, -30, 0, 20, 60].map(Math.exp);
      const want = [3, 0, 1, 2, 0, 5].map((k, i) => k - rates[i]!);
      Array.from(g.dataSync()).forEach((v, i) => {
        expect(Number.isFinite(v)).toBe(true);
        expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[i]!)));
      });
    });
  });
});

describe("Poisson logProbMethod: 'direct'", () => {
  it('agrees with SciPy for moderate counts and has the same gradient as the saddle-point form', () => {
    tf.tidy(() => {
      for (const c of fixtures.poisson.filter((p) => p.x <= 100 && p.rate <= 100)) {
        const d = new Poisson({ rate: c.rate }, { logProbMethod: 'direct' });
        expectClose(d.logProb(c.x), c.logProb, 1e-5, 1e-4);
      }
      const x = tf.tensor1d([0, 1, 7, 40, 255]);
      const grad = (method: 'direct' | 'saddle-point') =>
        tf.grad((lr: tf.Tensor) =>
          tf.sum(new Poisson({ logRate: lr }, { validateArgs: false, logProbMethod: method }).logProb(x)),
        )(tf.tensor1d([-2, 0, 2, 3.5, 5.5]));
      expectClose(grad('direct'), Array.from(grad('saddle-point').dataSync()), 1e-4, 1e-4);
      expect(() => new Poisson({ rate: 1 }, { logProbMethod: 'fast' as never })).toThrowError(/"logProbMethod"/);
    });
  });
});
