import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak, fixtures } from '../test/helpers.js';
import { bd0, stirlerr } from './saddle-point.js';

describe('saddle-point helpers', () => {
  it('stirlerr matches SciPy (gammaln-based, float64) on both sides of the series switch at 10', () => {
    tf.tidy(() => {
      const x = tf.tensor(fixtures.stirlerr.map((c) => c.x));
      // absolute: below 10 it is log Γ(x+1) − (…) in float32, whose terms are O(x log x)
      expectClose(
        stirlerr(x),
        fixtures.stirlerr.map((c) => c.value),
        1e-5,
        2e-6,
      );
    });
  });
  it('bd0 equals x log(x/m) − x + m (float64 closed form) in every branch, and bd0(0, m) = m', () => {
    tf.tidy(() => {
      const xs = [0, 1, 9876, 10000, 30, 5, 2, 1e6];
      const ms = [3, 1e4, 1e4, 1e4, 25, 100, 1e-3, 999000];
      const want = xs.map((x, i) => (x === 0 ? ms[i]! : x * Math.log(x / ms[i]!) - x + ms[i]!));
      expectClose(bd0(tf.tensor(xs), tf.tensor(ms)), want, 1e-5, 1e-6);
    });
  });
  it('gradients of bd0 are finite in every branch and match ∂/∂m = 1 − x/m', () => {
    tf.tidy(() => {
      const xs = tf.tensor([0, 1, 9876, 30, 2]);
      const ms = [3, 1e4, 1e4, 25, 1e-3];
      const g = tf
        .grad((m: tf.Tensor) => tf.sum(bd0(xs, m)))(tf.tensor(ms))
        .dataSync();
      const x = xs.dataSync();
      ms.forEach((m, i) => expect(g[i]!).toBeCloseTo(1 - x[i]! / m, 2));
    });
  });
  it('does not leak', () => {
    const x = tf.tensor([0, 3, 40]);
    const m = tf.tensor([1, 2, 3]);
    expectNoLeak(() => [stirlerr(m), bd0(x, m)]);
    x.dispose();
    m.dispose();
  });
});
