import * as tf from '@tensorflow/tfjs-core';
import { DisposedError, SPARSE_INPUT_DENSE_BACKWARD_KERNEL, SPARSE_INPUT_DENSE_KERNEL, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import type { Activation } from './activation.js';
import { Dense } from './dense.js';
import { denseOfSparseInput, sparseInputDenseApplies } from './sparse-input-dense.js';

// The op's wiring (custom gradient, saved tensors, fallbacks) against tfjs autodiff of the dense layer, with test-local
// cpu kernels written from the kernels' contract (float64 loops over the non-zeros). The native kernels themselves are
// tested in @varia/native-kernels, and through training in @varia/vae (sparse-input-training tests).

const f: Record<string, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => Math.max(v, 0),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
};
const fPrime: Record<string, (y: number) => number> = {
  linear: () => 1,
  relu: (y) => (y > 0 ? 1 : 0),
  sigmoid: (y) => y * (1 - y),
};

type Inputs = Record<string, tf.TensorInfo>;
type Cpu = tf.KernelBackend & {
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
};

/** Registers the two kernels on cpu for the duration of `body` (and counts their calls). */
function withReferenceKernels(body: (calls: { forward: number; backward: number }) => void): void {
  const calls = { forward: 0, backward: 0 };
  const read = (backend: unknown, t: tf.TensorInfo) => (backend as Cpu).readSync(t.dataId) as Float32Array;
  tf.registerKernel({
    kernelName: SPARSE_INPUT_DENSE_KERNEL,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      calls.forward++;
      const { x, kernel, bias } = inputs as Inputs;
      const [n, d] = x!.shape as [number, number];
      const units = kernel!.shape[1]!;
      const [xs, w, b] = [read(backend, x!), read(backend, kernel!), read(backend, bias!)];
      const y = new Float32Array(n * units);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < units; j++) {
          let s = b[j]!;
          for (let k = 0; k < d; k++) if (xs[i * d + k] !== 0) s += xs[i * d + k]! * w[k * units + j]!;
          y[i * units + j] = f[attrs!.activation as string]!(s);
        }
      }
      return (backend as unknown as Cpu).makeTensorInfo([n, units], 'float32', y);
    },
  });
  tf.registerKernel({
    kernelName: SPARSE_INPUT_DENSE_BACKWARD_KERNEL,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      calls.backward++;
      const { dy, y, x } = inputs as Inputs;
      const [n, d] = x!.shape as [number, number];
      const units = y!.shape[1]!;
      const [dys, ys, xs] = [read(backend, dy!), read(backend, y!), read(backend, x!)];
      const delta = dys.map((g, e) => g * fPrime[attrs!.activation as string]!(ys[e]!));
      const dW = new Float32Array(d * units);
      const db = new Float32Array(units);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < units; j++) db[j]! += delta[i * units + j]!;
        for (let k = 0; k < d; k++) {
          const v = xs[i * d + k]!;
          if (v !== 0) for (let j = 0; j < units; j++) dW[k * units + j]! += v * delta[i * units + j]!;
        }
      }
      const cpu = backend as unknown as Cpu;
      return [cpu.makeTensorInfo([d, units], 'float32', dW), cpu.makeTensorInfo([units], 'float32', db)];
    },
  });
  try {
    body(calls);
  } finally {
    tf.unregisterKernel(SPARSE_INPUT_DENSE_KERNEL, 'cpu');
    tf.unregisterKernel(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, 'cpu');
  }
}

/** A seeded [rows, cols] input with about 80 % zeros. */
function mostlyZeros(rows: number, cols: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const keep = tf.less(tf.randomUniform([rows, cols], 0, 1, 'float32', seed), 0.2);
    return tf.where(keep, tf.randomUniform([rows, cols], 0, 2, 'float32', seed + 1), tf.zeros([rows, cols]));
  }) as tf.Tensor2D;
}

/** y and the gradients of Σ y ⊙ u for W and b, by `apply` (one of the two ops). */
function valueAndGrads(layer: Dense, x: tf.Tensor2D, apply: (l: Dense, x: tf.Tensor2D) => tf.Tensor2D) {
  return tf.tidy(() => {
    const u = tf.randomNormal([x.shape[0], layer.units], 0, 1, 'float32', 9);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(apply(layer, x), u)) as tf.Scalar,
      [layer.kernel, layer.bias],
    );
    const y = apply(layer, x);
    return [y, grads[layer.kernel.name]!, grads[layer.bias.name]!, value].map((t) => t.dataSync() as Float32Array);
  });
}

function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    err = Math.max(err, Math.abs(actual[i]! - expected[i]!));
  }
  return err / Math.max(scale, 1e-30);
}

describe('denseOfSparseInput', () => {
  const dense = (l: Dense, x: tf.Tensor2D) => l.apply(x, { constantInput: true });

  for (const activation of ['linear', 'relu', 'sigmoid'] as Activation[]) {
    it(`${activation}: the dense layer's value and W, b gradients through the two kernels, no leaks`, () => {
      const layer = new Dense({ inputDim: 23, units: 7, activation, seed: 2 });
      const x = mostlyZeros(11, 23, 5);
      const expected = valueAndGrads(layer, x, dense);
      withReferenceKernels((calls) => {
        expect(sparseInputDenseApplies(layer)).toBe(true);
        const before = tf.memory().numTensors;
        const actual = valueAndGrads(layer, x, denseOfSparseInput);
        expect(tf.memory().numTensors).toBe(before);
        expect(calls).toEqual({ forward: 2, backward: 1 });
        actual.forEach((values, i) => expect(maxRelativeError(values, expected[i]!)).toBeLessThan(1e-5));
      });
      x.dispose();
      layer.dispose();
    });
  }

  it('keeps an intermediate input (log1p of the data) alive until the backward pass', () => {
    const layer = new Dense({ inputDim: 9, units: 4, activation: 'relu', seed: 3 });
    const x = mostlyZeros(6, 9, 1);
    const viaLog1p = (l: Dense, t: tf.Tensor2D, op: (l: Dense, t: tf.Tensor2D) => tf.Tensor2D) => op(l, tf.log1p(t));
    const expected = valueAndGrads(layer, x, (l, t) => viaLog1p(l, t, dense));
    withReferenceKernels(() => {
      const actual = valueAndGrads(layer, x, (l, t) => viaLog1p(l, t, denseOfSparseInput));
      actual.forEach((values, i) => expect(maxRelativeError(values, expected[i]!)).toBeLessThan(1e-5));
    });
    x.dispose();
    layer.dispose();
  });

  it('is the dense layer, bit for bit, without the kernels or for an activation they do not take', () => {
    const x = mostlyZeros(5, 8, 2);
    const tanh = new Dense({ inputDim: 8, units: 3, activation: 'tanh', seed: 1 });
    const relu = new Dense({ inputDim: 8, units: 3, activation: 'relu', seed: 1 });
    expect(sparseInputDenseApplies(relu)).toBe(false); // cpu without the kernels
    expect(valueAndGrads(relu, x, denseOfSparseInput)).toEqual(valueAndGrads(relu, x, dense));
    withReferenceKernels((calls) => {
      expect(sparseInputDenseApplies(tanh)).toBe(false);
      expect(valueAndGrads(tanh, x, denseOfSparseInput)).toEqual(valueAndGrads(tanh, x, dense));
      expect(calls).toEqual({ forward: 0, backward: 0 });
    });
    tf.dispose([x]);
    tanh.dispose();
    relu.dispose();
  });

  it('refuses a misshapen input with a ShapeError and a disposed layer with a DisposedError, leaking nothing', () => {
    const layer = new Dense({ inputDim: 4, units: 2, activation: 'relu', seed: 1 });
    withReferenceKernels(() => {
      const before = tf.memory().numTensors;
      const wide = tf.zeros([3, 5]);
      const ints = tf.zeros([3, 4], 'int32');
      expect(() => denseOfSparseInput(layer, wide)).toThrow(ShapeError);
      expect(() => denseOfSparseInput(layer, ints)).toThrow(ShapeError);
      tf.dispose([wide, ints]);
      expect(tf.memory().numTensors).toBe(before);
    });
    layer.dispose();
    const x = tf.zeros([1, 4]);
    expect(() => denseOfSparseInput(layer, x)).toThrow(DisposedError);
    x.dispose();
  });
});
