import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { NegativeBinomialHead, ZeroInflatedNegativeBinomialHead } from './count-heads.js';
import { ContinuousBernoulliHead } from './logits-heads.js';

describe('NegativeBinomialHead', () => {
  it('starts at μ = 1, θ = 1 with zero init: mean 1, variance μ + μ²/θ = 2, and learns θ per feature', () => {
    const head = new NegativeBinomialHead({ inputDim: 3, units: 2, init: 'zeros' });
    tf.tidy(() => {
      const d = head.apply(tf.ones([4, 3]));
      expect(d.batchShape).toEqual([4]);
      expect(d.eventShape).toEqual([2]);
      expect(Array.from(d.mean().dataSync())).toEqual(new Array(8).fill(1));
      for (const v of d.variance().dataSync()) expect(v).toBeCloseTo(2, 5);
      // NB(x; μ=1, θ=1) is geometric with p = ½: P(x) = 2^−(x+1); features x = [0, 3] → log(½) + log(1/16)
      expect(
        d
          .logProb(
            tf.tensor2d([
              [0, 3],
              [0, 3],
              [0, 3],
              [0, 3],
            ]),
          )
          .dataSync()[0],
      ).toBeCloseTo(Math.log(0.5) + Math.log(1 / 16), 4);
      const g = tf.variableGrads(
        () => tf.neg(tf.sum(head.apply(tf.ones([4, 3])).logProb(tf.fill([4, 2], 10)))) as tf.Scalar,
        [head.logDispersion!],
      );
      expect(Math.abs(g.grads[head.logDispersion!.name]!.dataSync()[0]!)).toBeGreaterThan(0);
    });
    expect([...head.namedVariables('lik').keys()]).toEqual(['lik/mean/kernel', 'lik/mean/bias', 'lik/log_dispersion']);
    expect(() => new NegativeBinomialHead({ inputDim: 3, units: 2, dispersion: 'gene' as never })).toThrowError(
      ArgumentError,
    );
    head.dispose();
  });

  it('amortized dispersion and library size', () => {
    const head = new NegativeBinomialHead({
      inputDim: 3,
      units: 4,
      init: 'zeros',
      dispersion: 'amortized',
      librarySize: true,
    });
    tf.tidy(() => {
      const d = head.apply(tf.ones([1, 3]), { logLibrarySize: tf.log(tf.tensor2d([[40]])) });
      expect(Array.from(d.mean().dataSync()).map((v) => Math.round(v))).toEqual([10, 10, 10, 10]);
    });
    expect([...head.namedVariables().keys()]).toContain('dispersion/kernel');
    head.dispose();
  });
});

describe('ZeroInflatedNegativeBinomialHead', () => {
  it('gate ½ at zero init halves the mean and raises P(0)', () => {
    const head = new ZeroInflatedNegativeBinomialHead({ inputDim: 2, units: 1, init: 'zeros' });
    tf.tidy(() => {
      const d = head.apply(tf.ones([1, 2]));
      expect(d.mean().dataSync()[0]).toBeCloseTo(0.5, 5);
      // P(0) = ½ + ½·NB(0; 1, 1) = ½ + ¼
      expect(d.logProb(tf.tensor2d([[0]])).dataSync()[0]).toBeCloseTo(Math.log(0.75), 5);
    });
    expect([...head.namedVariables().keys()]).toEqual([
      'mean/kernel',
      'mean/bias',
      'gate/kernel',
      'gate/bias',
      'log_dispersion',
    ]);
    head.dispose();
  });
});

describe('ContinuousBernoulliHead', () => {
  it('is normalized: at logits 0 it is uniform on [0, 1] (density 1)', () => {
    const head = new ContinuousBernoulliHead({ inputDim: 2, units: 3, init: 'zeros' });
    tf.tidy(() => {
      const d = head.apply(tf.ones([2, 2]));
      for (const v of d
        .logProb(
          tf.tensor2d([
            [0.1, 0.5, 0.9],
            [0, 1, 0.3],
          ]),
        )
        .dataSync())
        expect(v).toBeCloseTo(0, 4);
    });
    head.dispose();
  });

  it('count and continuous heads do not leak', () => {
    const heads = [
      new NegativeBinomialHead({ inputDim: 2, units: 2 }),
      new ZeroInflatedNegativeBinomialHead({ inputDim: 2, units: 2 }),
      new ContinuousBernoulliHead({ inputDim: 2, units: 2 }),
    ];
    const h = tf.ones([3, 2]);
    const before = tf.memory().numTensors;
    for (const head of heads) {
      tf.tidy(() => {
        head.apply(h).logProb(tf.fill([3, 2], head.family === 'continuous-bernoulli' ? 0.5 : 2));
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    h.dispose();
    const beforeDispose = tf.memory().numTensors;
    heads.forEach((x) => x.dispose());
    expect(tf.memory().numTensors).toBe(beforeDispose - (3 + 5 + 2));
  });
});
