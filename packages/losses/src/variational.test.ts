import * as tf from '@tensorflow/tfjs-core';
import { Independent, Normal } from '@varia/distributions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { negativeElbo } from './elbo.js';
import { sampleAndReconstruct, type VariationalInputs } from './variational.js';

let baseline = 0;
beforeEach(() => {
  baseline = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(baseline);
});

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** q(z|x) = N(m, s²) per example (d = 2), p(z) = N(0, I), p(x|z) = N(x; z₀, 1) on one feature. */
function model(xs: number[]): VariationalInputs {
  const n = xs.length;
  return {
    x: tf.tensor2d(xs, [n, 1]),
    posterior: new Independent(
      new Normal({
        loc: tf.tensor2d(
          xs.flatMap((x) => [x / 2, -x]),
          [n, 2],
        ),
        scale: tf.fill([n, 2], 0.5),
      }),
      1,
    ),
    prior: new Independent(new Normal({ loc: [0, 0], scale: [1, 1] }), 1),
    decode: (z) =>
      new Independent(new Normal({ loc: tf.slice(z, [0, 0], [-1, 1]), scale: 1 }, { validateArgs: false }), 1),
  };
}

describe('sampleAndReconstruct', () => {
  it.each([1, 3])('K = %i: z is [K, n, d] and log p(x|z) [K, n], sample k of example i at [k, i]', (k) => {
    tf.tidy(() => {
      const xs = [0.4, -1.1, 2];
      const { z, logLikelihood } = sampleAndReconstruct(model(xs), k, 7);
      expect(z.shape).toEqual([k, 3, 2]);
      expect(logLikelihood.shape).toEqual([k, 3]);
      const zs = z.arraySync() as number[][][];
      const ll = logLikelihood.arraySync() as number[][];
      for (let s = 0; s < k; s++) {
        xs.forEach((x, i) => {
          // the closed form of N(x; z₀, 1) at this sample's z
          expect(ll[s]![i]).toBeCloseTo(-0.5 * (x - zs[s]![i]![0]!) ** 2 - HALF_LOG_2PI, 5);
        });
      }
      if (k === 3) expect(zs[0]).not.toEqual(zs[1]);
    });
  });
});

describe('negativeElbo', () => {
  it('its Monte-Carlo KL agrees with the analytic one (K samples, and the single-sample path)', () => {
    tf.tidy(() => {
      // KL(N(m, s²) ‖ N(0, 1)) per dimension = −log s + ½(s² + m²) − ½, summed over d = 2, averaged over n
      const xs = [0.4, -1.1];
      const analytic =
        xs.reduce(
          (acc, x) => acc + [x / 2, -x].reduce((a, m) => a - Math.log(0.5) + 0.5 * (0.25 + m * m) - 0.5, 0),
          0,
        ) / 2;
      const inputs = model(xs);
      expect(negativeElbo(inputs, { kl: 'analytic' }).kl.dataSync()[0]).toBeCloseTo(analytic, 5);
      const many = negativeElbo(inputs, { kl: 'monte-carlo', samples: 20000, seed: 1 }).kl.dataSync()[0]!;
      expect(Math.abs(many - analytic)).toBeLessThan(0.03);
      // one sample: an unbiased but noisy estimate, finite and of the right size
      const one = negativeElbo(inputs, { kl: 'monte-carlo', seed: 2 }).kl.dataSync()[0]!;
      expect(Number.isFinite(one)).toBe(true);
      expect(Math.abs(one - analytic)).toBeLessThan(5);
    });
  });
});
