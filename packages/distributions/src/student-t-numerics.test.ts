import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import special from '../test/fixtures/special.json' with { type: 'json' };
import { expectNoLeak } from '../test/helpers.js';
import { StudentT } from './student-t.js';

const st = special.studentT;
const maxRel = (got: ArrayLike<number>, want: number[]): number =>
  Math.max(...want.map((w, i) => Math.abs(got[i]! - w) / Math.abs(w)));
const make = (): StudentT =>
  new StudentT({ df: st.map((c) => c.df), loc: st.map((c) => c.loc), scale: st.map((c) => c.scale) });

describe('StudentT precision and gradients (mpmath, ν from 0.5 to 1e8)', () => {
  it('logProb and entropy within 1e-5 relative of float64 up to ν = 1e8 (logProb at 1e6, entropy at 1e7 included)', () => {
    tf.tidy(() => {
      const d = make();
      expect(
        maxRel(
          d.logProb(st.map((c) => c.x)).dataSync(),
          st.map((c) => c.logProb),
        ),
      ).toBeLessThan(1e-5);
      expect(
        maxRel(
          d.entropy().dataSync(),
          st.map((c) => c.entropy),
        ),
      ).toBeLessThan(1e-5);
    });
  });
  it('∂logProb/∂ν and ∂entropy/∂ν match mpmath (1e-3 relative, 1e-9 absolute at huge ν)', () => {
    tf.tidy(() => {
      const x = tf.tensor(st.map((c) => c.x));
      const loc = st.map((c) => c.loc);
      const scale = st.map((c) => c.scale);
      const df = tf.tensor(st.map((c) => c.df));
      const gLp = tf
        .grad((v: tf.Tensor) => tf.sum(new StudentT({ df: v, loc, scale }).logProb(x)))(df)
        .dataSync();
      const gH = tf
        .grad((v: tf.Tensor) => tf.sum(new StudentT({ df: v, loc, scale }).entropy()))(df)
        .dataSync();
      st.forEach((c, i) => {
        expect(Math.abs(gLp[i]! - c.dLogProbDdf)).toBeLessThanOrEqual(1e-3 * Math.abs(c.dLogProbDdf) + 1e-9);
        expect(Math.abs(gH[i]! - c.dEntropyDdf)).toBeLessThanOrEqual(1e-3 * Math.abs(c.dEntropyDdf) + 1e-9);
      });
    });
  });
  it('∂variance/∂ν is 0 (not NaN) at ν = 2 and below, −2σ²/(ν − 2)² above; variance +∞ / NaN as before', () => {
    tf.tidy(() => {
      const df = tf.tensor([2, 1.5, 0.5, 4]);
      const v = new StudentT({ df, loc: 0, scale: 1 }).variance();
      expect(Array.from(v.dataSync())).toEqual([Infinity, Infinity, NaN, 2]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(new StudentT({ df: t, loc: 0, scale: 1 }).variance()))(df);
      expect(Array.from(g.dataSync())).toEqual([0, 0, 0, -0.5]);
    });
  });
  it('cdf matches mpmath (1e-6) and icdf SciPy (1e-6), through loc and scale', () => {
    tf.tidy(() => {
      expect(
        maxRel(
          make()
            .cdf(st.map((c) => c.x))
            .dataSync(),
          st.map((c) => c.cdf),
        ),
      ).toBeLessThan(1e-6);
      const ic = special.studentTIcdf;
      const d = new StudentT({ df: ic.map((c) => c.df), loc: 1, scale: 2 });
      const got = d.icdf(ic.map((c) => c.p)).dataSync();
      ic.forEach((c, i) =>
        expect(Math.abs(got[i]! - (1 + 2 * c.t))).toBeLessThanOrEqual(2e-6 * Math.abs(1 + 2 * c.t) + 1e-6),
      );
      expect(() => d.icdf(ic.map(() => 1.5))).toThrowError(/q/);
    });
  });
  it('no tensor leaks (logProb, entropy, cdf, icdf, rsample with gradients)', () => {
    const df = tf.tensor([3, 1e6]);
    expectNoLeak(() => {
      const d = new StudentT({ df: [3, 1e6], loc: 0, scale: 1 });
      const out = [d.logProb([0.5, 1]), d.entropy(), d.cdf([0.5, -1]), d.icdf([0.1, 0.9])];
      const g = tf.grad((t: tf.Tensor) => tf.sum(new StudentT({ df: t, loc: 0, scale: 1 }).rsample([3], { seed: 1 })))(
        df,
      );
      d.dispose();
      return [...out, g];
    });
    df.dispose();
  });
});
