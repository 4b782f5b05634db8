import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import {
  Bernoulli,
  Binomial,
  Categorical,
  Independent,
  Normal,
  OneHotCategorical,
  Poisson,
} from '@varia/distributions';
import { describe, expect, it } from 'vitest';
import { checkNoLeaksPerTest } from '../test/no-leaks.js';
import { baseParams, replicate, tinyInputs, X0 } from '../test/tiny-models.js';
import { elbo, negativeElbo } from './elbo.js';
import { enumerateLatentSupport, latentSupportSize } from './enumerate.js';
import { logMarginalByEnumeration } from './exact-marginal.js';
import { marginalLogLikelihood } from './marginal-likelihood.js';

checkNoLeaksPerTest();

const LOG_2PI = Math.log(2 * Math.PI);
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** The Bernoulli tiny model by hand: q(z|x) = Πⱼ Bern(σ(xW + b)ⱼ), p(z) = Πⱼ Bern(πⱼ), p(x|z) = N(zV + a, I). */
function handComputed(): { elbo: number[]; kl: number[]; logPx: number[]; chi2: number[] } {
  const p = baseParams(2, 2);
  const prior = [0.3, 0.6];
  const support = [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ];
  const out = { elbo: [] as number[], kl: [] as number[], logPx: [] as number[], chi2: [] as number[] };
  for (const x of X0) {
    const logit = [0, 1].map((j) => x[0]! * p.encW[0]![j]! + x[1]! * p.encW[1]![j]! + p.encB[j]!);
    let rec = 0,
      kl = 0,
      px = 0,
      w2 = 0;
    for (const z of support) {
      const q = z.reduce((acc, zj, j) => acc * (zj ? sigmoid(logit[j]!) : 1 - sigmoid(logit[j]!)), 1);
      const pz = z.reduce((acc, zj, j) => acc * (zj ? prior[j]! : 1 - prior[j]!), 1);
      const loc = [0, 1].map((k) => z[0]! * p.decV[0]![k]! + z[1]! * p.decV[1]![k]! + p.decA[k]!);
      const ll = [0, 1].reduce((acc, k) => acc - 0.5 * (x[k]! - loc[k]!) ** 2 - 0.5 * LOG_2PI, 0);
      rec += q * ll;
      kl += q * Math.log(q / pz);
      px += pz * Math.exp(ll);
      w2 += (pz * Math.exp(ll)) ** 2 / q; // E_q[w²]
    }
    out.elbo.push(rec - kl);
    out.kl.push(kl);
    out.logPx.push(Math.log(px));
    out.chi2.push(w2 / (px * px) - 1); // Var_q(w)/p(x)²
  }
  return out;
}

describe('enumeration', () => {
  it('latentSupportSize and enumerateLatentSupport: one-hot, Bernoulli bits, Categorical coordinates', () => {
    tf.tidy(() => {
      expect(latentSupportSize(new OneHotCategorical({ logits: tf.zeros([4, 3]) }))).toBe(3);
      expect(latentSupportSize(new Independent(new Bernoulli({ logits: tf.zeros([4, 5]) }), 1))).toBe(32);
      const cat = new Independent(new Categorical({ logits: tf.zeros([4, 2, 3]) }), 1);
      expect(latentSupportSize(cat)).toBe(9);
      expect(enumerateLatentSupport(cat)!.arraySync()).toEqual([
        [0, 0],
        [0, 1],
        [0, 2],
        [1, 0],
        [1, 1],
        [1, 2],
        [2, 0],
        [2, 1],
        [2, 2],
      ]);
      expect(enumerateLatentSupport(new OneHotCategorical({ logits: tf.zeros([1, 2]) }))!.arraySync()).toEqual([
        [1, 0],
        [0, 1],
      ]);
      expect(latentSupportSize(new Independent(new Poisson({ rate: tf.ones([4, 2]) }), 1))).toBeUndefined();
      expect(latentSupportSize(new Independent(new Normal({ loc: tf.zeros([4, 2]), scale: 1 }), 1))).toBeUndefined();
      expect(enumerateLatentSupport(new Bernoulli({ logits: tf.zeros([4]) }))).toBeUndefined(); // event [] is not a latent row
    });
  });

  it('the enumerated ELBO, its KL and log p(x) equal the hand-computed sums (Bernoulli bits, d = 2)', () => {
    const params = replicate(1, 2, 2);
    tf.tidy(() => {
      const ref = handComputed();
      const inputs = tinyInputs('bernoulli', params);
      const t = elbo(inputs, { estimator: 'enumerate' });
      expect(t.estimator).toBe('enumerate');
      const e = t.elbo.dataSync(),
        kl = t.kl.dataSync(),
        lpx = logMarginalByEnumeration(inputs).dataSync();
      ref.elbo.forEach((v, i) => {
        expect(e[i]).toBeCloseTo(v, 5);
        expect(kl[i]).toBeCloseTo(ref.kl[i]!, 5);
        expect(lpx[i]).toBeCloseTo(ref.logPx[i]!, 5);
        expect(lpx[i]!).toBeGreaterThan(e[i]!); // the ELBO is a lower bound
      });
      // the Monte-Carlo KL path under enumeration is the exact sum too
      const exactKl = elbo(inputs, { estimator: 'enumerate', kl: 'monte-carlo' }).kl.dataSync();
      ref.kl.forEach((v, i) => expect(exactKl[i]).toBeCloseTo(v, 5));
      const loss = negativeElbo(inputs, { estimator: 'enumerate' });
      expect(loss.loss.dataSync()[0]).toBeCloseTo(-(ref.elbo[0]! + ref.elbo[1]!) / 2, 5);
    });
    tf.dispose(params as unknown as tf.TensorContainer);
  });

  it('marginalLogLikelihood works for a posterior without rsample and approaches the exact log p(x)', () => {
    const params = replicate(1, 2, 2);
    tf.tidy(() => {
      const ref = handComputed();
      const model = { variationalInputs: (x: tf.Tensor) => ({ ...tinyInputs('bernoulli', params), x }) };
      const x = tinyInputs('bernoulli', params).x;
      const mll = marginalLogLikelihood(model, x, { k: 4000, seed: 3 }).dataSync();
      // log of a mean of K weights: standard error ≈ √(Var(w)/K)/p(x), bias ≈ −Var(w)/(2K p(x)²); 4 SE + the bias
      ref.logPx.forEach((v, i) => {
        const se = Math.sqrt(ref.chi2[i]! / 4000);
        expect(Math.abs(mll[i]! - v)).toBeLessThan(4 * se + ref.chi2[i]! / 8000);
        expect(se).toBeLessThan(0.02); // the check is tight enough to mean something
      });
    });
    tf.dispose(params as unknown as tf.TensorContainer);
  });

  it('any scalar family with enumerateSupport: a Binomial(2, p) latent pair, summed exactly against a hand sum', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([[0.9]]);
      const p = [0.3, 0.8];
      const posterior = new Independent(new Binomial({ totalCount: 2, probs: tf.tensor2d([p]) }), 1);
      const prior = new Independent(new Binomial({ totalCount: 2, probs: [0.5, 0.5] }), 1);
      const w = [0.5, -0.3];
      const decode = (z: tf.Tensor) =>
        new Independent(new Normal({ loc: tf.matMul(z, tf.tensor2d(w, [2, 1])), scale: 1 }), 1);
      expect(latentSupportSize(posterior)).toBe(9);
      expect(elbo({ x, posterior, prior, decode }).estimator).toBe('enumerate'); // 'auto': no rsample, 9 values
      const t = elbo({ x, posterior, prior, decode }, { estimator: 'enumerate', kl: 'monte-carlo' });
      const binom = (k: number, q: number): number => [1, 2, 1][k]! * q ** k * (1 - q) ** (2 - k);
      let rec = 0,
        kl = 0;
      for (let a = 0; a <= 2; a++) {
        for (let b = 0; b <= 2; b++) {
          const q = binom(a, p[0]!) * binom(b, p[1]!);
          rec += q * (-0.5 * (0.9 - (w[0]! * a + w[1]! * b)) ** 2 - 0.5 * LOG_2PI);
          kl += q * Math.log(q / (binom(a, 0.5) * binom(b, 0.5)));
        }
      }
      expect(t.reconstruction.dataSync()[0]).toBeCloseTo(rec, 5);
      expect(t.kl.dataSync()[0]).toBeCloseTo(kl, 5);
      // a totalCount that differs across the batch has no single support: not enumerable
      const mixed = new Independent(new Binomial({ totalCount: tf.tensor2d([[1, 2]]), probs: 0.5 }), 1);
      expect(latentSupportSize(mixed)).toBeUndefined();
    });
  });

  it('a zero-probability category contributes 0, not NaN, to the value and the gradient', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([[0.5, -0.5]]);
      const f = (raw: tf.Tensor): tf.Scalar => {
        const posterior = new OneHotCategorical({ logits: tf.add(raw, tf.tensor2d([[0, 0, -Infinity]])) });
        const prior = new OneHotCategorical({ probs: [0.2, 0.3, 0.5] });
        const decode = (z: tf.Tensor) =>
          new Independent(new Normal({ loc: tf.slice(z, [0, 0], [-1, 2]), scale: 1 }), 1);
        return tf.sum(
          elbo({ x, posterior, prior, decode }, { estimator: 'enumerate', kl: 'monte-carlo' }).elbo,
        ) as tf.Scalar;
      };
      const { value, grad } = tf.valueAndGrad(f)(tf.tensor2d([[0.6, 0.4, 0.7]]));
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
    });
  });

  it('throws typed errors (and leaks nothing) for a non-enumerable posterior or a wrong batch', () => {
    tf.tidy(() => {
      const x = tf.zeros([3, 2]);
      const decode = (z: tf.Tensor) => new Independent(new Normal({ loc: z, scale: 1 }), 1);
      const poisson = new Independent(new Poisson({ rate: tf.ones([3, 2]) }), 1);
      const prior = new Independent(new Poisson({ rate: [1, 1] }), 1);
      expect(() => logMarginalByEnumeration({ x, posterior: poisson, prior, decode })).toThrowError(ArgumentError);
      expect(() => elbo({ x, posterior: poisson, prior, decode }, { estimator: 'enumerate' })).toThrowError(
        /"score-function"/,
      );
      const wrong = new Independent(new Bernoulli({ logits: tf.zeros([4, 2]) }), 1);
      expect(() => elbo({ x, posterior: wrong, prior, decode }, { estimator: 'enumerate' })).toThrowError(ShapeError);
    });
  });
});
