// Without validation a value outside the support has log-density −∞, and a model that masks such terms out (a
// `tf.where` on its own validity mask, as a missing-data likelihood does) must get the gradients of the other terms
// unchanged. The family's formula once saw the outside value itself: its NaN there (log of a negative number,
// ∞ − ∞) went through the mask's `where` as 0 · NaN = NaN into every parameter's gradient. Reference: the gradient of
// the valid term alone.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Beta } from './beta.js';
import { Chi2 } from './chi2.js';
import type { Distribution } from './distribution.js';
import { FisherSnedecor } from './fisher-snedecor.js';
import { Gamma } from './gamma.js';
import { Kumaraswamy } from './kumaraswamy.js';
import { RelaxedBernoulli } from './relaxed-bernoulli.js';
import { Weibull } from './weibull.js';

const NV = { validateArgs: false };

interface Case {
  name: string;
  /** Parameter values, in the order `make` takes them. */
  params: number[];
  make: (p: tf.Tensor[]) => Distribution;
  /** A value inside the support and values outside it. */
  inside: number;
  outside: number[];
}

const CASES: Case[] = [
  { name: 'Chi2', params: [2], make: ([df]) => new Chi2({ df: df! }, NV), inside: 1, outside: [-1, -1e30] },
  {
    name: 'Weibull',
    params: [1.5, 2],
    make: ([scale, concentration]) => new Weibull({ scale: scale!, concentration: concentration! }, NV),
    inside: 0.7,
    outside: [-1],
  },
  {
    name: 'RelaxedBernoulli',
    params: [0.5, 0.3],
    make: ([temperature, logits]) => new RelaxedBernoulli({ temperature: temperature!, logits: logits! }, NV),
    inside: 0.4,
    outside: [1.5, 0, 1, -2],
  },
  {
    name: 'Beta',
    params: [2, 3],
    make: ([c1, c0]) => new Beta({ concentration1: c1!, concentration0: c0! }, NV),
    inside: 0.3,
    outside: [1, 0, 1.5, -0.5],
  },
  {
    name: 'Kumaraswamy',
    params: [2, 3],
    make: ([c1, c0]) => new Kumaraswamy({ concentration1: c1!, concentration0: c0! }, NV),
    inside: 0.3,
    outside: [1.5, -0.5],
  },
  {
    name: 'FisherSnedecor',
    params: [3, 5],
    make: ([df1, df2]) => new FisherSnedecor({ df1: df1!, df2: df2! }, NV),
    inside: 1.2,
    outside: [-1],
  },
  {
    name: 'Gamma',
    params: [2, 3],
    make: ([a, b]) => new Gamma({ concentration: a!, rate: b! }, NV),
    inside: 0.5,
    outside: [-1, 0],
  },
];

/** ∂/∂params of Σ over the kept terms of logProb(values), the others masked out by `where`; and logProb itself. */
function maskedGrads(c: Case, values: number[], keep: boolean[]): { grads: number[]; lp: number[] } {
  return tf.tidy(() => {
    const params = c.params.map((v) => tf.scalar(v));
    const x = tf.tensor1d(values);
    const mask = tf.tensor1d(keep, 'bool');
    const f = (...p: tf.Tensor[]) => {
      const lp = c.make(p).logProb(x);
      return tf.sum(tf.where(mask, lp, tf.zerosLike(lp)));
    };
    const grads = tf
      .grads(f)(params)
      .map((g) => g.dataSync()[0]!);
    return { grads, lp: [...c.make(params).logProb(x).dataSync()] };
  });
}

describe('logProb without validation: values outside the support do not poison the gradients', () => {
  for (const c of CASES) {
    it(`${c.name}: the masked gradients equal the valid term's alone; outside values have logProb −∞`, () => {
      const alone = maskedGrads(c, [c.inside], [true]);
      expect(alone.grads.every(Number.isFinite)).toBe(true);
      const values = [c.inside, ...c.outside];
      const masked = maskedGrads(
        c,
        values,
        values.map((_, i) => i === 0),
      );
      expect(masked.lp.slice(1)).toEqual(c.outside.map(() => -Infinity));
      expect(masked.lp[0]).toBeCloseTo(alone.lp[0]!, 5);
      for (let i = 0; i < alone.grads.length; i++) expect(masked.grads[i]).toBeCloseTo(alone.grads[i]!, 5);
    });
  }

  it('a NaN value has log-density −∞ too, and its term masked out leaves the gradients clean', () => {
    const c = CASES[0]!;
    const masked = maskedGrads(c, [c.inside, Number.NaN], [true, false]);
    const alone = maskedGrads(c, [c.inside], [true]);
    expect(masked.lp[1]).toBe(-Infinity);
    expect(masked.grads[0]).toBeCloseTo(alone.grads[0]!, 5);
  });
});
