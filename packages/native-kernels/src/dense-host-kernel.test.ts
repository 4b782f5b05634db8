// DENSE_HOST_KERNEL (gemmHost): a dense layer's forward pass with x read in place on the host. Its bits against
// _FusedMatMul on the uploaded x (the same calls: one thread and two, zero-skipping and dense rows, one row, views at
// an offset), and its refusals (typed errors, nothing leaked; the addon's own checks of lengths, bounds and overlaps).
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DENSE_HOST_KERNEL, ShapeError } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { expectSameBits, float32Bits, maxAbsDiff, randomArray, referenceMatMul, skipNative } from './test-support.js';

/** The host kernel on x (attributes as given). */
function runHost(x: unknown, rows: unknown, w: tf.Tensor2D, bias: tf.Tensor1D | undefined, activation = 'relu') {
  return tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = { kernel: w };
    if (bias) inputs.bias = bias;
    const attrs = { x, rows, activation, leakyreluAlpha: 0.2 };
    return tf.engine().runKernel(DENSE_HOST_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
  });
}

/** `_FusedMatMul` on the uploaded x: what a Dense layer runs. */
function runUploaded(
  x: Float32Array,
  rows: number,
  w: tf.Tensor2D,
  bias: tf.Tensor1D | undefined,
  activation = 'relu',
) {
  return tf.tidy(() => {
    const a = tf.tensor2d(x, [rows, x.length / rows]);
    return tf.engine().runKernel(tf._FusedMatMul, bias ? { a, b: w, bias } : { a, b: w }, {
      transposeA: false,
      transposeB: false,
      activation,
      leakyreluAlpha: 0.2,
    }) as tf.Tensor2D;
  });
}

/** Rows × cols values of which about `density` are non-zero (pixel-like: zeros, then values in (0, 1]). */
function rowsOf(rows: number, cols: number, density: number, seed: number): Float32Array {
  const u = randomArray(rows * cols, seed);
  const v = randomArray(rows * cols, seed + 1);
  return u.map((r, i) => (Math.abs(r) < density ? Math.abs(v[i]!) + 1e-3 : 0));
}

/** A copy of `a` at an element offset into a larger buffer (byteOffset ≠ 0, not 64-byte aligned). */
function viewOf(a: Float32Array, shift: number): Float32Array {
  const view = new Float32Array(new ArrayBuffer((a.length + shift + 3) * 4), shift * 4, a.length);
  view.set(a);
  return view;
}

describe.skipIf(skipNative)(`native ${DENSE_HOST_KERNEL} on the wasm backend`, () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(() => {
    disableNativeKernels();
  });

  for (const parallel of [1, 2]) {
    it(`gives _FusedMatMul's bits on the uploaded x (parallel ${parallel}; sparse and dense rows, 1 … 3,000 rows)`, () => {
      enableNativeKernels({ parallel });
      const addon = loadAddon();
      const skippedBefore = addon.zeroSkipped();
      for (const [rows, inDim, units, density, seed] of [
        [3000, 784, 400, 0.19, 1], // MNIST-like: the zero-skipping kernel (with its blocks of K)
        [600, 784, 400, 0.9, 2], // dense rows: oneDNN itself
        [1, 784, 400, 0.19, 3], // one row
        [2, 50, 20, 0.5, 4],
        [257, 300, 37, 0.1, 5],
      ] as const) {
        const x = rowsOf(rows, inDim, density, seed);
        const w = tf.tensor2d(randomArray(inDim * units, seed + 10), [inDim, units]);
        const b = tf.tensor1d(randomArray(units, seed + 20));
        const before = tf.memory().numTensors;
        for (const activation of ['linear', 'relu', 'sigmoid']) {
          for (const bias of [b, undefined]) {
            const want = runUploaded(x, rows, w, bias, activation);
            for (const input of [x, viewOf(x, 3)]) {
              const got = runHost(input, rows, w, bias, activation);
              expect(got.shape).toEqual([rows, units]);
              expectSameBits(float32Bits(got), float32Bits(want), `${rows}×${inDim}→${units} ${activation}`);
              got.dispose();
            }
            want.dispose();
          }
        }
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([w, b]);
      }
      // the sparse rows went through the zero-skipping kernel, in both forms
      expect(addon.zeroSkipped()).toBeGreaterThan(skippedBefore);
      disableNativeKernels();
    });
  }

  it('is relu(x·W + b) within float32 rounding of a float64 reference (sparse rows: the zero-skipping product)', () => {
    enableNativeKernels({ parallel: 1 });
    const [rows, inDim, units] = [300, 784, 40];
    const x = rowsOf(rows, inDim, 0.19, 7);
    const wValues = randomArray(inDim * units, 8);
    const bValues = randomArray(units, 9);
    const w = tf.tensor2d(wValues, [inDim, units]);
    const b = tf.tensor1d(bValues);
    const got = runHost(x, rows, w, b, 'relu');
    const product = referenceMatMul(x, wValues, rows, units, inDim, false, false);
    const want = product.map((v, i) => Math.max(0, v + bValues[i % units]!));
    // |x|, |w| ≤ 1 and ~150 non-zeros a row: float32 sums stay within ~150 · 2⁻²⁴ · 150 of the exact value
    expect(maxAbsDiff(got.dataSync(), want)).toBeLessThan(2e-3);
    tf.dispose([got, w, b]);
    disableNativeKernels();
  });

  it('refuses what it cannot read in place as a VariaError naming the argument, with nothing leaked', () => {
    enableNativeKernels({ parallel: 1 });
    const x = rowsOf(6, 10, 0.5, 9);
    const w = tf.tensor2d(randomArray(40, 1), [10, 4]);
    const b = tf.tensor1d(randomArray(4, 2));
    const shared = new Float32Array(new SharedArrayBuffer(x.byteLength));
    shared.set(x);
    const narrowBias = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
      ['x over a SharedArrayBuffer', () => runHost(shared, 6, w, b), ArgumentError, /"x"/],
      ['x as a Float64Array', () => runHost(Float64Array.from(x), 6, w, b), ArgumentError, /"x"/],
      ['x missing', () => runHost(undefined, 6, w, b), ArgumentError, /"x"/],
      ['rows 0', () => runHost(x, 0, w, b), ArgumentError, /"rows"/],
      ['rows 2.5', () => runHost(x, 2.5, w, b), ArgumentError, /"rows"/],
      ['one value too few', () => runHost(x.subarray(1), 6, w, b), ShapeError, /x \(59 values for 6 rows\)/],
      ['rows that do not match', () => runHost(x, 5, w, b), ShapeError, /shapes do not match/],
      ['a bias of another width', () => runHost(x, 6, w, narrowBias), ShapeError, /bias/],
      ['an unknown activation', () => runHost(x, 6, w, b, 'swish'), ArgumentError, /activation/],
    ];
    for (const [what, f, kind, message] of cases) {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(error, what).toBeInstanceOf(kind);
      expect(String((error as Error).message), what).toMatch(message);
      expect(tf.memory().numTensors, what).toBe(before);
    }
    tf.dispose([w, b, narrowBias]);
    disableNativeKernels();
  });

  it("reads x that views the wasm heap itself (a freed region the output may take) with the upload's bits", () => {
    enableNativeKernels({ parallel: 1 });
    const backend = tf.backend() as unknown as {
      dataIdMap: { get(id: unknown): { memoryOffset: number } };
      wasm: { HEAPU8: Uint8Array };
    };
    const [rows, n] = [50, 64];
    const w = tf.tensor2d(randomArray(n * n, 3), [n, n]);
    const b = tf.tensor1d(randomArray(n, 4));
    // x's bytes in a tensor's place, then the tensor freed: the output [rows, n] has x's size, and malloc may give it
    // that very region (it did: the addon refused an output over x)
    const t = tf.tensor2d(rowsOf(rows, n, 0.5, 5), [rows, n]);
    const view = new Float32Array(backend.wasm.HEAPU8.buffer, backend.dataIdMap.get(t.dataId).memoryOffset, rows * n);
    t.dispose();
    const values = view.slice(); // as they are now (the allocator may have written into the freed region)
    const before = tf.memory().numTensors;
    const got = runHost(view, rows, w, b);
    expect(tf.memory().numTensors).toBe(before + 1);
    const want = runUploaded(values, rows, w, b);
    expectSameBits(float32Bits(got), float32Bits(want), 'x on the heap');
    tf.dispose([w, b, got, want]);
    disableNativeKernels();
  });

  it('the addon checks its arguments itself (types, lengths, heap bounds, an output over x, W or the bias)', () => {
    const addon = loadAddon();
    enableNativeKernels({ parallel: 1 }); // loads the BLAS
    const heap = new ArrayBuffer(1024);
    const x = Float32Array.of(1, 0, 2, 0, 3, 4); // [2, 3]
    // W [3, 2] at 256, y [2, 2] at 512
    const call = (over: Partial<Record<string, unknown>> = {}) => {
      const a = { x, rows: 2, wOff: 256, biasOff: -1, outOff: 512, act: 0, ...over };
      return () =>
        (addon.gemmHost as (...args: unknown[]) => void)(
          heap,
          a.x,
          a.rows,
          3,
          2,
          a.wOff,
          a.biasOff,
          a.outOff,
          a.act,
          0,
        );
    };
    new Float32Array(heap, 256, 6).set([1, 2, 3, 4, 5, 6]);
    expect(call()).not.toThrow();
    expect(Array.from(new Float32Array(heap, 512, 4))).toEqual([11, 14, 29, 36]);
    expect(call({ rows: 3 })).toThrow(/rows · inDim values/);
    expect(call({ rows: 0 })).toThrow(/rows, inDim, units ≥ 1/);
    expect(call({ x: Array.from(x) })).toThrow(/Float32Array/);
    expect(call({ x: new Float32Array(new SharedArrayBuffer(24)) })).toThrow(/Float32Array/);
    expect(call({ act: 9 })).toThrow(/activation/);
    expect(call({ wOff: 1004 })).toThrow(/outside the heap/);
    expect(call({ biasOff: 1020 })).toThrow(/outside the heap/);
    expect(call({ outOff: 1012 })).toThrow(/outside the heap/);
    expect(call({ outOff: 514 })).toThrow(/outside the heap/); // not 4-byte aligned
    // x viewing the heap under the output; the output over W or the bias
    const onHeap = new Float32Array(heap, 520, 6);
    onHeap.set(x);
    expect(call({ x: onHeap })).toThrow(/output overlaps x, the kernel or the bias/);
    expect(call({ outOff: 264 })).toThrow(/output overlaps x, the kernel or the bias/);
    expect(call({ biasOff: 520 })).toThrow(/output overlaps x, the kernel or the bias/);
    disableNativeKernels();
  });
});
