import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, STANDARD_NORMAL_KERNEL } from '@varia/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { skipNative } from './test-support.js';

const RUNS = Number(process.env.VARIA_PROPERTY_RUNS ?? 100);

/** The kernel's draw as a tensor (through the engine, as any kernel). */
const draw = (shape: number[], seed: number): tf.Tensor =>
  tf.engine().runKernel(STANDARD_NORMAL_KERNEL, {}, { shape, seed } as unknown as tf.NamedAttrMap) as tf.Tensor;

/** Bit patterns, so that −0 and +0 or two NaNs are told apart. */
const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

/** The kernel's values against tfjs's own draw, `tf.randomNormal(shape, 0, 1, 'float32', seed)`, bit for bit. */
function expectTfjsDraw(shape: number[], seed: number): void {
  const got = draw(shape, seed);
  const want = tf.randomNormal(shape, 0, 1, 'float32', seed);
  expect(got.shape).toEqual(shape);
  expect(got.dtype).toBe('float32');
  expect(bits(got), `seed ${seed}, shape [${shape}]`).toEqual(bits(want));
  tf.dispose([got, want]);
}

describe.skipIf(skipNative)('the standard-normal kernel on the wasm backend', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it("draws tfjs's values bit for bit: an MNIST step's ε [128, 20] for the seeds a run uses", () => {
    const before = tf.memory().numTensors;
    for (const seed of [1, 2, 7, 12345, 2 ** 31 - 1, 2 ** 32 - 1, 4294967296, -5, 0.25, 1e-7, 123456789.5]) {
      expectTfjsDraw([128, 20], seed);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("draws tfjs's values for any seed and shape (odd sizes drop the last pair's second value; empty shapes)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 2 ** 32 }), fc.double({ min: -1e12, max: 1e12, noNaN: true })),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 0, maxLength: 3 }),
        (seed, shape) => {
          fc.pre(seed !== 0);
          expectTfjsDraw(shape, seed);
        },
      ),
      { numRuns: RUNS },
    );
    // more values than one block of 256 pairs, odd
    expectTfjsDraw([1031], 99);
  });

  it('seeds from Math.random() for a seed of 0, as tfjs does: values of N(0, 1), not a fixed sequence', () => {
    const [a, b] = [draw([4000], 0), draw([4000], 0)];
    expect(bits(a)).not.toEqual(bits(b));
    for (const t of [a, b]) {
      const v = Array.from(t.dataSync() as Float32Array);
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
      // 4000 draws: the sample mean's sd is 1/√4000 ≈ 0.016, the sample variance's ≈ √(2/4000) ≈ 0.022 (6 sd bounds)
      expect(Math.abs(mean)).toBeLessThan(0.1);
      expect(Math.abs(variance - 1)).toBeLessThan(0.14);
    }
    tf.dispose([a, b]);
  });

  it('refuses a bad shape or seed with an ArgumentError naming the attribute, leaving no backend data', () => {
    const buffers = tf.engine().backend.numDataIds();
    const bad: [unknown, unknown, string][] = [
      [undefined, 1, 'shape'],
      [[2, -1], 1, 'shape'],
      [[2.5], 1, 'shape'],
      [[2 ** 20, 2 ** 13], 1, 'shape'],
      ['3', 1, 'shape'],
      [[3], undefined, 'seed'],
      [[3], '7', 'seed'],
    ];
    for (const [shape, seed, argument] of bad) {
      let error: unknown;
      try {
        draw(shape as number[], seed as number);
      } catch (e) {
        error = e;
      }
      expect(error, `${JSON.stringify(shape)} ${String(seed)}`).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toBe(argument);
    }
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
  });
});
