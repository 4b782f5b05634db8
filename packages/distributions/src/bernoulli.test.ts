import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectNoLeak, fixtures } from '../test/helpers.js';
import { Bernoulli } from './bernoulli.js';

describe('Bernoulli', () => {
  it('logProb and entropy match SciPy, without overflow for logits ±100', () => {
    for (const c of fixtures.bernoulli) {
      const d = new Bernoulli({ logits: c.logits });
      expectClose(d.logProb(c.x), c.logProb, 1e-5, 1e-5);
      expectClose(d.entropy(), c.entropy, 1e-4, 1e-6);
      d.dispose();
    }
  });

  it('probs and logits parameterizations agree', () => {
    tf.tidy(() => {
      const a = new Bernoulli({ probs: [0.2, 0.9] });
      const b = new Bernoulli({ logits: [Math.log(0.2 / 0.8), Math.log(0.9 / 0.1)] });
      expectClose(a.logProb([1, 0]), Array.from(b.logProb([1, 0]).dataSync()), 1e-5, 1e-6);
      expectClose(a.mean(), [0.2, 0.9], 1e-5);
      expectClose(a.variance(), [0.16, 0.09], 1e-5);
    });
  });

  it('sample mean matches p', () => {
    tf.tidy(() => {
      const d = new Bernoulli({ probs: [0.1, 0.5] });
      const n = 20000;
      const m = tf.mean(d.sample([n], { seed: 5 }), 0).dataSync();
      expect(Math.abs(m[0]! - 0.1)).toBeLessThan(5 * Math.sqrt(0.09 / n));
      expect(Math.abs(m[1]! - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / n));
    });
  });

  it('rejects bad input', () => {
    expect(() => new Bernoulli({ probs: 1.5 })).toThrowError(
      /Bernoulli: "probs" must be finite and in \[0, 1\], got 1.5/,
    );
    expect(() => new Bernoulli({} as never)).toThrowError(ArgumentError);
    const d = new Bernoulli({ logits: 0 });
    expect(() => d.logProb(0.5)).toThrowError(/"value" must be finite and 0 or 1/);
    d.dispose();
  });

  it('does not leak', () => {
    const before = tf.memory().numTensors;
    const d = new Bernoulli({ probs: [0.3, 0.6] });
    expectNoLeak(() => [
      d.logProb([0, 1]),
      d.sample([3]),
      d.mean(),
      d.mode(),
      d.variance(),
      d.entropy(),
      d.cdf(0),
      d.probsParameter(),
    ]);
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new Bernoulli({ logits: [-1, 2] }), ['mean', 'mode', 'variance', 'stddev', 'entropy'], false);
  });
});
