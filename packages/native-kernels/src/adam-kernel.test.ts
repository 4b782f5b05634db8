import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { maxAbsDiff, randomArray, skipNative } from './test-support.js';

describe.skipIf(skipNative)(`native ${ADAM_UPDATE_KERNEL} on the wasm backend`, () => {
  beforeAll(() => {
    enableNativeKernels();
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('computes one Adam step as Kingma & Ba write it (float64 reference)', () => {
    const size = 1000;
    const w = randomArray(size, 1);
    const g = randomArray(size, 2);
    const m = randomArray(size, 3).map((x) => x * 0.1);
    const v = randomArray(size, 4).map((x) => x * x * 0.01);
    const attrs = {
      learningRate: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      beta1Power: 0.9 ** 3,
      beta2Power: 0.999 ** 3,
    };
    const before = tf.memory().numTensors;
    const inputs = {
      variable: tf.tensor1d(w),
      gradient: tf.tensor1d(g),
      firstMoment: tf.tensor1d(m),
      secondMoment: tf.tensor1d(v),
    };
    const [w2, m2, v2] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs, attrs) as tf.Tensor[];
    const mRef = Array.from(m, (mi, i) => 0.9 * mi + 0.1 * g[i]!);
    const vRef = Array.from(v, (vi, i) => 0.999 * vi + 0.001 * g[i]! ** 2);
    const wRef = Array.from(
      w,
      (wi, i) => wi - (0.01 * (mRef[i]! / (1 - 0.9 ** 3))) / (Math.sqrt(vRef[i]! / (1 - 0.999 ** 3)) + 1e-8),
    );
    expect(maxAbsDiff(m2!.dataSync(), mRef)).toBeLessThan(1e-6);
    expect(maxAbsDiff(v2!.dataSync(), vRef)).toBeLessThan(1e-7);
    expect(maxAbsDiff(w2!.dataSync(), wRef)).toBeLessThan(1e-5);
    expect(w2!.shape).toEqual([size]);
    tf.dispose([...Object.values(inputs), w2!, m2!, v2!]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects inputs of different sizes and missing attributes with a message', () => {
    tf.tidy(() => {
      const x = tf.zeros([4]);
      const y = tf.zeros([5]);
      const attrs = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, beta1Power: 0.9, beta2Power: 0.999 };
      expect(() =>
        tf.engine().runKernel(ADAM_UPDATE_KERNEL, { variable: x, gradient: y, firstMoment: x, secondMoment: x }, attrs),
      ).toThrow(/one shape/);
      expect(() =>
        tf
          .engine()
          .runKernel(
            ADAM_UPDATE_KERNEL,
            { variable: x, gradient: x, firstMoment: x, secondMoment: x },
            { ...attrs, epsilon: Number.NaN },
          ),
      ).toThrow(/epsilon/);
    });
  });
});
