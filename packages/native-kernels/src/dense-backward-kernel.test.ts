import * as tf from '@tensorflow/tfjs-core';
import { DENSE_BACKWARD_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { maxAbsDiff, randomArray, skipNative } from './test-support.js';

/** f′ from the output y, in float64 (the derivatives as functions of the output). */
const DERIVATIVE: Record<string, (y: number) => number> = {
  linear: () => 1,
  relu: (y) => (y > 0 ? 1 : 0),
  sigmoid: (y) => y * (1 - y),
  tanh: (y) => 1 - y * y,
};

describe.skipIf(skipNative)(`native ${DENSE_BACKWARD_KERNEL} on the wasm backend`, () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  const [batch, inDim, units] = [7, 5, 3];
  const xv = randomArray(batch * inDim, 11);
  const wv = randomArray(inDim * units, 12);
  const dyv = randomArray(batch * units, 13);

  for (const activation of Object.keys(DERIVATIVE)) {
    it(`${activation}: dx, dW, db match float64 and the separate kernels bit for bit`, () => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const x = tf.tensor2d(xv, [batch, inDim]);
        const w = tf.tensor2d(wv, [inDim, units]);
        const dy = tf.tensor2d(dyv, [batch, units]);
        const pre = tf.matMul(x, w);
        const y = { linear: pre, relu: tf.relu(pre), sigmoid: tf.sigmoid(pre), tanh: tf.tanh(pre) }[activation]!;
        const [dx, dw, db] = tf
          .engine()
          .runKernel(
            DENSE_BACKWARD_KERNEL,
            { dy, y, x, kernel: w },
            { activation, inputGradient: true },
          ) as tf.Tensor[];
        // float64 reference
        const yv = y.dataSync();
        const delta = Array.from(dyv, (d, i) => d * DERIVATIVE[activation]!(yv[i]!));
        const dwRef = new Float64Array(inDim * units);
        const dxRef = new Float64Array(batch * inDim);
        const dbRef = new Float64Array(units);
        for (let r = 0; r < batch; r++) {
          for (let u = 0; u < units; u++) {
            const d = delta[r * units + u]!;
            dbRef[u]! += d;
            for (let i = 0; i < inDim; i++) {
              dwRef[i * units + u]! += xv[r * inDim + i]! * d;
              dxRef[r * inDim + i]! += d * wv[i * units + u]!;
            }
          }
        }
        expect(maxAbsDiff(dw!.dataSync(), dwRef)).toBeLessThan(1e-5);
        expect(maxAbsDiff(dx!.dataSync(), dxRef)).toBeLessThan(1e-5);
        expect(maxAbsDiff(db!.dataSync(), dbRef)).toBeLessThan(1e-5);
        // the separate kernels Dense composes without this one
        const fPrime = {
          linear: undefined,
          relu: tf.step(y, 0),
          sigmoid: tf.mul(y, tf.sub(1, y)),
          tanh: tf.sub(1, tf.square(y)),
        }[activation];
        const d = fPrime ? tf.mul(dy, fPrime) : dy;
        expect(Array.from(dx!.dataSync())).toEqual(Array.from(tf.matMul(d, w, false, true).dataSync()));
        expect(Array.from(dw!.dataSync())).toEqual(Array.from(tf.matMul(x, d, true, false).dataSync()));
        expect(Array.from(db!.dataSync())).toEqual(Array.from(tf.sum(d, 0).dataSync()));
      });
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('leaves dx out without inputGradient, keeps relu NaNs, and handles an empty batch', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const w = tf.tensor2d([1, 0, 0, 1], [2, 2]);
      const y = tf.tensor2d([Number.NaN, -1, 2, 0], [2, 2]);
      const dy = tf.tensor2d([1, 1, 1, 1], [2, 2]);
      const outs = tf
        .engine()
        .runKernel(DENSE_BACKWARD_KERNEL, { dy, y, x, kernel: w }, { activation: 'relu', inputGradient: false });
      expect((outs as tf.Tensor[]).map((t) => t.shape)).toEqual([[2, 2], [2]]);
      const db = (outs as tf.Tensor[])[1]!.dataSync();
      expect(Number.isNaN(db[0])).toBe(true); // δ = 1·NaN, as tf.step(NaN) · dy gives
      expect(db[1]).toBe(0);
      const empty = tf.zeros([0, 2]);
      const [dw0, db0] = tf
        .engine()
        .runKernel(
          DENSE_BACKWARD_KERNEL,
          { dy: tf.zeros([0, 2]), y: tf.zeros([0, 2]), x: empty, kernel: w },
          { activation: 'linear', inputGradient: false },
        ) as tf.Tensor[];
      expect(Array.from(dw0!.dataSync())).toEqual([0, 0, 0, 0]);
      expect(Array.from(db0!.dataSync())).toEqual([0, 0]);
    });
  });

  it('rejects mismatched shapes and unknown activations, and the addon checks every region', () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 3]);
      const w = tf.zeros([3, 4]);
      const run = (dy: tf.Tensor, activation: string) =>
        tf.engine().runKernel(DENSE_BACKWARD_KERNEL, { dy, y: dy, x, kernel: w }, { activation, inputGradient: true });
      expect(() => run(tf.zeros([2, 5]), 'relu')).toThrow(/shapes do not match/);
      expect(() => run(tf.zeros([2, 4]), 'elu')).toThrow(/unsupported activation/);
    });
    const heap = new ArrayBuffer(1024);
    const addon = loadAddon();
    // 2×3 · 3×4: every region fits below 1024 bytes except a dW placed at the end of the heap
    expect(() => addon.denseBackward(heap, 2, 3, 4, 0, 64, 128, 256, 384, 1000, 512, 1)).toThrow(/outside the heap/);
    expect(() => addon.denseBackward(heap, 2, 3, 4, 0, 64, 128, 256, 384, 448, 2, 1)).toThrow(/outside the heap/);
    expect(() => addon.denseBackward(heap, 2, 3, 4, 0, 64, 128, 256, 384, 448, 512, 9)).toThrow(/activation/);
    expect(() => addon.denseBackward(heap, 2, 3, 4, 0, 64, 128, 256, 384, 448, 512, 1)).not.toThrow();
  });
});
