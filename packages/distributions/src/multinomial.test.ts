import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract } from '../test/helpers.js';
import { expectAllClose, expectChiSquare, expectMatchesTorch, torch } from '../test/torch.js';
import { Multinomial, type MultinomialParams } from './multinomial.js';

describe('Multinomial', () => {
  it('matches torch: logProb, mean, variance, entropy', () => {
    expectMatchesTorch(torch.multinomial!, (p) => new Multinomial(p as unknown as MultinomialParams), {
      rtol: 2e-5,
      atol: 2e-5,
    });
  });
  it('samples sum to n; the count vector passes a χ² test over the 21 outcomes of n = 5, K = 3', () => {
    const probs = [0.2, 0.3, 0.5];
    const d = new Multinomial({ totalCount: 5, probs });
    const x = d.sample([4000], { seed: 91 });
    const v = x.dataSync();
    const codes: number[] = [];
    for (let i = 0; i < v.length; i += 3) {
      expect(v[i]! + v[i + 1]! + v[i + 2]!).toBe(5);
      codes.push(v[i]! * 6 + v[i + 1]!);
    }
    const fact = [1, 1, 2, 6, 24, 120];
    const pmf = (code: number): number => {
      const a = Math.floor(code / 6);
      const b = code % 6;
      const c = 5 - a - b;
      return c < 0
        ? 0
        : (fact[5]! / (fact[a]! * fact[b]! * fact[c]!)) * probs[0]! ** a * probs[1]! ** b * probs[2]! ** c;
    };
    expectChiSquare(
      codes,
      pmf,
      Array.from({ length: 36 }, (_, i) => i),
    );
    x.dispose();
    d.dispose();
  });
  it('zero-probability categories are exact', () => {
    tf.tidy(() => {
      const d = new Multinomial({ totalCount: 3, probs: [0.5, 0.5, 0] });
      expectAllClose(
        d.logProb([
          [2, 1, 0],
          [1, 1, 1],
        ]),
        [Math.log(3 / 8), -Infinity],
      );
      expect(Number.isFinite(d.entropy().dataSync()[0]!)).toBe(true);
    });
  });
  it('rejects counts that do not sum to n and a varying n', () => {
    const d = new Multinomial({ totalCount: 3, probs: [0.5, 0.5] });
    expect(() => d.logProb([1, 1])).toThrowError(/"value" must be finite and non-negative integers summing to 3/);
    d.dispose();
    expect(
      () =>
        new Multinomial({
          totalCount: [2, 3],
          probs: [
            [0.5, 0.5],
            [0.5, 0.5],
          ],
        }),
    ).toThrowError(/one integer for the whole batch/);
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () =>
        new Multinomial({
          totalCount: 4,
          logits: [
            [0, 1, 2],
            [1, 1, 1],
          ],
        }),
      ['mean', 'variance', 'stddev', 'entropy'],
    );
  });
});
