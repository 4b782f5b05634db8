import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { Independent, Normal } from '@varia/distributions';
import { describe, expect, it } from 'vitest';
import { elbo, negativeElbo } from './elbo.js';
import { iwaeBound } from './iwae.js';
import { marginalLogLikelihood } from './marginal-likelihood.js';
import type { VariationalInputs } from './variational.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * A linear-Gaussian model with everything in closed form: p(z) = N(0, 1), p(x|z) = N(z, 1), so p(x) = N(0, 2),
 * and a Gaussian q(z|x) = N(m, s²). Hand-derived:
 *   E_q[log p(x|z)] = −½(x − m)² − ½s² − ½ log 2π
 *   KL(q ‖ p) = −log s + ½(s² + m²) − ½
 */
function linearGaussian(xs: number[], m: number[], s: number[]): VariationalInputs {
  const n = xs.length;
  return {
    x: tf.tensor2d(xs, [n, 1]),
    posterior: new Independent(new Normal({ loc: tf.tensor2d(m, [n, 1]), scale: tf.tensor2d(s, [n, 1]) }), 1),
    prior: new Independent(new Normal({ loc: [0], scale: [1] }), 1),
    decode: (z) => new Independent(new Normal({ loc: z, scale: 1 }, { validateArgs: false }), 1),
  };
}

function closedForm(x: number, m: number, s: number): { rec: number; kl: number } {
  return { rec: -0.5 * (x - m) ** 2 - 0.5 * s * s - 0.5 * LOG_2PI, kl: -Math.log(s) + 0.5 * (s * s + m * m) - 0.5 };
}

describe('elbo', () => {
  it('matches the hand-computed linear-Gaussian case (analytic KL, K samples)', () => {
    tf.tidy(() => {
      const xs = [0.5, -1.2],
        m = [0.3, -0.6],
        s = [0.7, 0.5];
      const terms = elbo(linearGaussian(xs, m, s), { samples: 20000, seed: 1 });
      const rec = terms.reconstruction.dataSync(),
        kl = terms.kl.dataSync(),
        e = terms.elbo.dataSync();
      xs.forEach((x, i) => {
        const ref = closedForm(x, m[i]!, s[i]!);
        expect(kl[i]).toBeCloseTo(ref.kl, 5);
        // Monte-Carlo reconstruction: standard error ≈ sd((x−z)²/2)/√K ≈ 0.01
        expect(Math.abs(rec[i]! - ref.rec)).toBeLessThan(0.03);
        expect(Math.abs(e[i]! - (ref.rec - ref.kl))).toBeLessThan(0.03);
      });
    });
  });

  it('β weights the KL and the Monte-Carlo KL agrees with the analytic one', () => {
    tf.tidy(() => {
      const inputs = linearGaussian([0.5], [0.3], [0.7]);
      const ref = closedForm(0.5, 0.3, 0.7);
      const b = elbo(inputs, { beta: 4, samples: 10, seed: 2 });
      expect(b.elbo.dataSync()[0]! - (b.reconstruction.dataSync()[0]! - 4 * ref.kl)).toBeCloseTo(0, 5);
      const mc = elbo(inputs, { kl: 'monte-carlo', samples: 40000, seed: 3 });
      expect(Math.abs(mc.kl.dataSync()[0]! - ref.kl)).toBeLessThan(0.02);
    });
  });

  it('negativeElbo is the batch mean, and free bits floor each dimension', () => {
    tf.tidy(() => {
      const inputs = linearGaussian([0.5, -1.2], [0.3, -0.6], [0.7, 0.5]);
      const { loss, reconstruction, kl } = negativeElbo(inputs, { seed: 4 });
      expect(loss.dataSync()[0]! + reconstruction.dataSync()[0]! - kl.dataSync()[0]!).toBeCloseTo(0, 5);
      const refKl = (closedForm(0.5, 0.3, 0.7).kl + closedForm(-1.2, -0.6, 0.5).kl) / 2;
      expect(kl.dataSync()[0]).toBeCloseTo(refKl, 5);
      // λ = 5 nats exceeds the mean KL of the single dimension, so the penalty is exactly λ
      const fb = negativeElbo(inputs, { seed: 4, freeBits: 5 });
      expect(fb.loss.dataSync()[0]! + fb.reconstruction.dataSync()[0]!).toBeCloseTo(5, 5);
    });
  });

  it('rejects bad options', () => {
    tf.tidy(() => {
      const inputs = linearGaussian([0.5], [0.3], [0.7]);
      expect(() => elbo(inputs, { samples: 0 })).toThrowError(ArgumentError);
      expect(() => negativeElbo(inputs, { beta: -1 })).toThrowError(/"beta"/);
      expect(() => iwaeBound(inputs, { k: 1.5 })).toThrowError(/"k"/);
    });
  });

  it('does not leak', () => {
    tf.tidy(() => {
      const inputs = linearGaussian([0.5, 0.1], [0.3, 0], [0.7, 1]);
      const before = tf.memory().numTensors;
      tf.dispose(elbo(inputs, { samples: 3 }) as unknown as tf.TensorContainer);
      tf.dispose(negativeElbo(inputs, { freeBits: 0.1 }) as unknown as tf.TensorContainer);
      tf.dispose(iwaeBound(inputs, { k: 4 }));
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describe('iwaeBound and marginalLogLikelihood', () => {
  it('IWAE increases with K towards log p(x) = log N(x; 0, 2)', () => {
    tf.tidy(() => {
      const x = 1.3;
      const logPx = (-0.5 * (x * x)) / 2 - 0.5 * Math.log(2) - 0.5 * LOG_2PI;
      // a deliberately poor posterior so the gap is visible
      const inputs = linearGaussian([x], [0], [1]);
      const ref = closedForm(x, 0, 1);
      const k1 = iwaeBound(inputs, { k: 1, seed: 5 });
      const k5000 = iwaeBound(inputs, { k: 5000, seed: 6 }).dataSync()[0]!;
      expect(k1.shape).toEqual([1]);
      expect(k5000).toBeGreaterThan(ref.rec - ref.kl); // above the ELBO
      expect(Math.abs(k5000 - logPx)).toBeLessThan(0.02);
      const model = {
        variationalInputs: (xb: tf.Tensor) => ({ ...linearGaussian([x, x, x], [0, 0, 0], [1, 1, 1]), x: xb }),
      };
      const mll = marginalLogLikelihood(model, tf.tensor2d([x, x, x], [3, 1]), { k: 2000, batchSize: 3, seed: 7 });
      expect(mll.shape).toEqual([3]);
      for (const v of mll.dataSync()) expect(Math.abs(v - logPx)).toBeLessThan(0.03);
    });
  });
});
