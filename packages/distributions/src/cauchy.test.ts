import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectNoLeak } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { Cauchy, type CauchyParams } from './cauchy.js';

describe('Cauchy', () => {
  it('matches torch: logProb, cdf, icdf, mean (NaN), variance (∞), mode, entropy', () => {
    expectMatchesTorch(torch.cauchy!, (p) => new Cauchy(p as unknown as CauchyParams), {
      tolerances: { icdf: [1e-4, 1e-5] },
    });
  });
  it('samples pass a KS test; rsample gradient of the median is ∂/∂μ = 1', () => {
    const d = new Cauchy({ loc: 2, scale: 0.5 });
    const x = d.sample([4000], { seed: 9 });
    expectKS(x.dataSync(), (v) => 0.5 + Math.atan((v - 2) / 0.5) / Math.PI);
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const g = tf.grad((m: tf.Tensor) => tf.sum(new Cauchy({ loc: m, scale: 1 }).rsample([10], { seed: 1 })))(
        tf.scalar(0),
      );
      expectClose(g, 10);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Cauchy({ loc: 0, scale: -1 })).toThrowError(/Cauchy: "scale" must be finite and > 0, got -1/);
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Cauchy({ loc: [0, 1], scale: 2 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
    const d = new Cauchy({ loc: [0, 1], scale: 2 });
    expectNoLeak(() => d.icdf(0.3));
    d.dispose();
  });
});
