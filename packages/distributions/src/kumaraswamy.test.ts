import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectNoLeak } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { Kumaraswamy, type KumaraswamyParams } from './kumaraswamy.js';

describe('Kumaraswamy', () => {
  it('matches torch: logProb, mean, variance, entropy; cdf, icdf and mode by their closed forms', () => {
    expectMatchesTorch(torch.kumaraswamy!, (p) => new Kumaraswamy(p as unknown as KumaraswamyParams), {
      rtol: 5e-5,
      atol: 5e-6,
    });
  });
  it('samples pass a KS test; the pathwise gradient of E[X] matches a central difference of the mean', () => {
    const d = new Kumaraswamy({ concentration1: 2, concentration0: 3 });
    const x = d.sample([4000], { seed: 61 });
    expectKS(x.dataSync(), (v) => (v <= 0 ? 0 : v >= 1 ? 1 : 1 - (1 - v ** 2) ** 3));
    x.dispose();
    d.dispose();
    const mean = (a: number): number =>
      tf.tidy(() => new Kumaraswamy({ concentration1: a, concentration0: 3 }).mean().dataSync()[0]!);
    const fd = (mean(2.01) - mean(1.99)) / 0.02;
    tf.tidy(() => {
      const g = tf.grad((a: tf.Tensor) =>
        tf.mean(new Kumaraswamy({ concentration1: a, concentration0: 3 }).rsample([40000], { seed: 62 })),
      )(tf.scalar(2));
      expect(Math.abs(g.dataSync()[0]! - fd)).toBeLessThan(0.01);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Kumaraswamy({ concentration1: -1, concentration0: 1 })).toThrowError(
      /Kumaraswamy: "concentration1" must be finite and > 0/,
    );
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Kumaraswamy({ concentration1: [2, 5], concentration0: 1.5 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
    const d = new Kumaraswamy({ concentration1: [2, 5], concentration0: 1.5 });
    expectNoLeak(() => d.icdf(0.4));
    d.dispose();
  });
});
