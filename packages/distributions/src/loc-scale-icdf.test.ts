import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import special from '../test/fixtures/special.json' with { type: 'json' };
import { expectNoLeak } from '../test/helpers.js';
import { Laplace } from './laplace.js';
import { LogNormal } from './log-normal.js';
import { Normal } from './normal.js';

const cases = special.locScaleIcdf;
const p = cases.map((c) => c.p);
const expectRel = (got: tf.Tensor, want: number[], tol: number): void =>
  got.dataSync().forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(tol * Math.abs(want[i]!) + 1e-6));

describe('icdf of Normal, Laplace and LogNormal (SciPy ppf, p from 1e-20 to 1 − 1e-7)', () => {
  it('matches SciPy within 1e-6 relative, also in the far tails', () => {
    tf.tidy(() => {
      expectRel(
        new Normal({ loc: 1, scale: 2 }).icdf(p),
        cases.map((c) => c.normal),
        1e-6,
      );
      expectRel(
        new Laplace({ loc: 1, scale: 2 }).icdf(p),
        cases.map((c) => c.laplace),
        1e-6,
      );
      expectRel(
        new LogNormal({ loc: 1, scale: 2 }).icdf(p),
        cases.map((c) => c.logNormal),
        2e-6,
      );
    });
  });
  it('is exact at 0 and 1 and inverts the cdf', () => {
    tf.tidy(() => {
      expect(Array.from(new Normal({ loc: 1, scale: 2 }).icdf([0, 1]).dataSync())).toEqual([-Infinity, Infinity]);
      expect(Array.from(new Laplace({ loc: 1, scale: 2 }).icdf([0, 1]).dataSync())).toEqual([-Infinity, Infinity]);
      expect(Array.from(new LogNormal({ loc: 1, scale: 2 }).icdf([0, 1]).dataSync())).toEqual([0, Infinity]);
      const d = new Laplace({ loc: -1, scale: 0.5 });
      expectRel(d.cdf(d.icdf([0.01, 0.5, 0.9])), [0.01, 0.5, 0.9], 1e-6);
      expect(() => d.icdf([1.5])).toThrowError(/q/);
    });
  });
  it('gradients: ∂/∂q = 1/f(x) (Laplace: 2b at q = ½), ∂/∂loc = 1, ∂/∂scale = Φ⁻¹(q)', () => {
    tf.tidy(() => {
      const gq = tf.grad((q: tf.Tensor) => tf.sum(new Laplace({ loc: 0, scale: 3 }).icdf(q)))(
        tf.tensor([0.5, 0.2, 0.9]),
      );
      expectRel(gq, [6, 3 / 0.2, 3 / 0.1], 1e-5);
      const [gl, gs] = tf.grads((l: tf.Tensor, s: tf.Tensor) => new Normal({ loc: l, scale: s }).icdf(0.975))([
        tf.scalar(0.3),
        tf.scalar(2),
      ]);
      expectRel(gl!, [1], 1e-6);
      expectRel(gs!, [1.959963984540054], 1e-6);
    });
  });
  it('no tensor leaks', () => {
    const d = new LogNormal({ loc: [0, 1], scale: 1 });
    expectNoLeak(() => d.icdf([0.3, 0.6]));
    d.dispose();
  });
});
