import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, MLP_VAE_STEP_KERNEL, ShapeError, VariaError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { randomArray, skipNative } from './test-support.js';

// The whole-step kernel's refusals and failures: every bad input is a typed error naming it, thrown before anything is
// written; a native failure after the deferred update joins it; nothing leaks either way. (Its bits against the
// fused step's kernels and the taped path: @varia/vae's whole-step.test.ts.)

/** Layer widths of a small MLP VAE: D → hidden… → (L, L) → hidden… → D. */
interface Shape {
  rows: number;
  dim: number;
  encoder: number[];
  latent: number;
  decoder: number[];
  activation: 'linear' | 'relu' | 'sigmoid';
}

/** The default: the output layer has 65,536 weights, enough for its update to be deferred on two threads. */
const SHAPE: Shape = { rows: 32, dim: 256, encoder: [256], latent: 4, decoder: [256], activation: 'relu' };

/** log k! for k < 64 (a table of the likelihood kernel's kind; its values do not matter here). */
const LOG_FACTORIALS = Float32Array.from({ length: 64 }, (_, k) => {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
});

/** The name under which a refusal's spoil hands back a clone it made (not an input). */
const SHARED = '(clone)';

const ADAM = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, beta1Power: 0.9, beta2Power: 0.999 };

/** Each layer's [in, units], in the kernel's order. */
function widths(s: Shape): [number, number][] {
  const out: [number, number][] = [];
  let w = s.dim;
  for (const u of s.encoder) {
    out.push([w, u]);
    w = u;
  }
  out.push([w, s.latent], [w, s.latent]);
  w = s.latent;
  for (const u of [...s.decoder, s.dim]) {
    out.push([w, u]);
    w = u;
  }
  return out;
}

/** A step's inputs (each tensor with data of its own) and attributes; `poisson` takes counts and the table. */
function stepCall(s: Shape, family: 'bernoulli' | 'poisson' = 'bernoulli', seed = 1) {
  const inputs: Record<string, tf.Tensor> = {};
  const x = randomArray(s.rows * s.dim, seed).map((v) =>
    family === 'poisson' ? Math.round(4 * Math.abs(v)) : v > 0 ? 1 : 0,
  );
  inputs.x = tf.tensor2d(x, [s.rows, s.dim]);
  if (family === 'poisson') inputs.table = tf.tensor1d(LOG_FACTORIALS);
  const layers = widths(s);
  layers.forEach(([i, u], k) => {
    inputs[`kernel${k}`] = tf.tensor2d(
      randomArray(i * u, seed + 10 * k).map((v) => v * 0.1),
      [i, u],
    );
    inputs[`bias${k}`] = tf.tensor1d(randomArray(u, seed + 10 * k + 1).map((v) => v * 0.1));
    inputs[`kernelM${k}`] = tf.zeros([i, u]);
    inputs[`kernelV${k}`] = tf.zeros([i, u]);
    inputs[`biasM${k}`] = tf.zeros([u]);
    inputs[`biasV${k}`] = tf.zeros([u]);
  });
  const acts = layers.map((_, k) =>
    k >= s.encoder.length && k < s.encoder.length + 2 ? 'linear' : k === layers.length - 1 ? 'linear' : s.activation,
  );
  const attrs: Record<string, unknown> = {
    layers: layers.length,
    encoderLayers: s.encoder.length,
    activations: acts,
    family,
    log1p: family === 'poisson',
    seed: 7,
    g: Math.fround(-1 / s.rows),
    h: Math.fround(0.5 / s.rows),
    ...ADAM,
  };
  return { inputs, attrs };
}

/** The raw bits of every input. */
function snapshot(inputs: Record<string, tf.Tensor>): Map<string, Uint32Array> {
  return new Map(Object.entries(inputs).map(([k, t]) => [k, new Uint32Array(t.dataSync().slice().buffer)]));
}

/** The inputs whose bits differ between two snapshots (a loop: deep equality of 65k-element arrays is slow). */
function changed(a: Map<string, Uint32Array>, b: Map<string, Uint32Array>): string[] {
  const out: string[] = [];
  for (const [name, bits] of a) {
    const other = b.get(name);
    if (!other || other.length !== bits.length || bits.some((v, i) => v !== other[i])) out.push(name);
  }
  return out;
}

function run(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor[] {
  return tf.engine().runKernel(MLP_VAE_STEP_KERNEL, inputs, attrs as tf.NamedAttrMap) as tf.Tensor[];
}

describe.skipIf(skipNative)('VariaMlpVaeStep', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    enableNativeKernels();
  });
  afterAll(async () => {
    disableNativeKernels();
    await tf.setBackend('cpu');
  });

  it('updates every layer in place and returns finite row sums, with nothing left behind', () => {
    const { inputs, attrs } = stepCall(SHAPE);
    const before = snapshot(inputs);
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    const [sums, kl, misses] = run(inputs, attrs);
    expect(misses!.dataSync()[0]).toBe(0);
    expect(sums!.shape).toEqual([SHAPE.rows]);
    expect(kl!.shape).toEqual([SHAPE.rows]);
    for (const v of sums!.dataSync()) expect(v).toBeLessThan(0);
    for (const v of kl!.dataSync()) expect(v).toBeGreaterThanOrEqual(0);
    // every weight and moment written, x not
    expect(changed(before, snapshot(inputs))).toEqual([...before.keys()].filter((k) => k !== 'x'));
    tf.dispose([sums!, kl!, misses!]);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    tf.dispose(Object.values(inputs));
  });

  it('a Poisson batch that is not counts: misses counted, nothing written', () => {
    const { inputs, attrs } = stepCall(SHAPE, 'poisson');
    const x = inputs.x!.dataSync().slice();
    x[3] = 2.5;
    inputs.x!.dispose();
    inputs.x = tf.tensor2d(x, [SHAPE.rows, SHAPE.dim]);
    const before = snapshot(inputs);
    const outs = run(inputs, attrs);
    expect(outs[2]!.dataSync()[0]).toBe(1);
    expect(changed(before, snapshot(inputs))).toEqual([]);
    tf.dispose([...outs, ...Object.values(inputs)]);
  });

  type Call = ReturnType<typeof stepCall>;
  /** What a refusal changes: inputs replaced (undefined: removed), attributes replaced, or a function of the call. */
  interface Spoil {
    inputs?: (c: Call) => Record<string, tf.Tensor | undefined>;
    attrs?: Record<string, unknown>;
  }
  const refusals: [string, Spoil, string, typeof ArgumentError | typeof ShapeError][] = [
    ['a missing layer tensor', { inputs: () => ({ biasV3: undefined }) }, 'biasV3', ArgumentError],
    ['a scale head of another width', { inputs: () => ({ kernel2: tf.zeros([256, 5]) }) }, 'bias2', ShapeError],
    [
      'an output layer not back to D',
      {
        inputs: () => ({
          kernel4: tf.zeros([256, 255]),
          bias4: tf.zeros([255]),
          kernelM4: tf.zeros([256, 255]),
          kernelV4: tf.zeros([256, 255]),
          biasM4: tf.zeros([255]),
          biasV4: tf.zeros([255]),
        }),
      },
      'kernel4',
      ShapeError,
    ],
    ['a family without a kernel', { attrs: { family: 'gaussian' } }, 'family', ArgumentError],
    [
      'an activation it does not run',
      { attrs: { activations: ['tanh', 'linear', 'linear', 'relu', 'linear'] } },
      'activations',
      ArgumentError,
    ],
    ['too few layers', { attrs: { layers: 3 } }, 'layers', ArgumentError],
    ['no encoder layer', { attrs: { encoderLayers: 0 } }, 'encoderLayers', ArgumentError],
    ['a non-finite g', { attrs: { g: Number.NaN } }, 'g', ArgumentError],
    [
      'a non-finite learning rate',
      { attrs: { learningRate: Number.POSITIVE_INFINITY } },
      'learningRate',
      ArgumentError,
    ],
    ['log1p not a boolean', { attrs: { log1p: 1 } }, 'log1p', ArgumentError],
    ['a shared weight', { inputs: (c) => ({ [SHARED]: c.inputs.kernel1!.clone() }) }, 'kernel1', ArgumentError],
    ['one moment given twice', { inputs: (c) => ({ kernelV0: c.inputs.kernelM0 }) }, 'kernelV0', ArgumentError],
    ['x as a weight', { inputs: (c) => ({ bias0: c.inputs.x }) }, 'bias0', ShapeError],
    ['int32 x', { inputs: () => ({ x: tf.zeros([32, 256], 'int32') }) }, 'x', ArgumentError],
  ];
  for (const [what, spoil, argument, type] of refusals) {
    it(`refuses ${what}, naming "${argument}", before writing anything`, () => {
      const c = stepCall(SHAPE);
      const made = Object.values(c.inputs);
      for (const [name, t] of Object.entries(spoil.inputs?.(c) ?? {})) {
        if (t && !made.includes(t)) made.push(t);
        // a clone only shares the data (it is no input): the kernel sees the weight's data held twice
        if (name === SHARED) continue;
        if (t) c.inputs[name] = t;
        else delete c.inputs[name];
      }
      Object.assign(c.attrs, spoil.attrs);
      const before = snapshot(c.inputs);
      const tensors = tf.memory().numTensors;
      let error: unknown;
      try {
        tf.dispose(run(c.inputs, c.attrs));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(type);
      expect((error as ArgumentError).argument).toBe(argument);
      expect(changed(before, snapshot(c.inputs))).toEqual([]);
      expect(tf.memory().numTensors).toBe(tensors);
      tf.dispose(made);
    });
  }

  it('a native failure after the deferred update joins it and leaves nothing behind (two threads)', () => {
    disableNativeKernels();
    enableNativeKernels({ parallel: 2 });
    const addon = loadAddon() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = addon.normalBackward!;
    const { inputs, attrs } = stepCall(SHAPE);
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    addon.normalBackward = () => {
      throw new VariaError('injected failure');
    };
    try {
      expect(() => run(inputs, attrs)).toThrow(/injected failure/);
      expect(loadAddon().deferredPending()).toBe(false);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.engine().backend.numDataIds()).toBe(buffers);
    } finally {
      addon.normalBackward = original;
      tf.dispose(Object.values(inputs));
      disableNativeKernels();
      enableNativeKernels();
    }
  });

  it('any small MLP VAE runs, finite, with nothing left behind (property)', () => {
    const widthsArb = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 0, maxLength: 2 });
    fc.assert(
      fc.property(
        fc.record({
          rows: fc.integer({ min: 1, max: 20 }),
          dim: fc.integer({ min: 1, max: 40 }),
          encoder: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 2 }),
          latent: fc.integer({ min: 1, max: 6 }),
          decoder: widthsArb,
          activation: fc.constantFrom('linear' as const, 'relu' as const, 'sigmoid' as const),
        }),
        fc.constantFrom('bernoulli' as const, 'poisson' as const),
        (shape, family) => {
          const tensors = tf.memory().numTensors;
          const { inputs, attrs } = stepCall(shape, family);
          const outs = run(inputs, attrs);
          expect(outs[2]!.dataSync()[0]).toBe(0);
          for (const v of outs[0]!.dataSync()) expect(Number.isFinite(v)).toBe(true);
          for (const v of outs[1]!.dataSync()) expect(Number.isFinite(v)).toBe(true);
          tf.dispose([...outs, ...Object.values(inputs)]);
          expect(tf.memory().numTensors).toBe(tensors);
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });
});
