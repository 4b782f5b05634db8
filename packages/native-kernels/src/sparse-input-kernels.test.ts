import * as tf from '@tensorflow/tfjs-core';
import { DENSE_BACKWARD_KERNEL, SPARSE_INPUT_DENSE_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const bytes = (t: tf.Tensor) => Buffer.from(t.dataSync().buffer);
const BACKWARD_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh'];
// [n, inDim, units]: empty, one, odd, more than one 256-row block, units not a multiple of 16 or 32
const SHAPES: [number, number, number][] = [
  [0, 5, 3],
  [1, 1, 1],
  [7, 13, 17],
  [129, 50, 37],
  [300, 20, 70],
  [5, 0, 9],
];
const DENSITIES = [0, 0.05, 0.19, 1];

describe.skipIf(skipNative)(`native ${SPARSE_INPUT_DENSE_KERNEL} and its backward kernel on the wasm backend`, () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('forward: b + x·W within the float32 summation bound of the float64 product, every shape and density', () => {
    const before = tf.memory().numTensors;
    let seed = 10;
    for (const [n, inDim, units] of SHAPES)
      for (const density of DENSITIES)
        for (const withBias of [true, false]) {
          const x = sparseArray(n, inDim, density, seed++);
          const w = randomArray(inDim * units, seed++);
          const b = withBias ? randomArray(units, seed++) : undefined;
          const y = forward(x, w, b, n, inDim, units);
          expect(y.shape).toEqual([n, units]);
          const { value, bound } = referenceForward(x, w, b, n, inDim, units);
          expect(firstMiss(y.dataSync(), value, bound), `[${n}, ${inDim}, ${units}] at ${density}`).toBe(-1);
          y.dispose();
        }
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const activation of FORWARD_ACTIVATIONS)
    it(`forward, activation ${activation}: f(b + x·W) against float64 (also the portable loops)`, () => {
      const [n, inDim, units] = [33, 60, 45];
      const x = sparseArray(n, inDim, 0.19, 1);
      const w = randomArray(inDim * units, 2);
      const b = randomArray(units, 3);
      const { value, bound } = referenceForward(x, w, b, n, inDim, units);
      const f = ACTIVATIONS[activation]!;
      for (const portable of [false, true]) {
        if (portable) process.env.VARIA_NATIVE_NO_AVX512 = '1';
        try {
          const y = forward(x, w, b, n, inDim, units, activation);
          // f is 1-Lipschitz here; its own float32 evaluation adds a few ulp
          expect(firstMiss(y.dataSync(), value.map(f), bound, 4e-7)).toBe(-1);
          y.dispose();
        } finally {
          delete process.env.VARIA_NATIVE_NO_AVX512;
        }
      }
    });

  it('backward: dW = xᵀ·δ and db = Σ δ against float64, every shape, density and activation', () => {
    const before = tf.memory().numTensors;
    let seed = 100;
    for (const [n, inDim, units] of SHAPES)
      for (const density of DENSITIES)
        for (const activation of BACKWARD_ACTIVATIONS) {
          const x = sparseArray(n, inDim, density, seed++);
          const dy = randomArray(n * units, seed++);
          const y = randomArray(n * units, seed++).map((v) => (activation === 'sigmoid' ? (v + 1) / 2 : v));
          const [dw, db] = backward(dy, y, x, n, inDim, units, activation);
          expect(dw.shape).toEqual([inDim, units]);
          expect(db.shape).toEqual([units]);
          const ref = referenceBackward(dy, y, x, n, inDim, units, activation);
          const where = `[${n}, ${inDim}, ${units}] at ${density}, ${activation}`;
          expect(firstMiss(dw.dataSync(), ref.dw, ref.dwBound), where).toBe(-1);
          expect(firstMiss(db.dataSync(), ref.db, ref.dbBound), where).toBe(-1);
          tf.dispose([dw, db]);
        }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("backward: the portable loops meet the same bound; db has DENSE_BACKWARD_KERNEL's bits", () => {
    const [n, inDim, units] = [40, 30, 50];
    const x = sparseArray(n, inDim, 0.19, 5);
    const w = randomArray(inDim * units, 6);
    const dy = randomArray(n * units, 7);
    const y = forward(x, w, undefined, n, inDim, units, 'relu');
    const yv = y.dataSync() as Float32Array;
    const ref = referenceBackward(dy, yv, x, n, inDim, units, 'relu');
    process.env.VARIA_NATIVE_NO_AVX512 = '1';
    try {
      const [dw, db] = backward(dy, yv, x, n, inDim, units, 'relu');
      expect(firstMiss(dw.dataSync(), ref.dw, ref.dwBound)).toBe(-1);
      tf.dispose([dw, db]);
    } finally {
      delete process.env.VARIA_NATIVE_NO_AVX512;
    }
    const [dw, db] = backward(dy, yv, x, n, inDim, units, 'relu');
    const dense = tf.tidy(
      () =>
        tf.engine().runKernel(
          DENSE_BACKWARD_KERNEL,
          {
            dy: tf.tensor2d(dy, [n, units]),
            y,
            x: tf.tensor2d(x, [n, inDim]),
            kernel: tf.tensor2d(w, [inDim, units]),
          },
          { activation: 'relu', inputGradient: false },
        ) as tf.Tensor[],
    );
    expect(bytes(db).equals(bytes(dense[1]!))).toBe(true);
    tf.dispose([y, dw, db, ...dense]);
  });

  it('the backward kernel is the gradient of the forward: central differences of Σ dy·f(x·W + b) in float64', () => {
    const [n, inDim, units] = [9, 12, 7];
    const x = sparseArray(n, inDim, 0.3, 20);
    const w = randomArray(inDim * units, 21);
    const b = randomArray(units, 22);
    const dy = randomArray(n * units, 23);
    for (const activation of ['linear', 'relu', 'sigmoid']) {
      const f = ACTIVATIONS[activation]!;
      const loss = (wv: Float64Array, bv: Float64Array) => {
        let s = 0;
        for (let i = 0; i < n; i++)
          for (let u = 0; u < units; u++) {
            let z = bv[u]!;
            for (let k = 0; k < inDim; k++) z += x[i * inDim + k]! * wv[k * units + u]!;
            s += dy[i * units + u]! * f(z);
          }
        return s;
      };
      const y = forward(x, w, b, n, inDim, units, activation);
      const [dw, db] = backward(dy, y.dataSync() as Float32Array, x, n, inDim, units, activation);
      const [gw, gb] = [dw.dataSync(), db.dataSync()];
      const h = 1e-6;
      const w64 = Float64Array.from(w);
      const b64 = Float64Array.from(b);
      for (let c = 0; c < inDim * units; c++) {
        const [plus, minus] = [Float64Array.from(w64), Float64Array.from(w64)];
        plus[c]! += h;
        minus[c]! -= h;
        expect(gw[c]!).toBeCloseTo((loss(plus, b64) - loss(minus, b64)) / (2 * h), 4);
      }
      for (let u = 0; u < units; u++) {
        const [plus, minus] = [Float64Array.from(b64), Float64Array.from(b64)];
        plus[u]! += h;
        minus[u]! -= h;
        expect(gb[u]!).toBeCloseTo((loss(w64, plus) - loss(w64, minus)) / (2 * h), 4);
      }
      tf.dispose([y, dw, db]);
    }
  });

  it('parallel: 2 threads sharing the column tiles give the same bytes as one, forward and backward', () => {
    const [n, inDim, units] = [300, 300, 100];
    const x = sparseArray(n, inDim, 0.3, 30);
    const w = randomArray(inDim * units, 31);
    const b = randomArray(units, 32);
    const dy = randomArray(n * units, 33);
    const run = () => {
      const y = forward(x, w, b, n, inDim, units, 'relu');
      return [y, ...backward(dy, y.dataSync() as Float32Array, x, n, inDim, units, 'relu')];
    };
    const one = run();
    enableNativeKernels({ parallel: 2 });
    const two = run();
    enableNativeKernels({ parallel: 1 });
    for (let k = 0; k < 3; k++) expect(bytes(two[k]!).equals(bytes(one[k]!))).toBe(true);
    tf.dispose([...one, ...two]);
  });

  it('NaN and ±∞ in x propagate as in the dense product; a skipped zero times an infinite weight adds nothing', () => {
    const [n, inDim, units] = [4, 20, 35];
    const x = sparseArray(n, inDim, 0.3, 40);
    x[0 * inDim + 3] = Number.NaN;
    x[1 * inDim + 5] = Number.POSITIVE_INFINITY;
    x[2 * inDim + 7] = Number.NEGATIVE_INFINITY;
    x[3 * inDim + 9] = -0; // a zero
    for (let i = 0; i < n; i++) x[i * inDim + 11] = 0; // column 11 all zero
    const w = randomArray(inDim * units, 41);
    w[11 * units + 4] = Number.POSITIVE_INFINITY;
    const y = forward(x, w, undefined, n, inDim, units).dataSync();
    const dense = tf.tidy(() => tf.matMul(tf.tensor2d(x, [n, inDim]), tf.tensor2d(w, [inDim, units])).dataSync());
    for (let c = 0; c < units; c++) {
      expect(Number.isNaN(y[c]!)).toBe(true); // row 0: NaN
      expect(Number.isFinite(y[3 * units + c]!)).toBe(true); // row 3: −0 and the zeros of column 11 skipped
      if (c === 4) continue; // the dense product's column 4 is NaN in every row (0·∞ of column 11)
      expect(y[units + c]).toBe(dense[units + c]); // rows 1, 2: ±∞ by the sign of w[5, c] and w[7, c]
      expect(y[2 * units + c]).toBe(dense[2 * units + c]);
    }
    expect(Math.abs(y[units]!)).toBe(Number.POSITIVE_INFINITY);
    for (const i of [1, 2, 3]) expect(Number.isNaN(dense[i * units + 4]!)).toBe(true);
    const [dw, db] = backward(randomArray(n * units, 42), new Float32Array(n * units), x, n, inDim, units, 'linear');
    const g = dw.dataSync();
    for (let c = 0; c < units; c++) {
      expect(Number.isNaN(g[3 * units + c]!)).toBe(true); // row 3 of dW: x[0, 3] is NaN
      expect(Math.abs(g[5 * units + c]!)).toBe(Number.POSITIVE_INFINITY);
      expect(g[11 * units + c]).toBe(0); // an all-zero column: dW row 0
    }
    tf.dispose([dw, db]);
  });
});
