import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MLP } from './mlp.js';

describe('MLP with extra layer inputs', () => {
  it('layerInput: layer l reads what the hook gives, of the width extraInputDims declared (a conditioned network)', () => {
    const before = tf.memory().numTensors;
    const mlp = new MLP({ inputDim: 3, hiddenUnits: [4, 2], seed: 1, activation: 'tanh', extraInputDims: [0, 2] });
    expect(mlp.layers.map((l) => l.kernel.shape)).toEqual([
      [3, 4],
      [6, 2],
    ]);
    tf.tidy(() => {
      const x = tf.tensor2d([0.5, -1, 2, 0.1, 0.2, -0.3], [2, 3]);
      const c = tf.tensor2d([1, 0, 0, 1], [2, 2]);
      const y = mlp.apply(x, {}, (h, l) => (l === 1 ? tf.concat([h, c], 1) : h));
      // by hand: tanh(tanh(x W₀ + b₀) ‖ c) W₁ + b₁)
      const [l0, l1] = mlp.layers as [(typeof mlp.layers)[0], (typeof mlp.layers)[0]];
      const h = tf.tanh(tf.add(tf.matMul(x, l0.kernel), l0.bias));
      const expected = tf.tanh(tf.add(tf.matMul(tf.concat([h, c], 1), l1.kernel), l1.bias));
      expect(Array.from(y.dataSync())).toEqual(Array.from(expected.dataSync()).map((v) => expect.closeTo(v, 6)));
    });
    mlp.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (const extraInputDims of [[1], [0, -1], [0, 1.5]]) {
      expect(() => new MLP({ inputDim: 3, hiddenUnits: [4, 2], extraInputDims })).toThrowError(/"extraInputDims"/);
    }
  });
});
