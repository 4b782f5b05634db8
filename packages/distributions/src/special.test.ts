import * as tf from '@tensorflow/tfjs-core';
import { LGAMMA_KERNEL } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak, fixtures } from '../test/helpers.js';
import { digamma, expm1, lbeta, lgamma, log1mexp, softplusInverse, trigamma } from './special.js';

describe('special functions', () => {
  it('lgamma matches SciPy gammaln over [1e-6, 1e6] (float32: 1e-5 relative, 1e-5 absolute near zero)', () => {
    tf.tidy(() => {
      const x = tf.tensor(fixtures.lgamma.map((c) => c.x));
      expectClose(
        lgamma(x),
        fixtures.lgamma.map((c) => c.value),
        1e-5,
        1e-5,
      );
    });
  });
  it('digamma and trigamma match SciPy', () => {
    tf.tidy(() => {
      const x = tf.tensor(fixtures.digamma.map((c) => c.x));
      expectClose(
        digamma(x),
        fixtures.digamma.map((c) => c.value),
        1e-5,
        1e-5,
      );
      expectClose(
        trigamma(x),
        fixtures.trigamma.map((c) => c.value),
        1e-5,
        1e-5,
      );
    });
  });
  it('gradients: d lgamma = digamma, d digamma = trigamma (vs central finite differences)', () => {
    tf.tidy(() => {
      const xs = [0.3, 1.7, 12.5];
      const g1 = tf.grad(lgamma)(tf.tensor(xs)).dataSync();
      const g2 = tf.grad(digamma)(tf.tensor(xs)).dataSync();
      xs.forEach((x, i) => {
        const h = 1e-2 * x;
        const fd = (f: (t: tf.Tensor) => tf.Tensor): number =>
          (f(tf.scalar(x + h)).dataSync()[0]! - f(tf.scalar(x - h)).dataSync()[0]!) / (2 * h);
        expect(Math.abs(g1[i]! - fd(lgamma))).toBeLessThan(1e-3 * Math.max(1, Math.abs(g1[i]!)));
        expect(Math.abs(g2[i]! - fd(digamma))).toBeLessThan(2e-3 * Math.max(1, Math.abs(g2[i]!)));
      });
    });
  });
  it('gradients over the whole range [1e-6, 1e6] match central finite differences of the float64 references', () => {
    tf.tidy(() => {
      // d lgamma = ψ and d ψ = ψ′: compare the autodiff gradient with the SciPy values of the next function
      const xs = fixtures.digamma.map((c) => c.x);
      expectClose(
        tf.grad(lgamma)(tf.tensor(xs)),
        fixtures.digamma.map((c) => c.value),
        1e-5,
        1e-5,
      );
      expectClose(
        tf.grad(digamma)(tf.tensor(xs)),
        fixtures.trigamma.map((c) => c.value),
        1e-5,
        1e-5,
      );
    });
  });
  it('lbeta matches SciPy betaln', () => {
    tf.tidy(() => {
      const c = fixtures.lbeta;
      // Element 4 is B(2.5, 1000): log Γ(1000) ≈ 5905 and log Γ(1002.5) cancel to −17, so float32 (ulp ≈ 5e-4 at
      // 5905) cannot do better than ~3e-4 absolute there; the others are held to 1e-5.
      const got = lbeta(tf.tensor(c.map((v) => v.a)), tf.tensor(c.map((v) => v.b))).dataSync();
      c.forEach((v, i) => expectClose(got[i]!, v.value, i === 4 ? 0 : 1e-5, i === 4 ? 1e-3 : 1e-5));
    });
  });
  it('expm1 is accurate near 0, for denormal results and for large x', () => {
    tf.tidy(() => {
      const x = [-100, -1, -1e-3, -1e-8, 0, 1e-7, 0.3, 2, 50];
      expectClose(
        expm1(tf.tensor(x)),
        x.map((v) => Math.expm1(v)),
        2e-6,
        0,
      );
      const g = tf.grad(expm1)(tf.tensor(x.slice(0, 8)));
      expectClose(
        g,
        x.slice(0, 8).map((v) => Math.exp(v)),
        2e-6,
        1e-30,
      );
    });
  });
  it('log1mexp and softplusInverse are stable', () => {
    tf.tidy(() => {
      const x = [-1e-6, -0.1, -1, -50];
      expectClose(
        log1mexp(tf.tensor(x)),
        x.map((v) => Math.log(-Math.expm1(v))),
        1e-5,
        1e-6,
      );
      const y = [1e-4, 0.5, 5, 80];
      expectClose(
        softplusInverse(tf.tensor(y)),
        y.map((v) => v + Math.log(-Math.expm1(-v))),
        1e-5,
        1e-5,
      );
    });
  });
  it('does not leak', () => {
    const x = tf.tensor([0.5, 2]);
    const negX = tf.neg(x);
    expectNoLeak(() => [lgamma(x), digamma(x), trigamma(x), log1mexp(negX), softplusInverse(x)]);
    negX.dispose();
    expectNoLeak(() => tf.grad(lgamma)(x));
    x.dispose();
  });
});

describe('lgamma with a fused kernel', () => {
  it(`uses the backend's ${LGAMMA_KERNEL} kernel for the value where one is registered, and keeps the ψ gradient`, () => {
    // a plain-JS stand-in for the native kernel of @varia/native-kernels: the composite's own values, negated, so
    // the test can tell which path ran
    const composite = tf.tidy(() => Array.from(lgamma(tf.tensor1d([0.5, 3, 10])).dataSync()));
    let calls = 0;
    tf.registerKernel({
      kernelName: LGAMMA_KERNEL,
      backendName: 'cpu',
      kernelFunc: ({ backend }) => {
        calls++;
        const cpu = backend as unknown as {
          makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
        };
        return cpu.makeTensorInfo(
          [3],
          'float32',
          Float32Array.from(composite, (v) => -v),
        );
      },
    });
    try {
      tf.tidy(() => {
        const x = tf.tensor1d([0.5, 3, 10]);
        expect(Array.from(lgamma(x).dataSync())).toEqual(composite.map((v) => Math.fround(-v)));
        expect(calls).toBe(1);
        const g = tf
          .grad((t: tf.Tensor) => tf.sum(lgamma(t)))(x)
          .dataSync();
        expect(g[1]).toBeCloseTo(1 - 0.5772156649 + 0.5, 4); // ψ(3) = 1 + 1/2 − γ
      });
    } finally {
      tf.unregisterKernel(LGAMMA_KERNEL, 'cpu');
    }
  });
});
