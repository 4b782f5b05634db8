import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectNoLeak } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { Chi2, type Chi2Params } from './chi2.js';

describe('Chi2', () => {
  it('matches torch: logProb, mean, variance, mode, entropy; cdf and icdf match SciPy', () => {
    expectMatchesTorch(torch.chi2!, (p) => new Chi2(p as unknown as Chi2Params), {
      rtol: 2e-5,
      atol: 2e-6,
      tolerances: { icdf: [1e-4, 1e-5] },
    });
  });
  it('samples pass a KS test (k = 4: F(x) = 1 − e^{−x/2}(1 + x/2)); the implicit rsample gradient ∂E[X]/∂k = 1', () => {
    const d = new Chi2({ df: 4 });
    const x = d.sample([4000], { seed: 51 });
    expectKS(x.dataSync(), (v) => (v <= 0 ? 0 : 1 - Math.exp(-v / 2) * (1 + v / 2)));
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const g = tf.grad((k: tf.Tensor) => tf.mean(new Chi2({ df: k }).rsample([20000], { seed: 52 })))(tf.scalar(3));
      expectClose(g, 1, 0, 0.05);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Chi2({ df: 0 })).toThrowError(/Chi2: "df" must be finite and > 0, got 0/);
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new Chi2({ df: [1, 5] }), ['mean', 'mode', 'variance', 'stddev', 'entropy'], true);
    const d = new Chi2({ df: [1, 5] });
    expectNoLeak(() => d.icdf(0.4));
    expectNoLeak(() => d.cdf(2));
    d.dispose();
  });
});
