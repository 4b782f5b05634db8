import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, LIKELIHOOD_STEP_KERNELS, MUL_SUB_KERNEL, SCALED_SUM_KERNEL, ShapeError } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { expectSameBits, float32Bits as bits, randomArray, randomWords, skipNative } from './test-support.js';
import { asWasmBackend, byteOffset, heapBuffer } from './wasm-heap.js';

const BERNOULLI = LIKELIHOOD_STEP_KERNELS.bernoulli;

/** Inputs of σ: the kernel's edges (±0, ±∞, NaNs, subnormals, ±88…±104 and its cutoff 87.34), random bit patterns, and
 * random values in ±110. */
function sigmoidInputs(size: number, seed: number): Float32Array {
  const edges = [0, -0, Infinity, -Infinity, Number.NaN, 1e-45, -1e-45, 1.1754942e-38, -1.1754942e-38, 3.4e38, -3.4e38];
  for (let v = 86; v <= 105; v += 0.125) edges.push(v, -v);
  edges.push(87.33654, -87.33654, 87.336548, -87.336548, 87.33655, -87.33655);
  const out = new Float32Array(size);
  out.set(edges);
  new Uint32Array(out.buffer, edges.length * 4, (size - edges.length) >> 1).set(
    randomWords((size - edges.length) >> 1, seed),
  );
  const u = randomArray(size, seed + 1);
  for (let i = edges.length + ((size - edges.length) >> 1); i < size; i++) out[i] = u[i]! * 110;
  return out;
}

/** The addon's σ (unary op 5) on a wasm tensor of the values, as bit patterns. */
function addonSigmoid(values: Float32Array): Uint32Array {
  const x = tf.tensor1d(values);
  const ours = tf.zerosLike(x);
  const backend = asWasmBackend(tf.backend());
  loadAddon().unary(heapBuffer(backend)!, 5, values.length, byteOffset(backend, x), byteOffset(backend, ours));
  const result = bits(ours);
  tf.dispose([x, ours]);
  return result;
}

/** `tf.sigmoid` of the values, as bit patterns. */
function tfSigmoid(values: Float32Array): Uint32Array {
  const x = tf.tensor1d(values);
  const y = tf.sigmoid(x);
  const result = bits(y);
  tf.dispose([x, y]);
  return result;
}

/** The backend's own Sigmoid kernel (native kernels off) and the addon's σ on the same values, as bit patterns. */
function bothSigmoids(values: Float32Array): [Uint32Array, Uint32Array] {
  disableNativeKernels();
  try {
    return [tfSigmoid(values), addonSigmoid(values)];
  } finally {
    enableNativeKernels({ parallel: 1 });
  }
}

/** How many elements of two arrays of bit patterns differ. */
function differing(a: Uint32Array, b: Uint32Array): number {
  let count = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) count++;
  return count;
}

/** The wasm backend's `Sigmoid` kernel one ulp up where finite and positive: another build's bits, for the probes. */
function nudgedSigmoid(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const out = original.kernelFunc(args) as tf.TensorInfo;
    const backend = asWasmBackend(args.backend);
    const size = out.shape.reduce((a, b) => a * b, 1);
    const values = new Uint32Array(heapBuffer(backend)!, byteOffset(backend, out), size);
    for (let i = 0; i < size; i++) if (values[i]! > 0 && values[i]! < 0x7f800000) values[i]! += 1;
    return out;
  };
  return { ...original, kernelFunc };
}

/** Logits with edges (±∞, NaN, ±100, ±0, subnormals, large: e^ℓ's limits 88.72 and −103.97, σ's cutoff 87.34) among
 * random values of several scales. */
function logits(size: number, seed: number): Float32Array {
  const special = [Infinity, -Infinity, Number.NaN, 100, -100, 0, -0, 30, -30, 1e-30, 88.8, -104, 1e-45, -1e-45];
  special.push(-1e-39, 88.72284, -103.973, 103.98, -88.73, 87.34, -87.34, 89, -89, 3.4e38, -3.4e38);
  const u = randomArray(size, seed);
  return u.map((v, i) => (i % 11 === 5 ? special[Math.floor(i / 11) % special.length]! : v * 10 ** ((i % 3) - 1) * 8));
}

/** Data: 0/1 values, with some fractional ones when `fractional`, and with `edges` some values outside [0, 1] and
 * edges of float32 (NaN, ±∞, −0, a subnormal, −1, 2, large). */
function data(size: number, seed: number, fractional: boolean, edges = false): Float32Array {
  const special = [Number.NaN, Infinity, -Infinity, -0, 1e-45, -1, 2, 1e30, -3.5];
  const u = randomArray(size, seed);
  return u.map((v, i) =>
    edges && i % 7 === 3
      ? special[Math.floor(i / 7) % special.length]!
      : fractional && i % 3 === 0
        ? Math.abs(v)
        : v > 0
          ? 1
          : 0,
  );
}

/** The kernels the fused step ran before: Softplus, MulSub, Sum, Sigmoid, ScaledSum (outputs: row sums, dOut). */
function separate(x: tf.Tensor2D, l: tf.Tensor2D, g: number): [tf.Tensor, tf.Tensor] {
  const e = tf.engine();
  const sp = e.runKernel(tf.Softplus, { x: l }) as tf.Tensor;
  const d = e.runKernel(MUL_SUB_KERNEL, { a: x, b: l, c: sp }) as tf.Tensor;
  const sums = e.runKernel(tf.Sum, { x: d }, { axis: -1, keepDims: false }) as tf.Tensor;
  const sigma = e.runKernel(tf.Sigmoid, { x: l }) as tf.Tensor;
  const dOut = e.runKernel(SCALED_SUM_KERNEL, { x, z: sigma }, { alpha: g, beta: -g }) as tf.Tensor;
  tf.dispose([sp, d, sigma]);
  return [sums, dOut];
}

describe.skipIf(skipNative)('the fused Bernoulli likelihood kernel on the wasm backend', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it("σ is the backend's own Sigmoid bit for bit on 10⁶ inputs: edges, random bit patterns, random values", () => {
    const [theirs, ours] = bothSigmoids(sigmoidInputs(1 << 20, 7));
    expect(differing(theirs, ours)).toBe(0);
  });

  // D: rows of whole vectors of 16 taken 4 at a time, singly, and tails under 8 and of 8 … 15 (the AVX-512 pass)
  it.each([
    ['AVX-512 (where the CPU has it)', false],
    ['portable (VARIA_NATIVE_NO_AVX512=1)', true],
  ])('gives the bits of Softplus, MulSub, Sum, Sigmoid and ScaledSum (n 1, 17, 128; D 1 … 1030): %s', (_, portable) => {
    const before = tf.memory().numTensors;
    let seed = 1;
    if (portable) process.env.VARIA_NATIVE_NO_AVX512 = '1';
    try {
      for (const n of [1, 17, 128])
        for (const cols of [1, 7, 8, 9, 24, 40, 63, 64, 65, 95, 784, 1030])
          for (const [fractional, edges] of [
            [false, false],
            [true, false],
            [true, true],
          ] as const) {
            seed++;
            const x = tf.tensor2d(data(n * cols, seed, fractional, edges), [n, cols]);
            const l = tf.tensor2d(logits(n * cols, seed + 100), [n, cols]);
            const g = Math.fround(-1 / n);
            const [sums, dOut, misses] = tf.engine().runKernel(BERNOULLI, { x, logits: l }, { g }) as tf.Tensor[];
            const [wantSums, wantDOut] = separate(x, l, g);
            expect(sums!.shape).toEqual([n]);
            expect(dOut!.shape).toEqual([n, cols]);
            expect(misses!.dataSync()[0]).toBe(0);
            expectSameBits(bits(sums!), bits(wantSums), `rowSums n=${n} D=${cols}`);
            expectSameBits(bits(dOut!), bits(wantDOut), `dOut n=${n} D=${cols}`);
            tf.dispose([x, l, sums!, dOut!, misses!, wantSums, wantDOut]);
          }
    } finally {
      delete process.env.VARIA_NATIVE_NO_AVX512;
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("follows another Sigmoid kernel (another wasm build): σ is then that kernel's, and the bits still agree", () => {
    const registered = tf.getKernel(tf.Sigmoid, 'wasm')!;
    tf.unregisterKernel(tf.Sigmoid, 'wasm');
    tf.registerKernel(nudgedSigmoid(registered));
    try {
      const x = tf.tensor2d(data(3 * 40, 5, true), [3, 40]);
      const l = tf.tensor2d(logits(3 * 40, 6), [3, 40]);
      const [sums, dOut, misses] = tf.engine().runKernel(BERNOULLI, { x, logits: l }, { g: -0.5 }) as tf.Tensor[];
      const [wantSums, wantDOut] = separate(x, l, -0.5);
      expectSameBits(bits(sums!), bits(wantSums), 'rowSums');
      expectSameBits(bits(dOut!), bits(wantDOut), 'dOut');
      expect(differing(tfSigmoid(logits(40, 6)), addonSigmoid(logits(40, 6)))).toBeGreaterThan(0); // the nudge took effect
      tf.dispose([x, l, sums!, dOut!, misses!, wantSums, wantDOut]);
    } finally {
      tf.unregisterKernel(tf.Sigmoid, 'wasm');
      tf.registerKernel(registered);
    }
  });

  it("replaces Sigmoid only where the backend's own gives the addon's bits, and keeps another build's", () => {
    const values = sigmoidInputs(1 << 16, 9);
    const [theirs, ours] = bothSigmoids(values);
    expect(differing(theirs, ours)).toBe(0);
    expect(differing(tfSigmoid(values), theirs)).toBe(0); // native kernels on: the same bits
    disableNativeKernels();
    const original = tf.getKernel(tf.Sigmoid, 'wasm')!;
    tf.unregisterKernel(tf.Sigmoid, 'wasm');
    tf.registerKernel(nudgedSigmoid(original));
    try {
      const nudged = tfSigmoid(values);
      expect(differing(nudged, ours)).toBeGreaterThan(0);
      enableNativeKernels({ parallel: 1 }); // wraps the nudged kernel: the probe finds it differs, so it runs it
      expect(differing(tfSigmoid(values), nudged)).toBe(0);
    } finally {
      disableNativeKernels();
      tf.unregisterKernel(tf.Sigmoid, 'wasm');
      tf.registerKernel(original);
      enableNativeKernels({ parallel: 1 });
    }
  });

  it('row sums match the float64 log-likelihood Σ x·ℓ − log(1 + e^ℓ) within float32 rounding', () => {
    const n = 9,
      cols = 784;
    const xs = data(n * cols, 3, true);
    const ls = randomArray(n * cols, 4).map((v) => v * 12);
    const x = tf.tensor2d(xs, [n, cols]);
    const l = tf.tensor2d(ls, [n, cols]);
    const [sums, dOut, misses] = tf.engine().runKernel(BERNOULLI, { x, logits: l }, { g: -0.25 }) as tf.Tensor[];
    const got = sums!.dataSync();
    const grad = dOut!.dataSync();
    for (let r = 0; r < n; r++) {
      let want = 0,
        scale = 0;
      for (let c = 0; c < cols; c++) {
        const v = ls[r * cols + c]!,
          xv = xs[r * cols + c]!;
        const term = xv * v - (Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
        want += term;
        scale += Math.abs(term) + Math.abs(xv * v);
        // ∂/∂ℓ of g·log p = g·(x − σ(ℓ))
        const dl = -0.25 * (xv - 1 / (1 + Math.exp(-v)));
        expect(Math.abs(grad[r * cols + c]! - dl)).toBeLessThanOrEqual(1e-7 * (1 + Math.abs(xv)));
      }
      expect(Math.abs(got[r]! - want)).toBeLessThanOrEqual(2e-6 * scale);
    }
    tf.dispose([x, l, sums!, dOut!, misses!]);
  });

  it('gives the same bits with the rows shared between two threads', () => {
    const n = 256,
      cols = 784;
    const x = tf.tensor2d(data(n * cols, 11, true), [n, cols]);
    const l = tf.tensor2d(logits(n * cols, 12), [n, cols]);
    const run = () => tf.engine().runKernel(BERNOULLI, { x, logits: l }, { g: -1 / 256 }) as tf.Tensor[];
    const one = run();
    enableNativeKernels({ parallel: 2 });
    try {
      const two = run();
      expectSameBits(bits(two[0]!), bits(one[0]!), 'rowSums');
      expectSameBits(bits(two[1]!), bits(one[1]!), 'dOut');
      tf.dispose(two);
    } finally {
      enableNativeKernels({ parallel: 1 });
    }
    tf.dispose([x, l, ...one]);
  });

  it('refuses a wrong dtype, shape or attribute with a VariaError naming it, leaving nothing allocated', () => {
    const [x, l, wide, ints] = [tf.zeros([3, 4]), tf.zeros([3, 4]), tf.zeros([3, 5]), tf.zeros([3, 4], 'int32')];
    const before = tf.memory().numTensors;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const data = backend.numDataIds();
    const call = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => () =>
      tf.engine().runKernel(BERNOULLI, inputs, attrs as tf.NamedAttrMap);
    expect(call({ x, logits: wide }, { g: 1 })).toThrow(ShapeError);
    expect(call({ x }, { g: 1 })).toThrow(/"logits"/);
    expect(call({ x: ints, logits: l }, { g: 1 })).toThrow(ArgumentError);
    expect(call({ x, logits: l }, {})).toThrow(/"g"/);
    expect(tf.memory().numTensors).toBe(before);
    expect(backend.numDataIds()).toBe(data);
    tf.dispose([x, l, wide, ints]);
  });
});
