import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DisposedError, type Matrix, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { Dense } from './dense.js';
import { denseOfHost, denseReadsInPlace } from './dense-host.js';

// On a backend without DENSE_HOST_KERNEL (cpu here; wasm-native is tested in @varia/native-kernels and @varia/vae),
// denseOfHost is the layer on the uploaded rows.
describe('denseOfHost', () => {
  it("is the layer's forward pass on the uploaded rows, for every activation, without leaks", () => {
    const data = Float32Array.from({ length: 5 * 7 }, (_, i) => (i % 3 === 0 ? 0 : Math.sin(i)));
    const x = { data, rows: 5, cols: 7 };
    expect(denseReadsInPlace(x)).toBe(false);
    for (const activation of ['linear', 'relu', 'sigmoid', 'tanh'] as const) {
      const layer = new Dense({ inputDim: 7, units: 4, activation, seed: 1 });
      const before = tf.memory().numTensors;
      const got = denseOfHost(layer, x);
      const want = tf.tidy(() => layer.apply(tf.tensor2d(data, [5, 7])));
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      tf.dispose([got, want]);
      expect(tf.memory().numTensors).toBe(before);
      layer.dispose();
    }
  });

  it('refuses rows of another width, no rows, a fraction of rows, values that do not fill them or are not float32, and a disposed layer', () => {
    const layer = new Dense({ inputDim: 3, units: 2, seed: 1 });
    const before = tf.memory().numTensors;
    for (const x of [
      { data: new Float32Array(8), rows: 2, cols: 4 },
      { data: new Float32Array(0), rows: 0, cols: 3 },
      { data: new Float32Array(5), rows: 2, cols: 3 },
      { data: new Float32Array(4), rows: 4 / 3, cols: 3 }, // 4 / 3 · 3 = 4 values
    ]) {
      expect(() => denseOfHost(layer, x)).toThrow(ShapeError);
    }
    // data that is not a Float32Array (a JavaScript caller's Float64Array or array): named, on every backend
    for (const data of [new Float64Array(6), [0, 1, 2, 3, 4, 5]]) {
      const x = { data, rows: 2, cols: 3 } as unknown as Matrix;
      expect(() => denseOfHost(layer, x)).toThrow(ArgumentError);
      expect(() => denseOfHost(layer, x)).toThrow(/"x.data" must be a Float32Array, got (Float64Array|Array)/);
    }
    expect(tf.memory().numTensors).toBe(before);
    layer.dispose();
    expect(() => denseOfHost(layer, { data: new Float32Array(3), rows: 1, cols: 3 })).toThrow(DisposedError);
  });
});
