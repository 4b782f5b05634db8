import * as tf from '@tensorflow/tfjs-core';
import { MUL_SUB_KERNEL, SCALED_SUM_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { randomArray, skipNative } from './test-support.js';

/** Values that exercise rounding: random magnitudes over the float32 range, subnormals, ±0, ±∞ and NaN. */
function awkward(size: number, seed: number): Float32Array {
  const u = randomArray(size, seed);
  const special = [0, -0, 1e-45, -3e-39, 1.1754942e-38, 3.4e38, -3.4e38, Infinity, -Infinity, Number.NaN, 1, -1];
  return u.map((v, i) => (i % 7 === 0 ? special[(i / 7) % special.length]! : v * 10 ** Math.round(v * 30)));
}

/** The same float32 value (NaNs of any payload count as equal; ±0 do not). */
function expectSameValues(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const same = Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i]));
    if (!same) expect(got[i], `element ${i}`).toBe(want[i]);
  }
}

describe.skipIf(skipNative)('the fused elementwise kernels on the wasm backend', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('a·b − c gives the bits of the Multiply and Sub kernels', () => {
    const n = 4099;
    const [a, b, c] = [1, 2, 3].map((s) => tf.tensor2d(awkward(n, s), [1, n]));
    const fused = tf.engine().runKernel(MUL_SUB_KERNEL, { a: a!, b: b!, c: c! }) as tf.Tensor;
    const separate = tf.sub(tf.mul(a!, b!), c!);
    expect(fused.shape).toEqual([1, n]);
    expectSameValues(fused.dataSync() as Float32Array, separate.dataSync() as Float32Array);
    tf.dispose([a!, b!, c!, fused, separate]);
  });

  it('α·x + β·z gives the bits of two Multiply kernels by filled tensors and an Add', () => {
    const n = 3001;
    const x = tf.tensor2d(awkward(n, 4), [1, n]);
    const z = tf.tensor2d(awkward(n, 5), [1, n]);
    for (const [alpha, beta] of [
      [-1 / 128, 1 / 128],
      [0.3, -7.1e-20],
      [-0, 1e30],
    ] as const) {
      const fused = tf.engine().runKernel(SCALED_SUM_KERNEL, { x, z }, { alpha, beta }) as tf.Tensor;
      const separate = tf.tidy(() => tf.add(tf.mul(tf.fill([1, 1], alpha), x), tf.mul(tf.fill([1, 1], beta), z)));
      expectSameValues(fused.dataSync() as Float32Array, separate.dataSync() as Float32Array);
      tf.dispose([fused, separate]);
    }
    tf.dispose([x, z]);
  });

  it("sizes 0, 1 and odd, and one tensor as every operand, give the separate kernels' bits", () => {
    const before = tf.memory().numTensors;
    for (const shape of [[0, 3], [1, 1], [3, 5], [7]]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const a = tf.tensor(awkward(size, 6), shape);
      const fused = [
        tf.engine().runKernel(MUL_SUB_KERNEL, { a, b: a, c: a }) as tf.Tensor,
        tf.engine().runKernel(SCALED_SUM_KERNEL, { x: a, z: a }, { alpha: 0.3, beta: -2.5 }) as tf.Tensor,
      ];
      const separate = tf.tidy(() => [
        tf.sub(tf.mul(a, a), a),
        tf.add(tf.mul(tf.fill([1], 0.3), a), tf.mul(tf.fill([1], -2.5), a)),
      ]);
      for (const [i, f] of fused.entries()) {
        expect(f.shape, `${shape}`).toEqual(shape);
        expectSameValues(f.dataSync() as Float32Array, separate[i]!.dataSync() as Float32Array);
      }
      tf.dispose([a, ...fused, ...separate]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses operands of different shapes or types, and missing attributes; the addon checks every region', () => {
    tf.tidy(() => {
      const a = tf.zeros([2, 3]);
      expect(() => tf.engine().runKernel(MUL_SUB_KERNEL, { a, b: a, c: tf.zeros([3, 2]) })).toThrow(/one shape/);
      expect(() => tf.engine().runKernel(MUL_SUB_KERNEL, { a, b: a, c: tf.zeros([2, 3], 'int32') })).toThrow(/float32/);
      expect(() => tf.engine().runKernel(SCALED_SUM_KERNEL, { x: a, z: a }, { alpha: 1 })).toThrow(/beta/);
    });
    const heap = new ArrayBuffer(1024);
    const addon = loadAddon();
    expect(() => addon.mulSub(heap, 64, 0, 256, 512, 768)).not.toThrow();
    expect(() => addon.mulSub(heap, 64, 0, 256, 512, 800)).toThrow(/outside the heap/);
    expect(() => addon.mulSub(heap, 64, 2, 256, 512, 768)).toThrow(/outside the heap/);
    expect(() => addon.mulSub(heap, 2.5, 0, 256, 512, 768)).toThrow(/integer/);
    expect(() => addon.scaledSum(heap, 64, 0, 256, 1, 2, 768)).not.toThrow();
    expect(() => addon.scaledSum(heap, 64, 0, 1000, 1, 2, 768)).toThrow(/outside the heap/);
    expect(() => addon.scaledSum(heap, -1, 0, 256, 1, 2, 768)).toThrow(/integer/);
  });
});
