import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { hostLogFactorial } from './log-factorial.js';
import { Poisson } from './poisson.js';

// log k! from Python's math.lgamma(k + 1) (double precision)
const LOG_FACTORIAL: [number, number][] = [
  [0, 0],
  [1, 0],
  [2, Math.LN2],
  [3, 1.7917594692280554],
  [10, 15.104412573075514],
  [100, 363.73937555556347],
  [1023, 6071.28041294445],
  [1024, 6078.211884750051],
  [5000, 37591.14350887677],
  [123456, 1323904.4924837977],
  [16777216, 262320712.46978956],
];

describe('hostLogFactorial', () => {
  it('matches math.lgamma(k + 1) to float32 rounding, in the table and in the Stirling range', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor1d(LOG_FACTORIAL.map(([k]) => k));
    const out = hostLogFactorial(x)!;
    const got = out.dataSync();
    LOG_FACTORIAL.forEach(([, v], i) => expect(got[i]).toBe(Math.fround(v)));
    expect(out.shape).toEqual([LOG_FACTORIAL.length]);
    tf.dispose([x, out]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('declines (undefined) anything but non-negative integer counts up to 2^24, without leaking', () => {
    const before = tf.memory().numTensors;
    for (const bad of [[1, 2.5], [-1, 2], [Number.NaN], [Number.POSITIVE_INFINITY], [16777218]]) {
      const x = tf.tensor1d(bad);
      expect(hostLogFactorial(x)).toBeUndefined();
      x.dispose();
    }
    const ints = tf.tensor1d([1, 2], 'int32');
    expect(hostLogFactorial(ints)).toBeUndefined();
    ints.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("Poisson logProbMethod 'direct' on counts", () => {
  // x·log λ − λ − log Γ(x + 1) in double precision (Python)
  const CASES: [number, number, number][] = [
    [0, 0.5, -0.5],
    [3, 2.5, -1.54288727360559],
    [17, 20, -2.5776247997190467],
    [2000, 1800, -15.440462745293189],
  ];

  it('gives the textbook log-mass (float32 cancellation aside), and the rate gradient x/λ − 1', () => {
    const before = tf.memory().numTensors;
    const rate = tf.tensor1d(CASES.map((c) => c[1]));
    const x = tf.tensor1d(CASES.map((c) => c[0]));
    const f = (r: tf.Tensor): tf.Tensor =>
      new Poisson({ rate: r }, { validateArgs: false, maskOutOfSupport: false, logProbMethod: 'direct' }).logProb(x);
    const lp = tf.tidy(() => f(rate));
    const grad = tf.grad(f)(rate);
    const lpv = lp.dataSync();
    const gv = grad.dataSync();
    CASES.forEach(([k, r, want], i) => {
      // float32 terms of size x·log λ ≈ 1.5e4 cancel: absolute error ~ 1e-3 at the largest count
      expect(Math.abs(lpv[i]! - want)).toBeLessThan(2e-3);
      expect(gv[i]).toBeCloseTo(k / r - 1, 5);
    });
    tf.dispose([rate, x, lp, grad]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
