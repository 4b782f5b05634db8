import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkNoLeaksPerTest } from '../test/no-leaks.js';
import { meanOfRowSums } from './kl-terms.js';

checkNoLeaksPerTest();

describe('meanOfRowSums', () => {
  it('gives the same bits, value and gradient, as tf.mean(tf.sum(t, -1)) under autodiff', async () => {
    const t = tf.tensor2d([0.1, -3.7, 2.25, 1e-4, 7, 0.3, -0.9, 11, 5e3, -2, 0.125, 1 / 3], [4, 3]);
    const w = tf.scalar(-1.7); // an upstream gradient that is not 1
    const a = tf.valueAndGrad((x: tf.Tensor) => tf.mul(w, meanOfRowSums(x)))(t);
    const b = tf.valueAndGrad((x: tf.Tensor) => tf.mul(w, tf.mean(tf.sum(x, -1))))(t);
    expect(a.value.dataSync()[0]).toBe(b.value.dataSync()[0]);
    expect(Array.from(a.grad.dataSync())).toEqual(Array.from(b.grad.dataSync()));
    expect(a.grad.dataSync()[5]).toBeCloseTo(-1.7 / 4, 6);
    const count = async (f: (x: tf.Tensor) => tf.Tensor): Promise<number> => {
      const info = await tf.profile(() => tf.grad(f)(t));
      tf.dispose(info.result as tf.Tensor);
      return info.kernels.length;
    };
    expect(await count(meanOfRowSums)).toBeLessThan(await count((x) => tf.mean(tf.sum(x, -1))));
    tf.dispose([t, w, a.value, a.grad, b.value, b.grad]);
  });
});
