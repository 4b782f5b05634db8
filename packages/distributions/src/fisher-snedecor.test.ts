import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { FisherSnedecor, type FisherSnedecorParams } from './fisher-snedecor.js';

describe('FisherSnedecor', () => {
  it('matches torch: logProb, mean; variance and mode by the mathematics; cdf, icdf and entropy match SciPy', () => {
    expectMatchesTorch(torch.fisherSnedecor!, (p) => new FisherSnedecor(p as unknown as FisherSnedecorParams), {
      rtol: 5e-5,
      atol: 5e-6,
      tolerances: { icdf: [2e-4, 1e-5] },
    });
  });
  it('samples pass a KS test (F(2, 2): cdf x/(1 + x)); the implicit rsample gradient ∂E[X]/∂d₂ = −2/(d₂ − 2)²', () => {
    const d = new FisherSnedecor({ df1: 2, df2: 2 });
    const x = d.sample([4000], { seed: 71 });
    expectKS(x.dataSync(), (v) => (v <= 0 ? 0 : v / (1 + v)));
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const g = tf.grad((d2: tf.Tensor) =>
        tf.mean(new FisherSnedecor({ df1: 20, df2: d2 }).rsample([40000], { seed: 72 })),
      )(tf.scalar(12));
      expectClose(g, -2 / 100, 0, 0.006);
    });
  });
  it('rejects bad input', () => {
    expect(() => new FisherSnedecor({ df1: 1, df2: -2 })).toThrowError(/FisherSnedecor: "df2" must be finite and > 0/);
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new FisherSnedecor({ df1: [3, 10], df2: 7 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
