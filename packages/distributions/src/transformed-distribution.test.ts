import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '../test/helpers.js';
import { Chain, Invert } from './bijectors/composite.js';
import { Abs, Affine, Exp, Power } from './bijectors/elementwise.js';
import { StickBreaking } from './bijectors/stick-breaking.js';
import { LogNormal } from './log-normal.js';
import { MultivariateNormalDiag } from './multivariate-normal-diag.js';
import { Exponential } from './exponential.js';
import { Gumbel } from './gumbel.js';
import { Normal } from './normal.js';
import { Pareto } from './pareto.js';
import { Uniform } from './uniform.js';
import { Weibull } from './weibull.js';
import { TransformedDistribution } from './transformed-distribution.js';

const params = { loc: [0.3, -1, 2], scale: [0.5, 1.2, 0.1] };

describe('TransformedDistribution', () => {
  it('TransformedDistribution(Normal, Exp) equals LogNormal: logProb, cdf, seeded sample and rsample', () => {
    const td = new TransformedDistribution(new Normal(params), new Exp());
    const ln = new LogNormal(params);
    expect(td.batchShape).toEqual([3]);
    expect(td.eventShape).toEqual([]);
    tf.tidy(() => {
      const x = [
        [0.5, 0.2, 7.5],
        [1.7, 0.4, 8],
      ];
      expectClose(td.logProb(x), Array.from(ln.logProb(x).dataSync()), 1e-5, 1e-5);
      expectClose(td.cdf(x), Array.from(ln.cdf(x).dataSync()), 1e-5, 1e-6);
      expect(Array.from(td.sample([4], { seed: 7 }).dataSync())).toEqual(
        Array.from(ln.sample([4], { seed: 7 }).dataSync()),
      );
      expect(Array.from(td.rsample([4], { seed: 8 }).dataSync())).toEqual(
        Array.from(ln.rsample([4], { seed: 8 }).dataSync()),
      );
    });
    // the pathwise gradient flows through the bijector: d/dμ E[e^{μ+σε}] = E[X]
    tf.tidy(() => {
      const g = tf.grad((m: tf.Tensor) =>
        tf.mean(
          new TransformedDistribution(new Normal({ loc: m, scale: 0.25 }), new Exp()).rsample([20000], { seed: 4 }),
        ),
      )(tf.scalar(0.3));
      expectClose(g, Math.exp(0.3 + 0.25 ** 2 / 2), 0.02, 0);
    });
    expectNoLeak(() => td.logProb(1));
    expectNoLeak(() => td.sample([2], { seed: 1 }));
    expectNoLeak(() => td.cdf(1));
    td.dispose();
    ln.dispose();
  });
  it('a decreasing bijector flips the cdf; −∞ outside the codomain without validation', () => {
    tf.tidy(() => {
      const td = new TransformedDistribution(new Normal({ loc: 0, scale: 1 }), new Affine({ shift: 1, scale: -2 }));
      // Y = 1 − 2X: P(Y ≤ y) = P(X ≥ (1 − y)/2) = Φ((y − 1)/2)
      expectClose(td.cdf([1, 3]), [0.5, 0.8413447460685429], 1e-5, 1e-6);
      // log p_Y(y) = log φ((1 − y)/2) − log 2
      expectClose(td.logProb(3), -0.5 - 0.5 * Math.log(2 * Math.PI) - Math.log(2));
      const pos = new TransformedDistribution(new Normal({ loc: 0, scale: 1 }, { validateArgs: false }), new Exp());
      expect(pos.logProb(-1).dataSync()[0]).toBe(-Infinity);
      expect(() => new TransformedDistribution(new Normal({ loc: 0, scale: 1 }), new Exp()).logProb(-1)).toThrowError(
        /"value" must be/,
      );
    });
  });
  it('event bookkeeping: StickBreaking turns a batch of K − 1 normals into one simplex-valued event', () => {
    const td = new TransformedDistribution(new Normal({ loc: [0, 0, 0], scale: 1 }), new StickBreaking());
    expect(td.batchShape).toEqual([]);
    expect(td.eventShape).toEqual([4]);
    expectNoLeak(() => {
      const y = td.sample([5], { seed: 3 });
      expect(y.shape).toEqual([5, 4]);
      const lp = td.logProb(y);
      expect(lp.shape).toEqual([5]);
      return [y, lp];
    });
    // density at the centre: Π φ(0) / |J|, log|J| = Σ [−u + log σ(u) + log y] at u = −log(K − 1 − i), y = ¼
    const u = [-Math.log(3), -Math.log(2), 0];
    const ldj = u.reduce((s, v) => s - v - Math.log1p(Math.exp(-v)) + Math.log(0.25), 0);
    tf.tidy(() => {
      expectClose(td.logProb([0.25, 0.25, 0.25, 0.25]), 3 * -0.5 * Math.log(2 * Math.PI) - ldj, 1e-5);
    });
    td.dispose();
  });
  it('an affine bijector with a batch of shifts expands the base; expand shares the bijector', () => {
    const td = new TransformedDistribution(
      new Normal({ loc: 0, scale: 1 }),
      new Affine({ shift: [1, 2, 3], scale: 2 }),
    );
    expect(td.batchShape).toEqual([3]);
    const e = td.expand([2, 3]);
    expect(e.batchShape).toEqual([2, 3]);
    expectNoLeak(() => {
      const x = e.sample([4], { seed: 1 });
      expect(x.shape).toEqual([4, 2, 3]);
      return [x, e.logProb(x)];
    });
    td.dispose();
    tf.tidy(() => {
      expectClose(
        e.logProb([
          [1, 2, 3],
          [1, 2, 3],
        ]),
        new Array(6).fill(-0.5 * Math.log(2 * Math.PI) - Math.log(2)),
      );
    });
    e.dispose();
  });
  it('a chain over a multivariate base: log-det summed over the event', () => {
    tf.tidy(() => {
      const base = new MultivariateNormalDiag({ loc: [0, 1], scaleDiag: [1, 2] });
      const td = new TransformedDistribution(base, new Chain([new Affine({ scale: 3, eventDims: 1 }), new Exp()]));
      expect(td.eventShape).toEqual([2]);
      // y = exp(3x): log p(y) = log p_x(log(y)/3) − Σ log(3y)
      const y = [2, 0.5];
      const x = y.map((v) => Math.log(v) / 3);
      const lpx = -0.5 * (x[0]! ** 2 + ((x[1]! - 1) / 2) ** 2) - Math.log(2) - Math.log(2 * Math.PI);
      expectClose(td.logProb(y), lpx - Math.log(3 * 2) - Math.log(3 * 0.5), 1e-5);
    });
  });
  it('Abs can sample but refuses logProb; the wrapper frees base and bijector once', () => {
    const before = tf.memory().numTensors;
    const td = new TransformedDistribution(new Normal({ loc: [0, 1], scale: 1 }), new Abs());
    tf.tidy(() => {
      expect(Math.min(...td.sample([50], { seed: 2 }).dataSync())).toBeGreaterThanOrEqual(0);
    });
    expect(() => td.logProb([1, 1])).toThrowError(/not injective/);
    td.dispose();
    td.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  it('torch builds Gumbel, Weibull and Pareto as transforms of simpler families: the closed forms agree (logProb, cdf, icdf)', () => {
    tf.tidy(() => {
      const cases: [
        string,
        TransformedDistribution,
        { logProb(x: number[]): tf.Tensor; cdf(x: number[]): tf.Tensor; icdf(q: number[]): tf.Tensor },
        number[],
      ][] = [
        // Gumbel(μ, β) = μ − β·log(−log U): U → −log U (Invert(Exp) then ×−1) → log → ×(−β), +μ
        [
          'Gumbel',
          new TransformedDistribution(
            new Uniform({ low: 0, high: 1 }),
            new Chain([
              new Invert(new Exp()),
              new Affine({ scale: -1 }),
              new Invert(new Exp()),
              new Affine({ shift: 0.3, scale: -0.6 }),
            ]),
          ),
          new Gumbel({ loc: 0.3, scale: 0.6 }),
          [-0.5, 0.3, 2.5],
        ],
        // Weibull(λ, k) = λ·E^{1/k}, E ~ Exp(1)
        [
          'Weibull',
          new TransformedDistribution(
            new Exponential({ rate: 1 }),
            new Chain([new Power(1 / 2.3), new Affine({ scale: 1.4 })]),
          ),
          new Weibull({ scale: 1.4, concentration: 2.3 }),
          [0.5, 1.2, 3],
        ],
        // Pareto(xₘ, α) = xₘ·e^{E}, E ~ Exp(α)
        [
          'Pareto',
          new TransformedDistribution(
            new Exponential({ rate: 2.5 }),
            new Chain([new Exp(), new Affine({ scale: 0.9 })]),
          ),
          new Pareto({ scale: 0.9, alpha: 2.5 }),
          [1, 2, 7],
        ],
      ];
      for (const [, td, family, x] of cases) {
        expectClose(td.logProb(x), Array.from(family.logProb(x).dataSync()), 2e-5, 2e-5);
        expectClose(td.cdf(x), Array.from(family.cdf(x).dataSync()), 2e-5, 2e-6);
        const q = [0.1, 0.5, 0.9];
        expectClose(td.icdf(q), Array.from(family.icdf(q).dataSync()), 2e-5, 2e-6);
      }
    });
  });
});
