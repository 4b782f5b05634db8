import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectNoLeak } from '../test/helpers.js';
import { Bernoulli } from './bernoulli.js';
import { Independent } from './independent.js';
import { Normal } from './normal.js';

describe('Independent', () => {
  it('moves batch dims into the event and sums log-densities over them', () => {
    tf.tidy(() => {
      const base = new Normal({ loc: tf.zeros([4, 3]), scale: tf.ones([4, 3]) });
      const d = new Independent(base, 1);
      expect(d.batchShape).toEqual([4]);
      expect(d.eventShape).toEqual([3]);
      const x = tf.ones([4, 3]);
      // Σ over 3 dims of log N(1; 0, 1) = 3 · (−½ − ½ log 2π)
      expectClose(d.logProb(x), new Array(4).fill(3 * (-0.5 - 0.5 * Math.log(2 * Math.PI))));
      expect(d.sample([2]).shape).toEqual([2, 4, 3]);
      expect(d.rsample([2]).shape).toEqual([2, 4, 3]);
      expect(d.entropy().shape).toEqual([4]);
      expect(d.hasRsample).toBe(true);
    });
  });

  it('rejects too many reinterpreted dims', () => {
    const base = new Normal({ loc: [0, 0], scale: 1 });
    expect(() => new Independent(base, 2)).toThrowError(ArgumentError);
    expect(() => new Independent(base, 2)).toThrowError(/"reinterpretedBatchDims"/);
    base.dispose();
  });

  it('does not leak', () => {
    const before = tf.memory().numTensors;
    const d = new Independent(new Normal({ loc: [[0, 1]], scale: [[1, 2]] }), 1);
    expectNoLeak(() => [d.logProb([[0, 0]]), d.sample([2]), d.mean(), d.variance(), d.entropy()]);
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () =>
        new Independent(
          new Normal({
            loc: [
              [0, 1, 2],
              [3, 4, 5],
            ],
            scale: 1,
          }),
          1,
        ),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});

describe('Independent(Bernoulli, 1) with the soft log-mass (validation and masking off)', () => {
  it('sums in one op: the same bits, value and both gradients, as the per-feature log-mass summed by autodiff', () => {
    const before = tf.memory().numTensors;
    const logits = tf.tensor2d([0.3, -2.5, 7, 0, -0.01, 40, -30, 1.5], [2, 4]);
    const x = tf.tensor2d([0, 1, 0.25, 1, 0.5, 0, 1, 0.9], [2, 4]);
    const w = tf.tensor1d([1.5, -0.75]); // upstream gradient per example, not all ones
    const opts = { validateArgs: false, maskOutOfSupport: false } as const;
    const fused = (xs: tf.Tensor, l: tf.Tensor) =>
      tf.sum(tf.mul(w, new Independent(new Bernoulli({ logits: l }, opts), 1).logProb(xs)));
    const reference = (xs: tf.Tensor, l: tf.Tensor) =>
      tf.sum(tf.mul(w, tf.sum(new Bernoulli({ logits: l }, opts).logProb(xs), -1)));
    const a = tf.valueAndGrads(fused)([x, logits]);
    const b = tf.valueAndGrads(reference)([x, logits]);
    expect(Array.from(a.value.dataSync())).toEqual(Array.from(b.value.dataSync()));
    for (let i = 0; i < 2; i++) expect(Array.from(a.grads[i]!.dataSync())).toEqual(Array.from(b.grads[i]!.dataSync()));
    // and the closed forms: ∂/∂ℓ = w·(x − σ(ℓ)), ∂/∂x = w·ℓ
    const l = logits.dataSync();
    const xv = x.dataSync();
    const dl = a.grads[1]!.dataSync();
    const dx = a.grads[0]!.dataSync();
    for (let i = 0; i < 8; i++) {
      const wi = i < 4 ? 1.5 : -0.75;
      expect(dl[i]).toBeCloseTo(wi * (xv[i]! - 1 / (1 + Math.exp(-l[i]!))), 5);
      expect(dx[i]).toBeCloseTo(wi * l[i]!, 4);
    }
    tf.dispose([logits, x, w, a.value, ...a.grads, b.value, ...b.grads]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs fewer kernels, value and gradients, than the per-feature log-mass summed by autodiff', async () => {
    const logits = tf.zeros([2, 4]);
    const x = tf.ones([2, 4]);
    const opts = { validateArgs: false, maskOutOfSupport: false } as const;
    const count = async (f: (l: tf.Tensor) => tf.Tensor): Promise<number> => {
      const info = await tf.profile(() => tf.grad((l: tf.Tensor) => tf.sum(f(l)))(logits));
      tf.dispose(info.result as tf.Tensor);
      return info.kernels.length;
    };
    const fused = await count((l) => new Independent(new Bernoulli({ logits: l }, opts), 1).logProb(x));
    const reference = await count((l) => tf.sum(new Bernoulli({ logits: l }, opts).logProb(x), -1));
    expect(fused).toBeLessThanOrEqual(reference - 4);
    tf.dispose([logits, x]);
  });

  it('keeps the validated path (hard labels, errors outside {0, 1}) when validation is on', () => {
    tf.tidy(() => {
      const d = new Independent(new Bernoulli({ logits: tf.zeros([2, 3]) }), 1);
      expectClose(d.logProb(tf.tensor2d([0, 1, 1, 0, 0, 1], [2, 3])), [3 * Math.log(0.5), 3 * Math.log(0.5)]);
      expect(() => d.logProb(tf.fill([2, 3], 0.5))).toThrow(ArgumentError);
    });
  });
});
