import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { RelaxedBernoulli, type RelaxedBernoulliParams } from './relaxed-bernoulli.js';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

describe('RelaxedBernoulli', () => {
  it('matches torch: logProb', () => {
    expectMatchesTorch(torch.relaxedBernoulli!, (p) => new RelaxedBernoulli(p as unknown as RelaxedBernoulliParams), {
      rtol: 2e-5,
      atol: 2e-5,
    });
  });
  it('samples pass a KS test against F(x) = σ(τ·logit(x) − ℓ); the pathwise gradient is finite', () => {
    const [t, l] = [0.5, 0.3];
    const d = new RelaxedBernoulli({ temperature: t, logits: l });
    const x = d.sample([4000], { seed: 21 });
    expectKS(x.dataSync(), (v) => (v <= 0 ? 0 : v >= 1 ? 1 : sigmoid(t * Math.log(v / (1 - v)) - l)));
    x.dispose();
    d.dispose();
    tf.tidy(() => {
      const g = tf.grad((lg: tf.Tensor) =>
        tf.mean(new RelaxedBernoulli({ temperature: 0.1, logits: lg }).rsample([2000], { seed: 2 })),
      )(tf.scalar(0.5));
      expect(Number.isFinite(g.dataSync()[0]!)).toBe(true);
      expect(g.dataSync()[0]!).toBeGreaterThan(0);
    });
  });
  it('rejects bad input', () => {
    expect(() => new RelaxedBernoulli({ temperature: 0, probs: 0.5 })).toThrowError(
      /RelaxedBernoulli: "temperature" must be finite and > 0, got 0/,
    );
    const d = new RelaxedBernoulli({ temperature: 1, probs: 0.5 });
    expect(() => d.logProb(1)).toThrowError(/"value" must be/);
    d.dispose();
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new RelaxedBernoulli({ temperature: 0.7, logits: [0.5, -1] }), [], true);
  });
});
