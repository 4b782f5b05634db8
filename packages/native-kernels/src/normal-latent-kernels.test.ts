import * as tf from '@tensorflow/tfjs-core';
import {
  NORMAL_BACKWARD_KERNEL,
  NORMAL_KL_KERNEL,
  NORMAL_LOG_PROB_BACKWARD_KERNEL,
  NORMAL_LOG_PROB_KERNEL,
  NORMAL_SAMPLE_KERNEL,
} from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { randomArray, skipNative } from './test-support.js';

/** Values over many magnitudes (and some exact zeros, ±1, huge and tiny ones), from a seed. */
function spread(size: number, seed: number, decades: number): Float32Array {
  const u = randomArray(size, seed);
  const special = [0, -0, 1, -1, 1e-30, -1e30, 88, -104];
  return u.map((v, i) => (i % 11 === 0 ? special[(i / 11) % special.length]! : v * 10 ** Math.round(v * decades)));
}

/** The same float32 values (NaNs of any payload count as equal; ±0 do not). */
function expectSame(got: tf.Tensor, want: tf.Tensor, what: string): void {
  expect(got.shape, what).toEqual(want.shape);
  const [g, w] = [got.dataSync(), want.dataSync()];
  for (let i = 0; i < g.length; i++) {
    if (!(Object.is(g[i], w[i]) || (Number.isNaN(g[i]) && Number.isNaN(w[i])))) {
      expect(g[i], `${what}[${i}]`).toBe(w[i]);
    }
  }
}

describe.skipIf(skipNative)('the Gaussian posterior kernels on the wasm backend', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  const [n, d] = [67, 21];
  const matrix = (seed: number, decades: number) => tf.tensor2d(spread(n * d, seed, decades), [n, d]);

  it('sample, KL and backward give the bits of the separate kernels', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => compareWithSeparateKernels(n, d));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('so do one row, one column, odd sizes, and one tensor as μ, s, ε and ∂z', () => {
    const before = tf.memory().numTensors;
    for (const [rows, cols] of [
      [1, 1],
      [1, 5],
      [7, 1],
      [3, 3],
    ] as const) {
      tf.tidy(() => compareWithSeparateKernels(rows, cols));
      tf.tidy(() => compareWithSeparateKernels(rows, cols, true));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  function compareWithSeparateKernels(n: number, d: number, alias = false): void {
    const matrix = (seed: number, decades: number) => tf.tensor2d(spread(n * d, seed, decades), [n, d]);
    const loc = matrix(1, 3);
    const s = alias ? loc : matrix(2, 2);
    const eps = alias ? loc : matrix(3, 1);
    const dz = alias ? loc : matrix(4, 4);
    const [scale, z] = tf.engine().runKernel(NORMAL_SAMPLE_KERNEL, { loc, s, eps }) as tf.Tensor[];
    const wantScale = tf.exp(tf.mul(s, 0.5));
    expectSame(scale!, wantScale, 'scale');
    expectSame(z!, tf.add(loc, tf.mul(wantScale, eps)), 'z');

    const [variance, rows] = tf.engine().runKernel(NORMAL_KL_KERNEL, { loc, scale: scale! }) as tf.Tensor[];
    const wantVariance = tf.square(scale!);
    const terms = tf.mul(0.5, tf.sub(tf.sub(tf.add(wantVariance, tf.square(loc)), 1), tf.log(wantVariance)));
    expectSame(variance!, wantVariance, 'variance');
    expectSame(rows!, tf.sum(terms, -1), 'KL rows');

    for (const h of [0.5 / 128, 0, 3e-5]) {
      const [dLoc, dS] = tf
        .engine()
        .runKernel(NORMAL_BACKWARD_KERNEL, { loc, scale: scale!, variance: variance!, eps, dz }, { h }) as tf.Tensor[];
      const hs = tf.fill([n, d], h);
      const dVariance = tf.add(tf.div(tf.fill([n, d], -h), variance!), hs);
      const wantLoc = tf.add(tf.mul(hs, tf.mul(loc, 2)), dz);
      const dScale = tf.add(tf.mul(dVariance, tf.mul(scale!, 2)), tf.mul(dz, eps));
      expectSame(dLoc!, wantLoc, `dLoc (h ${h})`);
      expectSame(dS!, tf.mul(tf.mul(dScale, scale!), 0.5), `dS (h ${h})`);
    }
  }

  it('the Gaussian log-likelihood and its gradients give the bits of the separate kernels (one σ, one per feature)', () => {
    const before = tf.memory().numTensors;
    const halfLog2pi = 0.5 * Math.log(2 * Math.PI);
    tf.tidy(() => {
      const x = matrix(5, 3);
      const loc = matrix(6, 3);
      for (const sigma of [tf.scalar(0.37), tf.tensor1d(spread(d, 7, 2).map((v) => Math.abs(v) + 1e-4))]) {
        const [scale, diff, t, rows] = tf
          .engine()
          .runKernel(NORMAL_LOG_PROB_KERNEL, { x, loc, sigma }, { halfLog2pi }) as tf.Tensor[];
        const wantScale = tf.add(sigma, tf.zeros([n, d]));
        const wantDiff = tf.sub(x, loc);
        const wantT = tf.div(wantDiff, wantScale);
        const lp = tf.sub(tf.mul(-0.5, tf.square(wantT)), tf.add(tf.log(wantScale), halfLog2pi));
        expectSame(scale!, wantScale, 'scale');
        expectSame(diff!, wantDiff, 'x − μ');
        expectSame(t!, wantT, 't');
        expectSame(rows!, tf.sum(lp, [1]), 'row sums');
        const g = Math.fround(-1 / n);
        const perFeature = sigma.rank === 1;
        const [dLoc, dSigma] = tf
          .engine()
          .runKernel(
            NORMAL_LOG_PROB_BACKWARD_KERNEL,
            { scale: scale!, t: t!, d: diff! },
            { g, perFeature },
          ) as tf.Tensor[];
        const fromLog = tf.div(tf.fill([n, d], -g), wantScale);
        const dt = tf.mul(tf.fill([n, d], Math.fround(g * -0.5)), tf.mul(wantT, 2));
        const quotient = tf.div(tf.mul(dt, wantDiff), tf.square(wantScale));
        const dScale = tf.add(fromLog, tf.neg(quotient));
        expectSame(dLoc!, tf.neg(tf.div(dt, wantScale)), 'dLoc');
        expectSame(dSigma!, tf.sum(dScale, perFeature ? [0] : [0, 1]), 'dSigma');
      }
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checks its inputs, and the addon checks every region', () => {
    tf.tidy(() => {
      const a = tf.zeros([2, 3]);
      expect(() => tf.engine().runKernel(NORMAL_SAMPLE_KERNEL, { loc: a, s: a, eps: tf.zeros([3, 2]) })).toThrow(
        /"eps" must be a float32 matrix/,
      );
      expect(() => tf.engine().runKernel(NORMAL_KL_KERNEL, { loc: tf.zeros([0, 3]), scale: tf.zeros([0, 3]) })).toThrow(
        /empty/,
      );
      expect(() =>
        tf.engine().runKernel(NORMAL_BACKWARD_KERNEL, { loc: a, scale: a, variance: a, eps: a, dz: a }, {}),
      ).toThrow(/"h"/);
      expect(() =>
        tf.engine().runKernel(NORMAL_LOG_PROB_KERNEL, { x: a, loc: a, sigma: tf.zeros([2]) }, { halfLog2pi: 1 }),
      ).toThrow(/"sigma"/);
      expect(() => tf.engine().runKernel(NORMAL_LOG_PROB_BACKWARD_KERNEL, { scale: a, t: a, d: a }, { g: 1 })).toThrow(
        /perFeature/,
      );
    });
    const heap = new ArrayBuffer(1024);
    const addon = loadAddon();
    expect(() => addon.normalSample(heap, Float64Array.of(16, 0, 64, 128, 192, 256))).not.toThrow();
    expect(() => addon.normalSample(heap, Float64Array.of(16, 0, 64, 128, 192, 1000))).toThrow(/outside the heap/);
    expect(() => addon.normalSample(heap, Float64Array.of(16, 0, 64, 128, 192))).toThrow(/Float64Array/);
    expect(() => addon.normalKl(heap, Float64Array.of(4, 4, 0, 64, 128, 192, 256))).not.toThrow();
    expect(() => addon.normalKl(heap, Float64Array.of(4, 4, 0, 64, 128, 192, 1020))).toThrow(/outside the heap/);
    expect(() => addon.normalKl(heap, Float64Array.of(0, 4, 0, 64, 128, 192, 256))).toThrow(/dimensions/);
    expect(() => addon.normalBackward(heap, Float64Array.of(16, 0, 64, 128, 192, 256, 0.5, 320, 384))).not.toThrow();
    expect(() =>
      addon.normalLogProb(heap, Float64Array.of(2, 8, 1, 0.9, 0, 64, 128, 192, 256, 320, 384, 448)),
    ).not.toThrow();
    expect(() =>
      addon.normalLogProb(heap, Float64Array.of(2, 8, 1, 0.9, 0, 64, 1000, 192, 256, 320, 384, 448)),
    ).toThrow(/outside the heap/);
    expect(() =>
      addon.normalLogProbBackward(heap, Float64Array.of(2, 8, 0, 0.5, 0, 64, 128, 192, 256, 320)),
    ).not.toThrow();
    expect(() => addon.normalLogProbBackward(heap, Float64Array.of(2, 8, 1, 0.5, 0, 64, 128, 192, 256, 1000))).toThrow(
      /outside the heap/,
    );
    expect(() => addon.normalBackward(heap, Float64Array.of(16, 0, 64, 128, 192, 256, 0.5, 320, 1000))).toThrow(
      /outside the heap/,
    );
  });
});
