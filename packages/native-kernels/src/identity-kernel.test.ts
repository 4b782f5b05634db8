import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { skipNative } from './test-support.js';

describe.skipIf(skipNative)('copy-free Identity on the wasm backend', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('a clone shares the data, and either tensor outlives the other', () => {
    const before = tf.memory().numTensors;
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const b = tf.clone(a);
    expect(b.dataId).toBe(a.dataId);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4]);
    const c = tf.clone(b);
    b.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4]);
    c.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const s = tf.tensor1d(['x', 'y'], 'string');
    expect(tf.clone(s).dataSync()).toEqual(['x', 'y']);
    tf.dispose(s);
  });

  it('gradients through saved (cloned) tensors are unchanged', () => {
    const x = tf.tensor1d([0.5, -1, 2]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.exp(t), t)))(x);
    // d/dt (t·eᵗ) = eᵗ(1 + t)
    const expected = [0.5, -1, 2].map((t) => Math.exp(t) * (1 + t));
    Array.from(g.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 5);
    });
    tf.dispose([x, g]);
  });

  it('a same-dtype Cast shares the data; a real conversion converts', () => {
    const before = tf.memory().numTensors;
    const a = tf.tensor1d([1.5, -2.5, 3]);
    const same = tf.cast(a, 'float32');
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.5, 3]);
    const ints = tf.cast(a, 'int32');
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3]);
    const back = tf.cast(ints, 'float32');
    expect(Array.from(back.dataSync())).toEqual([1, -2, 3]);
    a.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.5, 3]);
    tf.dispose([same, ints, back]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
