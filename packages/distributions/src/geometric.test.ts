import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract } from '../test/helpers.js';
import { expectAllClose, expectChiSquare, expectMatchesTorch, torch } from '../test/torch.js';
import { Geometric, type GeometricParams } from './geometric.js';

describe('Geometric', () => {
  it('matches torch: logProb, mean, variance, mode, entropy; cdf 1 − (1 − p)^{k+1}', () => {
    expectMatchesTorch(torch.geometric!, (p) => new Geometric(p as unknown as GeometricParams), { rtol: 2e-5 });
  });
  it('samples pass a χ² test', () => {
    for (const [p, seed] of [
      [0.3, 1],
      [0.9, 2],
      [0.02, 3],
    ] as const) {
      const d = new Geometric({ probs: p });
      const x = d.sample([5000], { seed });
      expectChiSquare(
        x.dataSync(),
        (k) => (1 - p) ** k * p,
        Array.from({ length: 2000 }, (_, k) => k),
      );
      x.dispose();
      d.dispose();
    }
  });
  it('is exact at p = 1: log p(0) = 0, log p(1) = −∞, entropy 0, no NaN', () => {
    tf.tidy(() => {
      const d = new Geometric({ probs: [1, 1] });
      expectAllClose(d.logProb([0, 1]), [0, -Infinity]);
      expectAllClose(d.entropy(), [0, 0]);
      expectAllClose(d.sample([3], { seed: 1 }), [0, 0, 0, 0, 0, 0]);
      const g = tf.grad((l: tf.Tensor) => tf.sum(new Geometric({ logits: l }, { validateArgs: false }).entropy()))(
        tf.tensor1d([Infinity, 0]),
      );
      expect(Array.from(g.dataSync()).every((v) => !Number.isNaN(v))).toBe(true);
    });
  });
  it('rejects bad input', () => {
    expect(() => new Geometric({ probs: 1.5 })).toThrowError(
      /Geometric: "probs" must be finite and in \[0, 1\], got 1.5/,
    );
    const d = new Geometric({ probs: 0.5 });
    expect(() => d.logProb(0.5)).toThrowError(/"value" must be/);
    d.dispose();
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new Geometric({ logits: [0.5, -1] }), ['mean', 'mode', 'variance', 'stddev', 'entropy']);
  });
});
