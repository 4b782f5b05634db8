import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract } from '../test/helpers.js';
import { expectChiSquare, expectMatchesTorch, torch } from '../test/torch.js';
import { RelaxedOneHotCategorical, type RelaxedOneHotCategoricalParams } from './relaxed-one-hot-categorical.js';

describe('RelaxedOneHotCategorical', () => {
  it('matches torch: logProb', () => {
    expectMatchesTorch(
      torch.relaxedOneHotCategorical!,
      (p) => new RelaxedOneHotCategorical(p as unknown as RelaxedOneHotCategoricalParams),
      { rtol: 2e-5, atol: 2e-5 },
    );
  });
  it('argmax of a draw is Categorical(softmax ℓ) at any temperature (the Gumbel-max property): χ² test', () => {
    const logits = [0.1, -0.5, 1.2];
    const probs = logits.map(Math.exp);
    const z = probs.reduce((a, b) => a + b);
    for (const [t, seed] of [
      [0.5, 3],
      [2, 4],
    ] as const) {
      const d = new RelaxedOneHotCategorical({ temperature: t, logits });
      const idx = tf.tidy(() => tf.argMax(d.sample([4000], { seed }), -1).dataSync());
      expectChiSquare(idx, (k) => probs[k]! / z, [0, 1, 2]);
      d.dispose();
    }
  });
  it('draws lie on the simplex; the Gumbel-softmax gradient flows to the logits', () => {
    tf.tidy(() => {
      const d = new RelaxedOneHotCategorical({
        temperature: 0.5,
        logits: [
          [0, 1, 2],
          [2, 0, -1],
        ],
      });
      const x = d.rsample([50], { seed: 1 });
      const sums = tf.sum(x, -1).dataSync();
      expect(Math.max(...Array.from(sums).map((s) => Math.abs(s - 1)))).toBeLessThan(1e-5);
      const g = tf.grad((l: tf.Tensor) =>
        tf.sum(
          tf.mul(new RelaxedOneHotCategorical({ temperature: 0.5, logits: l }).rsample([100], { seed: 2 }), [1, 0, 0]),
        ),
      )(tf.tensor1d([0, 1, 2]));
      const gv = Array.from(g.dataSync());
      expect(gv.every(Number.isFinite)).toBe(true);
      expect(gv[0]!).toBeGreaterThan(0);
    });
  });
  it('rejects bad input', () => {
    expect(() => new RelaxedOneHotCategorical({ temperature: -1, logits: [0, 1] })).toThrowError(
      /"temperature" must be finite and > 0/,
    );
    const d = new RelaxedOneHotCategorical({ temperature: 1, logits: [0, 1] });
    expect(() => d.logProb([0.5, 0.6])).toThrowError(/"value" must be/);
    d.dispose();
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () =>
        new RelaxedOneHotCategorical({
          temperature: [0.5, 2],
          logits: [
            [0, 1, 2],
            [1, 1, 1],
          ],
        }),
      [],
      true,
    );
  });
});
