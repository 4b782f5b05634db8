import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectNoLeak } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { EULER_GAMMA, Gumbel, type GumbelParams } from './gumbel.js';

describe('Gumbel', () => {
  it('matches torch: logProb, cdf, icdf, mean, variance, mode, entropy', () => {
    expectMatchesTorch(torch.gumbel!, (p) => new Gumbel(p as unknown as GumbelParams));
  });
  it('samples pass a KS test; rsample gradient ∂E[X]/∂β = γ', () => {
    const d = new Gumbel({ loc: 3, scale: 0.4 });
    const x = d.sample([4000], { seed: 12 });
    expectKS(x.dataSync(), (v) => Math.exp(-Math.exp(-(v - 3) / 0.4)));
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const g = tf.grad((s: tf.Tensor) => tf.mean(new Gumbel({ loc: 0, scale: s }).rsample([40000], { seed: 13 })))(
        tf.scalar(1),
      );
      expectClose(g, EULER_GAMMA, 0, 0.03);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Gumbel({ loc: NaN, scale: 1 })).toThrowError(
      /Gumbel: "loc" must be a finite real number, got NaN/,
    );
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new Gumbel({ loc: [0, 1], scale: 2 }),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
    const d = new Gumbel({ loc: [0, 1], scale: 2 });
    expectNoLeak(() => d.icdf(0.3));
    d.dispose();
  });
});
