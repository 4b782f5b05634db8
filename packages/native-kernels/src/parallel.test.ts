import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, ArgumentError, DENSE_BACKWARD_KERNEL } from '@varia/core';
import { afterAll, describe, expect, it } from 'vitest';
import { autoParallel, disableNativeKernels, enableNativeKernels, nativeKernelsInfo } from './enable.js';
import { randomArray, skipNative } from './test-support.js';

/** The products and gradients of an MNIST-sized dense layer, and an Adam step, as plain arrays. */
function layerResults(): Buffer[] {
  return tf.tidy(() => {
    const x = tf.tensor2d(randomArray(128 * 784, 1), [128, 784]);
    const w = tf.tensor2d(randomArray(784 * 400, 2), [784, 400]);
    const b = tf.tensor1d(randomArray(400, 3));
    const y = tf.fused.matMul({ a: x, b: w, bias: b, activation: 'relu' });
    const dy = tf.tensor2d(randomArray(128 * 400, 4), [128, 400]);
    const grads = tf
      .engine()
      .runKernel(DENSE_BACKWARD_KERNEL, { dy, y, x, kernel: w }, { activation: 'relu', inputGradient: true });
    const state = [1, 2, 3, 4].map((seed) => tf.tensor1d(randomArray(100_000, 10 + seed).map(Math.abs)).variable());
    const [vw, vg, vm, vv] = state as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
    tf.engine().runKernel(
      ADAM_IN_PLACE_KERNEL,
      { variable0: vw, gradient0: vg, firstMoment0: vm, secondMoment0: vv },
      { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, beta1Power: 0.9, beta2Power: 0.999, count: 1 },
    );
    // the bytes, so that −0, NaN payloads and every last bit count
    // the output layer's shapes: its dx = δ·Wᵀ is the product whose rounding column blocks would change
    const h = tf.tensor2d(randomArray(128 * 400, 5), [128, 400]);
    const w2 = tf.tensor2d(randomArray(400 * 784, 6), [400, 784]);
    const o = tf.matMul(h, w2);
    const grads2 = tf
      .engine()
      .runKernel(
        DENSE_BACKWARD_KERNEL,
        { dy: x, y: o, x: h, kernel: w2 },
        { activation: 'linear', inputGradient: true },
      );
    const products = [y, tf.matMul(y, w, false, true), o, ...(grads as tf.Tensor[]), ...(grads2 as tf.Tensor[])];
    const out = [...products, vw, vm, vv].map((t) => Buffer.from((t.dataSync() as Float32Array).slice().buffer));
    tf.dispose(state);
    return out;
  });
}

describe.skipIf(skipNative)('threads sharing products in blocks (parallel)', () => {
  afterAll(() => {
    disableNativeKernels();
  });

  it('gives the one-thread results bit for bit with 2 threads, and reports the count', () => {
    enableNativeKernels({ parallel: 1 });
    const one = layerResults();
    for (const parallel of [2]) {
      const info = enableNativeKernels({ parallel });
      expect(info.parallel).toBe(parallel);
      expect(info.description).toContain(`${parallel} threads sharing blocks`);
      const many = layerResults();
      many.forEach((bytes, i) => {
        expect(bytes.equals(one[i]!)).toBe(true);
      });
    }
    expect(enableNativeKernels({ parallel: 1 }).parallel).toBe(1);
  });

  it("defaults to 'auto': both cores where there are two or more, one thread where there is one", () => {
    const cores = availableParallelism();
    expect(autoParallel()).toBe(cores >= 2 ? 2 : 1);
    expect(enableNativeKernels({ parallel: 1 }).parallel).toBe(1);
    // no option, and 'auto' given, both resolve to autoParallel() (also after another count was set)
    expect(enableNativeKernels().parallel).toBe(autoParallel());
    expect(enableNativeKernels({ parallel: 1 }).parallel).toBe(1);
    const info = enableNativeKernels({ parallel: 'auto' });
    expect(info.parallel).toBe(autoParallel());
    if (info.parallel > 1) expect(info.description).toContain(`${info.parallel} threads sharing blocks`);
    enableNativeKernels({ parallel: 1 });
  });

  it('rejects a bad count before changing anything', () => {
    enableNativeKernels({ parallel: 1 });
    expect(() => enableNativeKernels({ parallel: 0 })).toThrow(ArgumentError);
    expect(() => enableNativeKernels({ parallel: 9 })).toThrow(/'auto' or an integer from 1 to 8, got 9/);
    expect(() => enableNativeKernels({ parallel: 1.5 })).toThrow(ArgumentError);
    expect(() => enableNativeKernels({ parallel: 'two' as never })).toThrow(
      /'auto' or an integer from 1 to 8, got "two"/,
    );
    expect(() => enableNativeKernels({ parallel: Number.NaN })).toThrow(ArgumentError);
    expect(nativeKernelsInfo()?.parallel).toBe(1); // the refused calls changed nothing
  });
});
