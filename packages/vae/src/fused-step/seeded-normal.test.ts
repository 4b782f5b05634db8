import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { STANDARD_NORMAL_KERNEL } from '@varia/core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTensorLeaksPerTest } from '../test-utils/helpers.js';
import { KernelRunner } from './kernel-runner.js';
import { seededStandardNormal, seededStandardNormalInfo } from './seeded-normal.js';

checkTensorLeaksPerTest();

/** tfjs's own draw (the reference): the values of `tf.randomNormal([count], 0, 1, 'float32', seed)`. */
function tfjsDraw(count: number, seed: number): Float32Array {
  const t = tf.randomNormal([count], 0, 1, 'float32', seed);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

/** Bit patterns, so that −0 and +0 or two NaNs are told apart. */
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('seededStandardNormal', () => {
  it("draws tfjs's values bit for bit: an MNIST step's ε for the seeds a run uses", () => {
    for (const seed of [1, 2, 7, 12345, 2 ** 31 - 1, 2 ** 32 - 1, 4294967296, -5, 0.25, 1e-7, 123456789.5]) {
      expect(bits(seededStandardNormal(128 * 20, seed))).toEqual(bits(tfjsDraw(128 * 20, seed)));
    }
  });

  it("draws tfjs's values bit for bit for any seed and count (odd counts drop the last pair's second value)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 2 ** 32 }), fc.double({ min: -1e9, max: 1e9, noNaN: true })),
        fc.integer({ min: 0, max: 600 }),
        (seed, count) => {
          fc.pre(seed !== 0);
          expect(bits(seededStandardNormal(count, seed))).toEqual(bits(tfjsDraw(count, seed)));
        },
      ),
      { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 200) },
    );
  });

  it('seeds from Math.random() for a seed of 0 or none, as tfjs does: values of N(0, 1), not a fixed sequence', () => {
    const a = seededStandardNormal(4000, 0);
    const b = seededStandardNormal(4000, undefined);
    expect(bits(a)).not.toEqual(bits(b));
    for (const v of [a, b]) {
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
      // 4000 draws: the sample mean's sd is 1/√4000 ≈ 0.016, the sample variance's ≈ √(2/4000) ≈ 0.022 (6 sd bounds)
      expect(Math.abs(mean)).toBeLessThan(0.1);
      expect(Math.abs(variance - 1)).toBeLessThan(0.14);
    }
  });
});

describe('seededStandardNormalInfo', () => {
  it("gives ε as a runner output with tfjs's values: by the backend's kernel where registered, else drawn here", async () => {
    const check = () => {
      const r = new KernelRunner();
      try {
        const info = seededStandardNormalInfo(r, [13, 7], 4242);
        expect(info.shape).toEqual([13, 7]);
        expect(bits(r.read(info))).toEqual(bits(tfjsDraw(91, 4242)));
      } finally {
        r.dispose();
      }
    };
    // cpu: no STANDARD_NORMAL_KERNEL, the JavaScript draw
    expect(tf.getKernel(STANDARD_NORMAL_KERNEL, tf.getBackend())).toBeUndefined();
    check();
    if (nativeKernelsProblem() !== undefined) return;
    await tf.setBackend('wasm');
    enableNativeKernels({ parallel: 1 });
    try {
      expect(tf.getKernel(STANDARD_NORMAL_KERNEL, 'wasm')).toBeDefined();
      check();
    } finally {
      disableNativeKernels();
      await tf.setBackend('cpu');
    }
  });
});
