import * as tf from '@tensorflow/tfjs-core';
import { FAST_TRANSPOSED_MATMUL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { maxAbsDiff, randomArray, referenceMatMul, skipNative } from './test-support.js';

/** Reference for a batched product with batch strides (0 = broadcast), bias and activation, in float64. */
function reference(
  a: Float32Array,
  b: Float32Array,
  dims: { m: number; n: number; k: number; batch: number; aStride: number; bStride: number },
  transposeA: boolean,
  transposeB: boolean,
  bias?: { values: Float32Array; per: 'row' | 'matrix' | 'all' },
  activation: (x: number) => number = (x) => x,
): Float64Array {
  const { m, n, k, batch, aStride, bStride } = dims;
  const out = new Float64Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    const c = referenceMatMul(
      a.subarray(i * aStride, i * aStride + m * k),
      b.subarray(i * bStride, i * bStride + k * n),
      m,
      n,
      k,
      transposeA,
      transposeB,
    );
    for (let e = 0; e < m * n; e++) {
      const bv = !bias
        ? 0
        : bias.per === 'row'
          ? bias.values[e % n]!
          : bias.per === 'matrix'
            ? bias.values[e]!
            : bias.values[i * m * n + e]!;
      out[i * m * n + e] = activation(c[e]! + bv);
    }
  }
  return out;
}

describe.skipIf(skipNative)('native BatchMatMul and _FusedMatMul on the wasm backend', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('marks its kernels as reading transposed operands at full speed', () => {
    const config = tf.getKernel(tf.BatchMatMul, 'wasm') as tf.KernelConfig & Record<string, unknown>;
    expect(config[FAST_TRANSPOSED_MATMUL]).toBe(true);
  });

  for (const [transposeA, transposeB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`matMul 2-D, transposeA=${transposeA}, transposeB=${transposeB}, matches a float64 reference`, () => {
      const before = tf.memory().numTensors;
      const [m, n, k] = [37, 29, 53];
      const av = randomArray(m * k, 1);
      const bv = randomArray(k * n, 2);
      const a = tf.tensor2d(av, transposeA ? [k, m] : [m, k]);
      const b = tf.tensor2d(bv, transposeB ? [n, k] : [k, n]);
      const c = tf.matMul(a, b, transposeA, transposeB);
      expect(c.shape).toEqual([m, n]);
      const expected = reference(av, bv, { m, n, k, batch: 1, aStride: 0, bStride: 0 }, transposeA, transposeB);
      expect(maxAbsDiff(c.dataSync(), expected)).toBeLessThan(1e-4);
      tf.dispose([a, b, c]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('batched matMul with equal and broadcast batch dimensions', () => {
    const [m, n, k] = [5, 7, 6];
    const av = randomArray(2 * 3 * m * k, 3);
    const bv = randomArray(2 * 3 * k * n, 4);
    tf.tidy(() => {
      const same = tf.matMul(tf.tensor4d(av, [2, 3, m, k]), tf.tensor4d(bv, [2, 3, k, n]));
      expect(same.shape).toEqual([2, 3, m, n]);
      expect(
        maxAbsDiff(
          same.dataSync(),
          reference(av, bv, { m, n, k, batch: 6, aStride: m * k, bStride: k * n }, false, false),
        ),
      ).toBeLessThan(1e-4);
      const broadcastA = tf.matMul(
        tf.tensor3d(av.subarray(0, m * k), [1, m, k]),
        tf.tensor3d(bv.subarray(0, 3 * k * n), [3, k, n]),
      );
      expect(broadcastA.shape).toEqual([3, m, n]);
      expect(
        maxAbsDiff(
          broadcastA.dataSync(),
          reference(av, bv, { m, n, k, batch: 3, aStride: 0, bStride: k * n }, false, false),
        ),
      ).toBeLessThan(1e-4);
      const broadcastB = tf.matMul(
        tf.tensor3d(av.subarray(0, 3 * k * m), [3, k, m]),
        tf.tensor2d(bv.subarray(0, n * k), [n, k]),
        true,
        true,
      );
      expect(broadcastB.shape).toEqual([3, m, n]);
      expect(
        maxAbsDiff(
          broadcastB.dataSync(),
          reference(av, bv, { m, n, k, batch: 3, aStride: m * k, bStride: 0 }, true, true),
        ),
      ).toBeLessThan(1e-4);
    });
  });

  it('partial broadcasting and empty operands still work (they go to the wasm kernel)', () => {
    tf.tidy(() => {
      const av = randomArray(2 * 4 * 3, 5);
      const bv = randomArray(3 * 3 * 2, 6);
      const c = tf.matMul(tf.tensor4d(av, [2, 1, 4, 3]), tf.tensor4d(bv, [1, 3, 3, 2]));
      expect(c.shape).toEqual([2, 3, 4, 2]);
      const c00 = referenceMatMul(av.subarray(0, 12), bv.subarray(0, 6), 4, 2, 3, false, false);
      expect(maxAbsDiff(c.dataSync().subarray(0, 8), c00)).toBeLessThan(1e-5);
      expect(tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 4])).dataSync()).toEqual(new Float32Array(12));
    });
  });

  const activations: [string, (x: number) => number][] = [
    ['linear', (x) => x],
    ['relu', (x) => Math.max(0, x)],
    ['relu6', (x) => Math.min(6, Math.max(0, x))],
    ['leakyrelu', (x) => (x < 0 ? 0.3 * x : x)],
    ['elu', (x) => (x < 0 ? Math.expm1(x) : x)],
    ['sigmoid', (x) => 1 / (1 + Math.exp(-x))],
  ];
  for (const [name, f] of activations) {
    it(`fused matMul + bias + ${name}`, () => {
      const [m, n, k] = [16, 24, 40];
      const av = randomArray(m * k, 7);
      const bv = randomArray(k * n, 8);
      const biasValues = randomArray(n, 9);
      tf.tidy(() => {
        const y = tf.fused.matMul({
          a: tf.tensor2d(av, [m, k]),
          b: tf.tensor2d(bv, [k, n]),
          bias: tf.tensor1d(biasValues),
          activation: name as tf.fused.Activation,
          leakyreluAlpha: 0.3,
        });
        const expected = reference(
          av,
          bv,
          { m, n, k, batch: 1, aStride: 0, bStride: 0 },
          false,
          false,
          { values: biasValues, per: 'row' },
          f,
        );
        expect(maxAbsDiff(y.dataSync(), expected)).toBeLessThan(1e-4);
      });
    });
  }

  it('fused matMul on a batch with a per-row bias (tfjs-wasm 4.22 own kernel gets this case wrong)', () => {
    const [m, n, k] = [4, 5, 6];
    const av = randomArray(3 * m * k, 10);
    const bv = randomArray(3 * k * n, 11);
    const biasValues = randomArray(n, 12);
    tf.tidy(() => {
      const y = tf.fused.matMul({
        a: tf.tensor3d(av, [3, m, k]),
        b: tf.tensor3d(bv, [3, k, n]),
        bias: tf.tensor1d(biasValues),
        activation: 'relu',
      });
      const expected = reference(
        av,
        bv,
        { m, n, k, batch: 3, aStride: m * k, bStride: k * n },
        false,
        false,
        { values: biasValues, per: 'row' },
        (x) => Math.max(0, x),
      );
      expect(maxAbsDiff(y.dataSync(), expected)).toBeLessThan(1e-4);
    });
  });

  it('fused matMul with a per-matrix and an element-wise bias, and prelu (left to the wasm kernel)', () => {
    const [m, n, k] = [3, 4, 5];
    const av = randomArray(2 * m * k, 13);
    const bv = randomArray(2 * k * n, 14);
    const perMatrix = randomArray(m * n, 15);
    const all = randomArray(2 * m * n, 16);
    const dims = { m, n, k, batch: 2, aStride: m * k, bStride: k * n };
    tf.tidy(() => {
      const a = tf.tensor3d(av, [2, m, k]);
      const b = tf.tensor3d(bv, [2, k, n]);
      const y1 = tf.fused.matMul({ a, b, bias: tf.tensor2d(perMatrix, [m, n]) });
      expect(
        maxAbsDiff(y1.dataSync(), reference(av, bv, dims, false, false, { values: perMatrix, per: 'matrix' })),
      ).toBeLessThan(1e-4);
      const y2 = tf.fused.matMul({ a, b, bias: tf.tensor3d(all, [2, m, n]) });
      expect(
        maxAbsDiff(y2.dataSync(), reference(av, bv, dims, false, false, { values: all, per: 'all' })),
      ).toBeLessThan(1e-4);
      const a2 = tf.tensor2d(av.subarray(0, m * k), [m, k]);
      const b2 = tf.tensor2d(bv.subarray(0, k * n), [k, n]);
      const y3 = tf.fused.matMul({ a: a2, b: b2, activation: 'prelu', preluActivationWeights: tf.fill([n], 0.5) });
      const expected = reference(av, bv, { ...dims, batch: 1 }, false, false, undefined, (x) => (x < 0 ? 0.5 * x : x));
      expect(maxAbsDiff(y3.dataSync(), expected)).toBeLessThan(1e-4);
    });
  });

  it('gradients through transposed products match the closed form', () => {
    const [m, n, k] = [6, 5, 4];
    const av = randomArray(m * k, 17);
    const bv = randomArray(n * k, 18);
    tf.tidy(() => {
      const a = tf.tensor2d(av, [m, k]);
      const b = tf.tensor2d(bv, [n, k]);
      // f = Σ A·Bᵀ  ⇒  ∂f/∂A[i,p] = Σ_j B[j,p],  ∂f/∂B[j,p] = Σ_i A[i,p]
      const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, false, true)))([a, b]) as [
        tf.Tensor,
        tf.Tensor,
      ];
      const colSumB = Array.from({ length: k }, (_, p) =>
        Array.from({ length: n }, (_, j) => bv[j * k + p]!).reduce((s, v) => s + v, 0),
      );
      const colSumA = Array.from({ length: k }, (_, p) =>
        Array.from({ length: m }, (_, i) => av[i * k + p]!).reduce((s, v) => s + v, 0),
      );
      expect(
        maxAbsDiff(
          da.dataSync(),
          Array.from({ length: m * k }, (_, e) => colSumB[e % k]!),
        ),
      ).toBeLessThan(1e-5);
      expect(
        maxAbsDiff(
          db.dataSync(),
          Array.from({ length: n * k }, (_, e) => colSumA[e % k]!),
        ),
      ).toBeLessThan(1e-5);
    });
  });

  it('a product larger than the wasm memory at start (the memory grows under it) is right', () => {
    const [m, n, k] = [300, 1200, 900];
    const av = randomArray(m * k, 19);
    const bv = randomArray(k * n, 20);
    tf.tidy(() => {
      const c = tf.matMul(tf.tensor2d(av, [m, k]), tf.tensor2d(bv, [k, n]));
      const values = c.dataSync();
      // spot-check rows against the reference (the full product in JS would be slow)
      for (const i of [0, 157, 299]) {
        const row = referenceMatMul(av.subarray(i * k, (i + 1) * k), bv, 1, n, k, false, false);
        expect(maxAbsDiff(values.subarray(i * n, (i + 1) * n), row)).toBeLessThan(1e-3);
      }
    });
  });
});
