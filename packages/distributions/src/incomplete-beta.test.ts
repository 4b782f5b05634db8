import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import special from '../test/fixtures/special.json' with { type: 'json' };
import { expectNoLeak } from '../test/helpers.js';
import { betaIncInv, logIncompleteBeta } from './incomplete-beta-float64.js';
import { betainc, betaincInv, studentTCdfStandard, studentTIcdfStandard } from './incomplete-beta.js';

const cases = special.betainc;
const col = (k: 'a' | 'b' | 'x' | 'I' | 'Ic' | 'dIda' | 'dIdb' | 'density'): number[] => cases.map((c) => c[k]);
const maxRel = (got: ArrayLike<number>, want: number[]): number =>
  Math.max(...want.map((w, i) => Math.abs(got[i]! - w) / Math.abs(w)));

describe('regularized incomplete beta I_x(a, b) (mpmath, a and b from 1e-3 to 1e3)', () => {
  it('double-precision log I and log(1 − I) agree with mpmath to 1e-10 relative', () => {
    for (const c of cases) {
      const { logI, logIc } = logIncompleteBeta(c.a, c.b, c.x);
      expect(Math.abs(Math.exp(logI) - c.I) / c.I).toBeLessThan(1e-10);
      expect(Math.abs(Math.exp(logIc) - c.Ic) / c.Ic).toBeLessThan(1e-10);
    }
  });
  it('betainc is float32-accurate and its gradients in a, b, x match mpmath (1e-6 relative)', () => {
    tf.tidy(() => {
      const [a, b, x] = [tf.tensor(col('a')), tf.tensor(col('b')), tf.tensor(col('x'))];
      // x = 0.999 in float32 moves I by up to (Δx)·f(x); compare at 3e-7
      expect(maxRel(betainc(a, b, x).dataSync(), col('I'))).toBeLessThan(3e-7);
      const [ga, gb, gx] = tf.grads((u: tf.Tensor, v: tf.Tensor, w: tf.Tensor) => betainc(u, v, w))([a, b, x]);
      expect(maxRel(ga!.dataSync(), col('dIda'))).toBeLessThan(1e-5);
      expect(maxRel(gb!.dataSync(), col('dIdb'))).toBeLessThan(1e-5);
      expect(maxRel(gx!.dataSync(), col('density'))).toBeLessThan(1e-5);
    });
  });
  it('edges: x = 0 → 0, x = 1 → 1, outside [0, 1] or a ≤ 0 → NaN', () => {
    tf.tidy(() => {
      const v = betainc(tf.tensor([2, 2, 2, 2, -1]), tf.tensor([3, 3, 3, 3, 3]), tf.tensor([0, 1, -0.5, 1.5, 0.5]));
      expect(Array.from(v.dataSync())).toEqual([0, 1, NaN, NaN, NaN]);
    });
  });
  it('the inverse matches SciPy betaincinv (1e-6 relative), with gradient 1/f(x) in p', () => {
    for (const c of special.betaincInv) expect(Math.abs(betaIncInv(c.a, c.b, c.p) - c.x) / c.x).toBeLessThan(1e-9);
    const inputs = ['a', 'b', 'p'].map((k) => tf.tensor(special.betaincInv.map((c) => c[k as 'a' | 'b' | 'p'])));
    const [two, five, p0] = [tf.scalar(2), tf.scalar(5), tf.scalar(0.4)];
    expectNoLeak(() => {
      const inv = betaincInv(inputs[0]!, inputs[1]!, inputs[2]!);
      expect(
        maxRel(
          inv.dataSync(),
          special.betaincInv.map((c) => c.x),
        ),
      ).toBeLessThan(1e-6);
      const gp = tf.grad((p: tf.Tensor) => betaincInv(two, five, p))(p0);
      const h = 1e-6;
      const fd = (betaIncInv(2, 5, 0.4 + h) - betaIncInv(2, 5, 0.4 - h)) / (2 * h);
      expect(Math.abs(gp.dataSync()[0]! - fd) / fd).toBeLessThan(1e-5);
      return [inv, gp];
    });
    tf.dispose([...inputs, two, five, p0]);
  });
});

describe('standard Student t cdf and icdf (mpmath / SciPy, ν from 0.5 to 1e8)', () => {
  it('cdf within 1e-6 relative of mpmath, and its ν-gradient within 1e-4', () => {
    tf.tidy(() => {
      const st = special.studentT;
      const df = tf.tensor(st.map((c) => c.df));
      const t = tf.tensor(st.map((c) => (c.x - c.loc) / c.scale));
      expect(
        maxRel(
          studentTCdfStandard(df, t).dataSync(),
          st.map((c) => c.cdf),
        ),
      ).toBeLessThan(1e-6);
      const g = tf
        .grad((d: tf.Tensor) => studentTCdfStandard(d, t))(df)
        .dataSync();
      // the ν-derivative is tiny at huge ν (1e-17 at ν = 1e8): compare absolutely there
      st.forEach((c, i) => expect(Math.abs(g[i]! - c.dCdfDdf)).toBeLessThan(1e-4 * Math.abs(c.dCdfDdf) + 1e-12));
    });
  });
  it('icdf matches SciPy t.ppf (1e-6 relative) and is exact at 0, ½, 1', () => {
    tf.tidy(() => {
      const ic = special.studentTIcdf;
      const v = studentTIcdfStandard(tf.tensor(ic.map((c) => c.df)), tf.tensor(ic.map((c) => c.p)));
      ic.forEach((c, i) => expect(Math.abs(v.dataSync()[i]! - c.t)).toBeLessThanOrEqual(1e-6 * Math.abs(c.t) + 1e-7));
      expect(Array.from(studentTIcdfStandard(tf.tensor([3, 3, 3]), tf.tensor([0, 0.5, 1])).dataSync())).toEqual([
        -Infinity,
        0,
        Infinity,
      ]);
    });
  });
});
