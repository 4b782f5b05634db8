import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { NotImplementedError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '../test/helpers.js';
import { Bernoulli } from './bernoulli.js';
import { Categorical } from './categorical.js';
import { Normal } from './normal.js';
import { OneHotCategorical } from './one-hot-categorical.js';

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync(), (v) => v + 0);

describe('enumerateSupport (torch semantics: a new leading axis over the support)', () => {
  it('Bernoulli: [2, ...batch], or [2, 1, …] without expand; the masses sum to 1', () => {
    const d = new Bernoulli({ probs: [[0.2, 0.7, 1]] });
    expectNoLeak(() => {
      const s = d.enumerateSupport();
      expect(s.shape).toEqual([2, 1, 3]);
      expect(values(s)).toEqual([0, 0, 0, 1, 1, 1]);
      const t = d.enumerateSupport(false);
      expect(t.shape).toEqual([2, 1, 1]);
      const total = tf.tidy(() => tf.sum(tf.exp(d.logProb(s)), 0));
      expectClose(total, [1, 1, 1]);
      return [s, t, total];
    });
    expect(d.hasEnumerateSupport).toBe(true);
    d.dispose();
  });
  it('Categorical: [K, ...batch]; OneHotCategorical: [K, ...batch, K]; K = 1 works', () => {
    const c = new Categorical({
      logits: [
        [0, 1, 2],
        [2, 1, 0],
      ],
    });
    const o = new OneHotCategorical({ probs: [[0.2, 0.3, 0.5]] });
    const one = new Categorical({ logits: [[0], [1]] });
    expectNoLeak(() => {
      const s = c.enumerateSupport();
      expect(s.shape).toEqual([3, 2]);
      expect(values(s)).toEqual([0, 0, 1, 1, 2, 2]);
      const lp = c.logProb(s);
      const total = tf.tidy(() => tf.sum(tf.exp(lp), 0));
      expectClose(total, [1, 1]);
      const h = o.enumerateSupport();
      expect(h.shape).toEqual([3, 1, 3]);
      expect(values(h)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      const hf = o.enumerateSupport(false);
      expect(hf.shape).toEqual([3, 1, 3]);
      const lph = o.logProb(h);
      expectClose(lph, [Math.log(0.2), Math.log(0.3), Math.log(0.5)], 1e-6);
      const k1 = one.enumerateSupport();
      expect(k1.shape).toEqual([1, 2]);
      return [s, lp, total, h, hf, lph, k1];
    });
    for (const d of [c, o, one]) d.dispose();
  });
  it('families without a finite support throw NotImplementedError', () => {
    const n = new Normal({ loc: 0, scale: 1 });
    expect(n.hasEnumerateSupport).toBe(false);
    expect(() => n.enumerateSupport()).toThrowError(NotImplementedError);
    n.dispose();
  });
});

describe('perplexity', () => {
  it('is e^H: K for a uniform categorical, 1 for a point mass', () => {
    const c = new Categorical({
      probs: [
        [1, 1, 1, 1],
        [0, 0, 1, 0],
      ],
    });
    expectNoLeak(() => {
      const p = c.perplexity();
      expectClose(p, [4, 1], 1e-6);
      return p;
    });
    c.dispose();
  });
});
