import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DENSE_BACKWARD_ADAM_KERNEL, DENSE_BACKWARD_KERNEL, ShapeError } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from './enable.js';
import { randomArray, skipNative } from './test-support.js';

// The dense backward kernels' optional input dxAdd: dx = dxAdd + δ·Wᵀ must be what tfjs's own Add kernel gives on the
// kernel's dx without it (the fused step's encoder heads: dh = dx of one head + dx of the other), bit for bit.

const ADAM = {
  learningRate: 0.001,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  beta1Power: 0.9 ** 2,
  beta2Power: 0.999 ** 2,
};
/** Values on every special path of a float32 addition: signed zeros, subnormals, infinities, NaN, overflow. */
const SPECIAL = [0, -0, 1e-40, -1e-40, 2e-45, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 3e38];

/** A seeded uniform(−scale, scale) array; with `edge`, every 5th value (from an offset) a special value. */
function values(size: number, seed: number, edge: boolean, scale = 1): Float32Array {
  const a = randomArray(size, seed).map((v) => v * scale);
  if (edge) for (let i = seed % 5; i < size; i += 5) a[i] = SPECIAL[(i + seed) % SPECIAL.length]!;
  return a;
}

/** The raw bits of a tensor's values, every NaN as one pattern (wasm's Add may give a NaN another payload). */
function bits(t: tf.Tensor): number[] {
  const v = new Float32Array(t.dataSync());
  const u = new Uint32Array(v.buffer);
  return Array.from(u, (b, i) => (Number.isNaN(v[i]) ? 0x7fc00000 : b));
}

/**
 * (batch, inDim, units): the MNIST heads (128×400 from 20 units) and others — one row (a vector product), one input
 * column (dx has one column), units above 384 and 768 (δ·Wᵀ sums K in several blocks), an empty batch, odd sizes.
 */
const SHAPES: [number, number, number][] = [
  [128, 400, 20],
  [64, 784, 20],
  [256, 400, 64],
  [1, 400, 20],
  [40, 1, 30],
  [33, 17, 500],
  [20, 40, 900],
  [7, 5, 3],
  [0, 19, 6],
  [16, 300, 1],
];

/** Runs one kernel on fresh copies of a layer, without and with dxAdd; returns both calls' outputs (dx first). */
function both(kernel: string, shape: [number, number, number], activation: string, edge: boolean, seed: number) {
  const [batch, inDim, units] = shape;
  const make = () => {
    const pre = tf.tensor2d(values(batch * units, seed + 2, edge, 3), [batch, units]);
    const y = { linear: () => pre.clone(), relu: () => tf.relu(pre), tanh: () => tf.tanh(pre) }[activation]!();
    pre.dispose();
    const inputs: Record<string, tf.Tensor> = {
      dy: tf.tensor2d(values(batch * units, seed, edge), [batch, units]),
      y,
      x: tf.tensor2d(values(batch * inDim, seed + 1, edge), [batch, inDim]),
      kernel: tf.tensor2d(values(inDim * units, seed + 3, edge), [inDim, units]),
    };
    if (kernel === DENSE_BACKWARD_ADAM_KERNEL) {
      inputs.bias = tf.tensor1d(values(units, seed + 4, false));
      inputs.kernelM = tf.tensor2d(values(inDim * units, seed + 5, false, 0.01), [inDim, units]);
      inputs.kernelV = tf.square(tf.tensor2d(values(inDim * units, seed + 6, false, 0.01), [inDim, units]));
      inputs.biasM = tf.tensor1d(values(units, seed + 7, false, 0.01));
      inputs.biasV = tf.square(tf.tensor1d(values(units, seed + 8, false, 0.01)));
    }
    return inputs;
  };
  const attrs = { activation, inputGradient: true, ...(kernel === DENSE_BACKWARD_ADAM_KERNEL ? ADAM : {}) };
  const dxAdd = tf.tensor2d(values(batch * inDim, seed + 9, edge, 2), [batch, inDim]);
  // after the call, the Adam kernel's effect is in its written inputs: compare them too
  const written = ['kernel', 'bias', 'kernelM', 'kernelV', 'biasM', 'biasV'];
  const run = (extra: Record<string, tf.Tensor>) => {
    const inputs = make();
    const outs = tf.engine().runKernel(kernel, { ...inputs, ...extra }, attrs) as tf.Tensor[];
    return [...outs, ...written.filter((n) => inputs[n]).map((n) => inputs[n]!)];
  };
  const [dx, ...rest] = run({});
  const [dxJoined, ...restJoined] = run({ dxAdd });
  return { want: [tf.add(dxAdd, dx!), ...rest], got: [dxJoined!, ...restJoined] };
}

function expectAddBits(kernel: string, shape: [number, number, number], activation: string, edge: boolean) {
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const { want, got } = both(kernel, shape, activation, edge, 300 + shape[0] + 7 * shape[1] + 13 * shape[2]);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++)
      expect(bits(got[i]!), `${kernel} [${shape.join(', ')}] ${activation} output ${i}`).toEqual(bits(want[i]!));
  });
  expect(tf.memory().numTensors).toBe(before);
}

for (const parallel of [1, 2]) {
  describe.skipIf(skipNative)(`dense backward kernels with dxAdd (parallel: ${parallel})`, () => {
    beforeAll(() => {
      enableNativeKernels({ parallel });
    });
    afterAll(() => {
      disableNativeKernels();
    });

    for (const kernel of [DENSE_BACKWARD_KERNEL, DENSE_BACKWARD_ADAM_KERNEL])
      for (const shape of SHAPES)
        it(`${kernel} [${shape.join(', ')}]: dx is Add(dxAdd, dx without it), the rest unchanged`, () => {
          for (const activation of ['linear', 'relu', 'tanh']) expectAddBits(kernel, shape, activation, false);
          expectAddBits(kernel, shape, 'linear', true);
        });
  });
}

// OpenBLAS: another product, the same addition after it
const openblas = skipNative ? 'skipped' : nativeKernelsProblem('openblas');
describe.skipIf(openblas !== undefined)('dense backward kernels with dxAdd on OpenBLAS', () => {
  beforeAll(() => {
    enableNativeKernels({ library: 'openblas' });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('dx is Add(dxAdd, dx without it) on the heads, one row, one column and several blocks of K', () => {
    for (const kernel of [DENSE_BACKWARD_KERNEL, DENSE_BACKWARD_ADAM_KERNEL])
      for (const shape of [SHAPES[0]!, SHAPES[3]!, SHAPES[4]!, SHAPES[6]!]) {
        expectAddBits(kernel, shape, 'relu', false);
        expectAddBits(kernel, shape, 'linear', true);
      }
  });
});

describe.skipIf(skipNative)('dense backward kernels: dxAdd refusals', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  const layerInputs = () => ({
    dy: tf.ones([2, 4]),
    y: tf.ones([2, 4]),
    x: tf.ones([2, 3]),
    kernel: tf.ones([3, 4]),
  });
  const adamInputs = () => ({
    bias: tf.ones([4]),
    kernelM: tf.zeros([3, 4]),
    kernelV: tf.zeros([3, 4]),
    biasM: tf.zeros([4]),
    biasV: tf.zeros([4]),
  });

  it('a dxAdd without inputGradient, of another shape or dtype is a typed error naming it, before any write', () => {
    const cases: [() => tf.Tensor, boolean, typeof ArgumentError | typeof ShapeError, RegExp][] = [
      [() => tf.ones([2, 3]), false, ArgumentError, /inputGradient/],
      [() => tf.ones([3, 2]), true, ShapeError, /shape \[2, 3\]/],
      [() => tf.ones([6]), true, ShapeError, /shape \[2, 3\]/],
      [() => tf.ones([2, 3], 'int32'), true, ArgumentError, /float32/],
    ];
    for (const kernel of [DENSE_BACKWARD_KERNEL, DENSE_BACKWARD_ADAM_KERNEL])
      for (const [dxAdd, inputGradient, type, message] of cases) {
        const adam: Record<string, tf.Tensor> = kernel === DENSE_BACKWARD_ADAM_KERNEL ? adamInputs() : {};
        const inputs: Record<string, tf.Tensor> = { ...layerInputs(), ...adam, dxAdd: dxAdd() };
        const state = Object.values(adam).map((t) => Array.from(t.dataSync()));
        const numTensors = tf.memory().numTensors;
        let error: unknown;
        try {
          tf.engine().runKernel(kernel, inputs, { activation: 'relu', inputGradient, ...ADAM });
        } catch (e) {
          error = e;
        }
        expect(error, `${kernel} ${message}`).toBeInstanceOf(type);
        expect((error as ArgumentError).argument).toBe('dxAdd');
        expect((error as Error).message).toMatch(message);
        expect(Object.values(adam).map((t) => Array.from(t.dataSync()))).toEqual(state);
        expect(tf.memory().numTensors).toBe(numTensors);
        tf.dispose(Object.values(inputs));
      }
  });

  it('the Adam kernel refuses a written tensor given as dxAdd, and writes nothing', () => {
    tf.tidy(() => {
      // batch = inDim = units = 3: a moment has dx's shape
      const m = tf.fill([3, 3], 0.5);
      const inputs = {
        dy: tf.ones([3, 3]),
        y: tf.ones([3, 3]),
        x: tf.ones([3, 3]),
        kernel: tf.ones([3, 3]),
        bias: tf.ones([3]),
        kernelM: m,
        kernelV: tf.zeros([3, 3]),
        biasM: tf.zeros([3]),
        biasV: tf.zeros([3]),
        dxAdd: m,
      };
      let error: unknown;
      try {
        tf.engine().runKernel(DENSE_BACKWARD_ADAM_KERNEL, inputs, { activation: 'relu', inputGradient: true, ...ADAM });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toBe('kernelM');
      expect(Array.from(m.dataSync())).toEqual(new Array(9).fill(0.5));
      expect(Array.from(inputs.kernel.dataSync())).toEqual(new Array(9).fill(1));
    });
  });

  it('the addon checks the addend: inside the heap, meeting no output, and only with dx', () => {
    const addon = loadAddon();
    const heap = new ArrayBuffer(1024);
    // batch 2, inDim 3, units 4: dy 0, y 64, x 128, W 256, dx 384, dW 448, db 512, addend 576
    const call = (dx: number, addend: number) =>
      addon.denseBackward(heap, 2, 3, 4, 0, 64, 128, 256, dx, 448, 512, 1, addend);
    expect(() => call(384, 576)).not.toThrow();
    expect(() => call(384, -1)).not.toThrow();
    expect(() => call(384, 1008)).toThrow(/outside the heap/);
    expect(() => call(384, 400)).toThrow(/overlaps an output/);
    expect(() => call(384, 500)).toThrow(/overlaps an output/);
    expect(() => call(-1, 576)).toThrow(/only when it makes dx/);
    // the Adam kernel's numbers: batch 2, inDim 3, units 4; dy, y 0, 64; x 128; W 256; b 320; W's m, v 384, 448;
    // b's m, v 512, 544; dx 576; the addend last
    const numbers = (dx: number, addend: number) =>
      Float64Array.from([2, 3, 4, 0, 64, 128, 256, 320, 384, 448, 512, 544, dx, 1, ...Object.values(ADAM), addend, 0]);
    expect(() => addon.denseBackwardAdam(heap, numbers(576, 640))).not.toThrow();
    expect(() => addon.denseBackwardAdam(heap, numbers(576, 1008))).toThrow(/outside the heap/);
    expect(() => addon.denseBackwardAdam(heap, numbers(576, 580))).toThrow(/another operand/);
    expect(() => addon.denseBackwardAdam(heap, numbers(576, 260))).toThrow(/another operand/);
    expect(() => addon.denseBackwardAdam(heap, numbers(576, 0))).not.toThrow();
    expect(() => addon.denseBackwardAdam(heap, numbers(-1, 640))).toThrow(/only when it makes dx/);
  });
});
