import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { Distribution } from '../src/distribution.js';

/** Monte-Carlo KL and its standard error from n samples of log p − log q under p. */
export function monteCarloKL(
  p: Distribution,
  q: Distribution,
  n: number,
  seed: number,
): { mean: number[]; se: number[] } {
  return tf.tidy(() => {
    const x = p.sample([n], { seed });
    const diff = tf.sub(p.logProb(x), q.logProb(x));
    const { mean, variance } = tf.moments(diff, 0);
    return { mean: Array.from(mean.dataSync()), se: Array.from(tf.sqrt(tf.div(variance, n)).dataSync()) };
  });
}

/** |analytic − Monte Carlo| ≤ 4 standard errors (plus float32 slack), element-wise. */
export function expectWithin4SE(analytic: tf.Tensor, mc: { mean: number[]; se: number[] }): void {
  const a = analytic.dataSync();
  expect(a.length).toBe(mc.mean.length);
  mc.mean.forEach((m, i) => expect(Math.abs(a[i]! - m)).toBeLessThanOrEqual(4 * mc.se[i]! + 1e-5 * (1 + Math.abs(m))));
}
