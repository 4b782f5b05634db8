import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { Bernoulli, type Distribution, Independent, Normal } from '@varia/distributions';
import { describe, expect, it } from 'vitest';
import { checkNoLeaksPerTest } from '../test/no-leaks.js';
import { LearnedBaseline, MovingAverageBaseline } from './baselines.js';
import { negativeElbo } from './elbo.js';
import { vimcoBaseline } from './iwae.js';
import { leaveOneOutMean, magicBox } from './score-function.js';
import { sampleAndReconstruct, type VariationalInputs } from './variational.js';

checkNoLeaksPerTest();

describe('magicBox', () => {
  it('is 1 in value and passes the gradient of its argument: d⊡(τ)/dθ = dτ/dθ', () => {
    tf.tidy(() => {
      const f = (t: tf.Tensor): tf.Tensor => tf.sum(tf.mul(magicBox(tf.square(t)), 3));
      const t = tf.tensor1d([0.5, -2]);
      expect(Array.from(tf.tidy(() => magicBox(tf.square(t))).dataSync())).toEqual([1, 1]);
      expect(Array.from(tf.grad(f)(t).dataSync())).toEqual([3, -12]); // 3·2t
    });
  });
});

describe('MovingAverageBaseline', () => {
  it('returns the bias-corrected average of the previous steps only (0, then 1, then (0.5·1 + 1·3)/1.5)', () => {
    const b = new MovingAverageBaseline({ decay: 0.5 });
    const seen: number[] = [];
    for (const v of [1, 3, 5]) {
      tf.tidy(() => {
        seen.push(b.compute({ x: tf.zeros([2, 1]), signal: tf.fill([1, 2], v) }).value.dataSync()[0]!);
      });
    }
    expect(seen[0]).toBe(0);
    expect(seen[1]).toBeCloseTo(1, 6);
    expect(seen[2]).toBeCloseTo((0.5 * 1 + 1 * 3) / 1.5, 5);
    expect(b.updates).toBe(3);
    b.reset();
    expect(b.updates).toBe(0);
    const c = b.current();
    expect(c.dataSync()[0]).toBe(0);
    c.dispose();
    b.dispose();
  });

  it('rejects a decay outside [0, 1)', () => {
    expect(() => new MovingAverageBaseline({ decay: 1 })).toThrowError(ArgumentError);
    expect(() => new MovingAverageBaseline({ decay: Number.NaN })).toThrowError(/"decay"/);
  });
});

describe('leave-one-out baselines', () => {
  it('RLOO: the mean of the other samples; VIMCO: the bound with log w_k replaced by the others’ mean', () => {
    tf.tidy(() => {
      const f = tf.tensor2d([
        [1, 10],
        [2, 20],
        [6, 60],
      ]); // [K = 3, n = 2]
      expect(leaveOneOutMean(f).arraySync()).toEqual([
        [4, 40],
        [3.5, 35],
        [1.5, 15],
      ]);
      const logW = tf.tensor2d([[-1], [-2], [-4]]);
      const got = vimcoBaseline(logW).dataSync();
      const lse = (v: number[]): number => Math.log(v.reduce((a, b) => a + Math.exp(b), 0));
      const ref = [
        lse([(-2 - 4) / 2, -2, -4]) - Math.log(3),
        lse([-1, (-1 - 4) / 2, -4]) - Math.log(3),
        lse([-1, -2, (-1 - 2) / 2]) - Math.log(3),
      ];
      ref.forEach((r, k) => expect(got[k]).toBeCloseTo(r, 5));
    });
  });
});

describe('LearnedBaseline (NVIL)', () => {
  /** One Bernoulli bit per example, p(x|z) = N(x; 2z, 1), n = 4. */
  function model(): VariationalInputs {
    const x = tf.tensor2d([0.3, -1, 2, 0.7], [4, 1]);
    return {
      x,
      posterior: new Independent(new Bernoulli({ logits: tf.tensor2d([0.2, -0.5, 1, 0], [4, 1]) }), 1),
      prior: new Independent(new Bernoulli({ probs: [0.5] }), 1),
      decode: (z: tf.Tensor): Distribution => new Independent(new Normal({ loc: tf.mul(z, 2), scale: 1 }), 1),
    };
  }

  it('its parameters get the gradient of mean (f − b_ψ(x))², and the loss value stays the −ELBO', () => {
    tf.tidy(() => {
      const inputs = model();
      const u = tf.variable(tf.scalar(0.7), true, 'nvil_u_test');
      const baseline = new LearnedBaseline({ predict: (x) => tf.reshape(tf.mul(x, u), [-1]), centering: false });
      const none = negativeElbo(inputs, { estimator: 'score-function', seed: 9 }).loss.dataSync()[0]!;
      const { value, grads } = tf.variableGrads(
        () => negativeElbo(inputs, { estimator: 'score-function', baseline, seed: 9 }).loss,
        [u],
      );
      // recompute on the same draws: f = log p(x|z) (analytic KL), b = u·x
      const { logLikelihood } = sampleAndReconstruct(inputs, 1, 9, false);
      const f = logLikelihood.dataSync(),
        x = inputs.x.dataSync();
      const ref = Array.from(f).reduce((acc, fi, i) => acc - (2 * (fi - 0.7 * x[i]!) * x[i]!) / 4, 0);
      expect(value.dataSync()[0]).toBeCloseTo(none, 6);
      expect(Object.keys(grads)).toEqual(['nvil_u_test']);
      expect(grads.nvil_u_test!.dataSync()[0]).toBeCloseTo(ref, 4);
      baseline.dispose();
      u.dispose();
    });
  });

  it('a user baseline whose compute gives no tensor value, a value of another shape or a bad loss: typed errors', () => {
    const cases: [unknown, typeof ArgumentError | typeof ShapeError, RegExp][] = [
      [{ value: 3 }, ArgumentError, /compute\(\) must return \{ value: tensor, loss\?: tensor \}, got value number/],
      [null, ArgumentError, /got null/],
      [
        { value: tf.zeros([7, 7]) },
        ShapeError,
        /value has shape \[7, 7\], which does not broadcast to the signal's \[1, 4\]/,
      ],
      [{ value: tf.scalar(0), loss: tf.zeros([3]) }, ShapeError, /loss must be a tensor of shape \[4\]/],
    ];
    for (const [given, type, message] of cases) {
      tf.tidy(() => {
        const baseline = { name: 'user', compute: () => given as never };
        const call = () => negativeElbo(model(), { estimator: 'score-function', baseline, seed: 1 });
        expect(call).toThrowError(type);
        expect(call).toThrowError(message);
      });
    }
    tf.dispose(cases.flatMap(([g]) => Object.values((g ?? {}) as object).filter((v) => v instanceof tf.Tensor)));
  });

  it('rejects a predict of the wrong shape with a ShapeError, and a missing predict with an ArgumentError', () => {
    tf.tidy(() => {
      const baseline = new LearnedBaseline({ predict: (x) => tf.zeros([x.shape[0]! + 1]) });
      expect(() => negativeElbo(model(), { estimator: 'score-function', baseline })).toThrowError(ShapeError);
      expect(() => new LearnedBaseline({} as never)).toThrowError(ArgumentError);
      baseline.dispose();
    });
  });
});
