import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectFixture, expectMoments, fixtures } from '../test/helpers.js';
import { ContinuousBernoulli } from './continuous-bernoulli.js';

describe('ContinuousBernoulli', () => {
  it('logProb, cdf, mean, variance and entropy match float64 quadrature, incl. near p = ½ and logits ±100', () => {
    tf.tidy(() => {
      const c = fixtures.continuousBernoulli;
      const d = new ContinuousBernoulli({ logits: c.map((v) => v.logits) });
      expectFixture(d, c, {
        logProb: [1e-5, 1e-5],
        cdf: [1e-5, 1e-6],
        mean: [1e-5, 1e-6],
        variance: [1e-5, 1e-6],
        entropy: [1e-5, 1e-5],
      });
    });
  });
  it('probs parameterization and rsample: moments and gradient d/dℓ E[X] = Var[X]', () => {
    tf.tidy(() => {
      const d = new ContinuousBernoulli({ probs: [0.2, 0.5, 0.999] });
      expectMoments(
        d.rsample([20000], { seed: 3 }),
        Array.from(d.mean().dataSync()),
        Array.from(d.variance().dataSync()),
      );
      const g = tf.grad((l: tf.Tensor) =>
        tf.mean(new ContinuousBernoulli({ logits: l }, { validateArgs: false }).rsample([20000], { seed: 5 })),
      )(tf.scalar(0.7));
      const v = new ContinuousBernoulli({ logits: 0.7 }).variance().dataSync()[0]!;
      expectClose(g, v, 0.03, 0);
    });
  });
  it('rejects bad input', () => {
    expect(() => new ContinuousBernoulli({ probs: 1 })).toThrowError(
      /ContinuousBernoulli: "probs" must be finite and in \(0, 1\), got 1/,
    );
    const d = new ContinuousBernoulli({ logits: 0 });
    expect(() => d.logProb(1.5)).toThrowError(/"value" must be finite and in \[0, 1\], got 1.5/);
    d.dispose();
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new ContinuousBernoulli({ logits: [-3, 0, 1e-3, 4] }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
