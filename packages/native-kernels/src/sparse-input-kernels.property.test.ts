import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  SPARSE_INPUT_DENSE_BACKWARD_KERNEL,
  SPARSE_INPUT_DENSE_KERNEL,
  ShapeError,
  VariaError,
} from '@varia/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import {
  ACTIVATIONS,
  FORWARD_ACTIVATIONS,
  backward,
  firstMiss,
  forward,
  referenceBackward,
  referenceForward,
  sparseArray,
} from './sparse-input-test-support.js';
import { randomArray, skipNative } from './test-support.js';

// VARIA_SPARSE_INPUT_RUNS=N runs N random cases (default 100).
const RUNS = Number(process.env.VARIA_SPARSE_INPUT_RUNS ?? 100);

describe.skipIf(skipNative)(`${SPARSE_INPUT_DENSE_KERNEL} and its backward kernel: properties and misuse`, () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('random shapes (sizes 0 included), densities and activations: within the float64 bounds, nothing leaks', () => {
    const before = tf.memory().numTensors;
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 0, max: 12 }),
          inDim: fc.integer({ min: 0, max: 12 }),
          units: fc.integer({ min: 0, max: 70 }),
          density: fc.constantFrom(0, 0.05, 0.19, 0.5, 1),
          forwardActivation: fc.constantFrom(...FORWARD_ACTIVATIONS),
          backwardActivation: fc.constantFrom('linear', 'relu', 'sigmoid', 'tanh'),
          withBias: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ n, inDim, units, density, forwardActivation, backwardActivation, withBias, seed }) => {
          const x = sparseArray(n, inDim, density, seed);
          const w = randomArray(inDim * units, seed + 1);
          const b = withBias ? randomArray(units, seed + 2) : undefined;
          const y = forward(x, w, b, n, inDim, units, forwardActivation);
          const { value, bound } = referenceForward(x, w, b, n, inDim, units);
          expect(y.shape).toEqual([n, units]);
          expect(firstMiss(y.dataSync(), value.map(ACTIVATIONS[forwardActivation]!), bound, 4e-7)).toBe(-1);
          y.dispose();
          const dy = randomArray(n * units, seed + 3);
          const yv = randomArray(n * units, seed + 4);
          const [dw, db] = backward(dy, yv, x, n, inDim, units, backwardActivation);
          const ref = referenceBackward(dy, yv, x, n, inDim, units, backwardActivation);
          expect(firstMiss(dw.dataSync(), ref.dw, ref.dwBound)).toBe(-1);
          expect(firstMiss(db.dataSync(), ref.db, ref.dbBound)).toBe(-1);
          tf.dispose([dw, db]);
        },
      ),
      { numRuns: RUNS, seed: 17 },
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('malformed inputs are an ArgumentError or a ShapeError naming the input, and leak nothing', () => {
    const before = tf.memory().numTensors;
    const f = tf.zeros([3, 4]);
    const w = tf.zeros([4, 5]);
    const b = tf.zeros([5]);
    const dy = tf.zeros([3, 5]);
    const ints = tf.zeros([3, 4], 'int32');
    const vec = tf.zeros([4]);
    const run =
      (kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}) =>
      () =>
        tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap);
    const cases: [() => unknown, typeof ArgumentError | typeof ShapeError, string][] = [
      [run(SPARSE_INPUT_DENSE_KERNEL, { kernel: w }), ArgumentError, 'x'],
      [run(SPARSE_INPUT_DENSE_KERNEL, { x: ints, kernel: w }), ArgumentError, 'x'],
      [run(SPARSE_INPUT_DENSE_KERNEL, { x: vec, kernel: w }), ArgumentError, 'x'],
      [run(SPARSE_INPUT_DENSE_KERNEL, { x: f, kernel: vec }), ArgumentError, 'kernel'],
      [run(SPARSE_INPUT_DENSE_KERNEL, { x: f, kernel: dy }), ShapeError, 'kernel'],
      [run(SPARSE_INPUT_DENSE_KERNEL, { x: f, kernel: w, bias: vec }), ShapeError, 'bias'],
      [run(SPARSE_INPUT_DENSE_KERNEL, { x: f, kernel: w, bias: w }), ArgumentError, 'bias'],
      [run(SPARSE_INPUT_DENSE_KERNEL, { x: f, kernel: w }, { activation: 'tanh' }), ArgumentError, 'activation'],
      [run(SPARSE_INPUT_DENSE_KERNEL, { x: f, kernel: w }, { activation: 'toString' }), ArgumentError, 'activation'],
      [run(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, { y: dy, x: f }), ArgumentError, 'dy'],
      [run(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, { dy, y: dy, x: ints }), ArgumentError, 'x'],
      [run(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, { dy: w, y: dy, x: f }), ShapeError, 'dy'],
      [run(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, { dy, y: f, x: f }), ShapeError, 'y'],
      [
        run(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, { dy, y: dy, x: f }, { activation: 'elu' }),
        ArgumentError,
        'activation',
      ],
    ];
    for (const [call, type, argument] of cases) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error, argument).toBeInstanceOf(type);
      expect((error as ArgumentError).argument).toBe(argument);
    }
    tf.dispose([f, w, b, dy, ints, vec]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the addon checks every region against the heap, refuses overlapping outputs and bad sizes or codes', () => {
    const heap = new ArrayBuffer(1024);
    const addon = loadAddon();
    // x [2, 3] at 0, W [3, 4] at 64, bias [4] at 128, y [2, 4] at 256 (all inside 1024 bytes)
    const forward =
      (...d: number[]) =>
      () =>
        addon.sparseInputDense(
          heap,
          ...(d as [number, number, number, number, number, number, number, number, number]),
        );
    expect(forward(2, 3, 4, 0, 64, 128, 256, 1, 0)).not.toThrow();
    expect(forward(2, 3, 4, 0, 64, 128, 1000, 1, 0)).toThrow(/outside the heap/);
    expect(forward(2, 3, 4, 0, 1000, 128, 256, 1, 0)).toThrow(/outside the heap/);
    expect(forward(2, 3, 4, 2, 64, 128, 256, 1, 0)).toThrow(/outside the heap/); // misaligned
    expect(forward(2, 3, 4, 0, 64, 128, 16, 1, 0)).toThrow(/overlaps an input/); // y over x
    expect(forward(2, 3, 4, 0, 64, 128, 96, 1, 0)).toThrow(/overlaps an input/); // y over W
    expect(forward(2, 3, 4, 0, 64, 128, 256, 6, 0)).toThrow(/activation/);
    expect(forward(-1, 3, 4, 0, 64, 128, 256, 1, 0)).toThrow(/32-bit integers/);
    expect(forward(2.5, 3, 4, 0, 64, 128, 256, 1, 0)).toThrow(/32-bit integers/);
    // dy, y [2, 4] at 0 and 64, x [2, 3] at 128, dW [3, 4] at 256, db [4] at 320
    const backward =
      (...d: number[]) =>
      () =>
        addon.sparseInputDenseBackward(
          heap,
          ...(d as [number, number, number, number, number, number, number, number, number]),
        );
    expect(backward(2, 3, 4, 0, 64, 128, 256, 320, 1)).not.toThrow();
    expect(backward(2, 3, 4, 0, 64, 128, 1000, 320, 1)).toThrow(/outside the heap/);
    expect(backward(2, 3, 4, 0, 64, 128, 256, 1020, 1)).toThrow(/outside the heap/);
    expect(backward(2, 3, 4, 0, 64, 128, 0, 320, 1)).toThrow(/overlaps an input/); // dW over dy
    expect(backward(2, 3, 4, 0, 64, 128, 256, 264, 1)).toThrow(/overlaps an input/); // db over dW
    expect(backward(2, 3, 4, 0, 64, 128, 256, 136, 1)).toThrow(/overlaps an input/); // db over x
    expect(backward(2, 3, 4, 0, 64, 128, 256, 320, 2)).toThrow(/activation/);
    expect(() => (addon.sparseInputDense as (...a: unknown[]) => void)(heap, 1, 2)).toThrow(/10 arguments/);
  });

  it('a tensor the backend no longer holds is a VariaError, not an out-of-bounds access', () => {
    const x = tf.zeros([3, 4]);
    const w = tf.zeros([4, 5]);
    const config = tf.getKernel(SPARSE_INPUT_DENSE_KERNEL, 'wasm')!;
    const gone = tf.zeros([3, 4]);
    const info = { dataId: gone.dataId, shape: gone.shape, dtype: gone.dtype };
    gone.dispose();
    const before = tf.memory().numTensors;
    expect(() =>
      config.kernelFunc({ inputs: { x: info, kernel: w }, backend: tf.backend(), attrs: {} } as never),
    ).toThrow(VariaError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});
