import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { Independent, Normal, OneHotCategorical, Poisson } from '@varia/distributions';
import { describe, expect, it } from 'vitest';
import { checkNoLeaksPerTest } from '../test/no-leaks.js';
import { elboOverDiscrete } from './discrete-marginalization.js';
import { elbo } from './elbo.js';

checkNoLeaksPerTest();

const LOG_2PI = Math.log(2 * Math.PI);
const MU = [-2, 0.5, 3];
const PI = [0.2, 0.5, 0.3];
const logNormal = (x: number, mu: number): number => -0.5 * (x - mu) ** 2 - 0.5 * LOG_2PI;

/** p(y) = Cat(π), p(x|y) = N(μ_y, 1): log p(x|y) as the inner ELBO of y's one-hot rows. */
const innerLogLik = (y: tf.Tensor, x: tf.Tensor): tf.Tensor =>
  new Independent(new Normal({ loc: tf.matMul(y, tf.tensor2d(MU, [3, 1])), scale: 1 }), 1).logProb(x);

describe('elboOverDiscrete', () => {
  it('with q(y|x) the exact posterior, the ELBO is log p(x) of the Gaussian mixture (and lower for any other q)', () => {
    tf.tidy(() => {
      const xs = [-1.5, 0.2, 2.4];
      const logPx = xs.map((x) => Math.log(PI.reduce((acc, p, k) => acc + p * Math.exp(logNormal(x, MU[k]!)), 0)));
      const exactPosterior = xs.map((x, i) => PI.map((p, k) => Math.log(p) + logNormal(x, MU[k]!) - logPx[i]!));
      const x = tf.tensor2d(xs, [3, 1]);
      const prior = new OneHotCategorical({ probs: PI });
      const exact = elboOverDiscrete({
        x,
        posterior: new OneHotCategorical({ logits: exactPosterior }),
        prior,
        innerElbo: innerLogLik,
      });
      expect(exact.estimator).toBe('enumerate');
      const e = exact.elbo.dataSync();
      logPx.forEach((v, i) => expect(e[i]).toBeCloseTo(v, 4));
      const uniform = elboOverDiscrete(
        { x, posterior: new OneHotCategorical({ logits: tf.zeros([3, 3]) }), prior, innerElbo: innerLogLik },
        { kl: 'monte-carlo' },
      );
      const u = uniform.elbo.dataSync();
      logPx.forEach((v, i) => expect(u[i]!).toBeLessThan(v - 1e-3));
    });
  });

  it('composes with elbo(): a Gaussian-mixture VAE step is finite and differentiable in both posteriors', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([0.3, -1, 2, 0.1], [4, 1]);
      const f = (yLogits: tf.Tensor, zLoc: tf.Tensor): tf.Scalar => {
        const result = elboOverDiscrete({
          x,
          posterior: new OneHotCategorical({ logits: yLogits }),
          prior: new OneHotCategorical({ probs: PI }),
          innerElbo: (y, xs) => {
            const rows = y.shape[0]!;
            // q(z|x, y) = N(zLoc + μ_y, 0.5²), p(z|y) = N(μ_y, 1), p(x|z) = N(z, 1)
            const mu = tf.matMul(y, tf.tensor2d(MU, [3, 1]));
            const loc = tf.add(tf.tile(zLoc, [rows / 4, 1]), mu);
            return elbo(
              {
                x: xs,
                posterior: new Independent(new Normal({ loc, scale: 0.5 }), 1),
                prior: new Independent(new Normal({ loc: mu, scale: 1 }), 1),
                decode: (z) => new Independent(new Normal({ loc: z, scale: 1 }), 1),
              },
              { seed: 1 },
            ).elbo;
          },
        });
        return tf.sum(result.elbo) as tf.Scalar;
      };
      const grads = tf.grads(f)([tf.zeros([4, 3]), tf.zeros([4, 1])]);
      for (const g of grads) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      expect(Array.from(grads[0]!.dataSync()).some((v) => v !== 0)).toBe(true);
    });
  });

  it('throws typed errors without leaks', () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 1]);
      const prior = new OneHotCategorical({ probs: PI });
      const posterior = new OneHotCategorical({ logits: tf.zeros([2, 3]) });
      expect(() => elboOverDiscrete({ x, posterior, prior, innerElbo: () => tf.zeros([5]) })).toThrowError(ShapeError);
      const poisson = new Independent(new Poisson({ rate: tf.ones([2, 1]) }), 1);
      expect(() => elboOverDiscrete({ x, posterior: poisson, prior, innerElbo: innerLogLik })).toThrowError(
        ArgumentError,
      );
      expect(() => elboOverDiscrete({ x: tf.zeros([3, 1]), posterior, prior, innerElbo: innerLogLik })).toThrowError(
        ShapeError,
      );
    });
  });
});
