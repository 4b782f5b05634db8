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
    enableNativeKernels({ parallel: 1 });
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
    const buffers = tf.engine().backend.numDataIds();
    const outs = run(inputs, attrs);
    expect(outs[2]!.dataSync()[0]).toBe(1);
    expect(changed(before, snapshot(inputs))).toEqual([]);
    expect(tf.engine().backend.numDataIds()).toBe(buffers + outs.length);
    tf.dispose([...outs, ...Object.values(inputs)]);
  });

  type Call = ReturnType<typeof stepCall>;
  /**
   * What a refusal changes: inputs replaced (undefined: removed), attributes replaced; `shape` another call's shape;
   * `direct`: the kernel function called itself (tfjs's engine stops a disposed input before any kernel).
   */
  interface Spoil {
    inputs?: (c: Call) => Record<string, tf.Tensor | undefined>;
    attrs?: Record<string, unknown>;
    shape?: Shape;
    direct?: boolean;
  }
  /** Layer i's six tensors with `units` units and input width `inDim`. */
  const layerOfWidth = (i: number, inDim: number, units: number) => ({
    [`kernel${i}`]: tf.zeros([inDim, units]),
    [`bias${i}`]: tf.zeros([units]),
    [`kernelM${i}`]: tf.zeros([inDim, units]),
    [`kernelV${i}`]: tf.zeros([inDim, units]),
    [`biasM${i}`]: tf.zeros([units]),
    [`biasV${i}`]: tf.zeros([units]),
  });
  const disposed = (shape: number[]) => {
    const t = tf.zeros(shape);
    t.dispose();
    return t;
  };
  const refusals: [string, Spoil, string, typeof ArgumentError | typeof ShapeError][] = [
    ['a missing layer tensor', { inputs: () => ({ biasV3: undefined }) }, 'biasV3', ArgumentError],
    ['a missing layer kernel', { inputs: () => ({ kernel3: undefined }) }, 'kernel3', ArgumentError],
    ['a disposed weight', { inputs: () => ({ kernel3: disposed([4, 256]) }), direct: true }, 'kernel3', ArgumentError],
    ['a disposed x', { inputs: () => ({ x: disposed([32, 256]) }), direct: true }, 'x', ArgumentError],
    ['a scale head of another width', { inputs: () => layerOfWidth(2, 256, 5) }, 'kernel2', ShapeError],
    ['an output layer not back to D', { inputs: () => layerOfWidth(4, 256, 255) }, 'kernel4', ShapeError],
    ['a family without a kernel', { attrs: { family: 'gaussian' } }, 'family', ArgumentError],
    ['Poisson without its table', { attrs: { family: 'poisson' } }, 'table', ArgumentError],
    [
      'an empty table',
      { attrs: { family: 'poisson' }, inputs: () => ({ table: tf.zeros([0]) }) },
      'table',
      ArgumentError,
    ],
    [
      'an activation it does not run',
      { attrs: { activations: ['tanh', 'linear', 'linear', 'relu', 'linear'] } },
      'activations',
      ArgumentError,
    ],
    [
      'an activation that is not a string',
      { attrs: { activations: [['relu'], 'linear', 'linear', 'relu', 'linear'] } },
      'activations',
      ArgumentError,
    ],
    ['activations of another count', { attrs: { activations: ['relu'] } }, 'activations', ArgumentError],
    ['too few layers', { attrs: { layers: 3 } }, 'layers', ArgumentError],
    ['a fractional layer count', { attrs: { layers: 4.5 } }, 'layers', ArgumentError],
    ['no encoder layer', { attrs: { encoderLayers: 0 } }, 'encoderLayers', ArgumentError],
    ['no room for the heads', { attrs: { encoderLayers: 3 } }, 'encoderLayers', ArgumentError],
    ['a non-finite g', { attrs: { g: Number.NaN } }, 'g', ArgumentError],
    ['a non-finite h', { attrs: { h: Number.NaN } }, 'h', ArgumentError],
    ['a non-finite seed', { attrs: { seed: Number.POSITIVE_INFINITY } }, 'seed', ArgumentError],
    [
      'a non-finite learning rate',
      { attrs: { learningRate: Number.POSITIVE_INFINITY } },
      'learningRate',
      ArgumentError,
    ],
    ['a learning rate of null', { attrs: { learningRate: null } }, 'learningRate', ArgumentError],
    ['β₁ as a string', { attrs: { beta1: '0.9' } }, 'beta1', ArgumentError],
    ['log1p not a boolean', { attrs: { log1p: 1 } }, 'log1p', ArgumentError],
    ['a shared weight', { inputs: (c) => ({ [SHARED]: c.inputs.kernel1!.clone() }) }, 'kernel1', ArgumentError],
    ['one moment given twice', { inputs: (c) => ({ kernelV0: c.inputs.kernelM0 }) }, 'kernelV0', ArgumentError],
    // x [256, 256] has the first layer's shape: it may not also be a tensor the step writes
    [
      'x as a weight',
      { shape: { ...SHAPE, rows: 256 }, inputs: (c) => ({ kernel0: c.inputs.x }) },
      'kernel0',
      ArgumentError,
    ],
    ['int32 x', { inputs: () => ({ x: tf.zeros([32, 256], 'int32') }) }, 'x', ArgumentError],
  ];
  for (const [what, spoil, argument, type] of refusals) {
    it(`refuses ${what}, naming "${argument}", before writing anything`, () => {
      const c = stepCall(spoil.shape ?? SHAPE);
      const made = Object.values(c.inputs);
      for (const [name, t] of Object.entries(spoil.inputs?.(c) ?? {})) {
        if (t && !made.includes(t)) made.push(t);
        // a clone only shares the data (it is no input): the kernel sees the weight's data held twice
        if (name === SHARED) continue;
        if (t) c.inputs[name] = t;
        else delete c.inputs[name];
      }
      Object.assign(c.attrs, spoil.attrs);
      const live = Object.fromEntries(Object.entries(c.inputs).filter(([, t]) => !t.isDisposed));
      const before = snapshot(live);
      const tensors = tf.memory().numTensors;
      const buffers = tf.engine().backend.numDataIds();
      let error: unknown;
      try {
        if (spoil.direct) {
          const { kernelFunc } = tf.getKernel(MLP_VAE_STEP_KERNEL, 'wasm')!;
          const attrs = c.attrs as tf.NamedAttrMap;
          kernelFunc({ inputs: c.inputs, backend: tf.engine().backend, attrs });
        } else tf.dispose(run(c.inputs, c.attrs));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(type);
      expect((error as ArgumentError).argument).toBe(argument);
      expect(changed(before, snapshot(live))).toEqual([]);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.engine().backend.numDataIds()).toBe(buffers);
      tf.dispose(made);
    });
  }

  /** Runs a step on two threads with addon entry `entry` replaced by `replacement(original)`; restores both. */
  function onTwoThreadsWith(
    entry: string,
    replacement: (original: (...args: unknown[]) => unknown) => unknown,
    f: () => void,
  ) {
    disableNativeKernels();
    enableNativeKernels({ parallel: 2 });
    const addon = loadAddon() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = addon[entry]!;
    addon[entry] = replacement(original) as (...args: unknown[]) => unknown;
    try {
      f();
    } finally {
      addon[entry] = original;
      disableNativeKernels();
      enableNativeKernels({ parallel: 1 });
    }
  }

  /** The step's error, after checking that nothing was left behind and the deferred update was joined. */
  function failedStep(): unknown {
    const { inputs, attrs } = stepCall(SHAPE);
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    let error: unknown;
    try {
      run(inputs, attrs);
    } catch (e) {
      error = e;
    }
    expect(loadAddon().deferredPending()).toBe(false);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    tf.dispose(Object.values(inputs));
    return error;
  }

  it('a native failure after the deferred update joins it, says how many layers it updated, leaves nothing', () => {
    let pending: boolean | undefined;
    onTwoThreadsWith(
      'normalBackward',
      () => () => {
        pending = loadAddon().deferredPending();
        throw new VariaError('injected failure');
      },
      () => {
        const error = failedStep();
        expect((error as Error).message).toMatch(/injected failure/);
        // the output layer (its update deferred: pending when the failure came) and the decoder's layer
        expect(pending).toBe(true);
        expect((error as { layersWritten?: number }).layersWritten).toBe(2);
      },
    );
  });

  it('a failing join is reported with every layer counted as updated, and leaves nothing', () => {
    onTwoThreadsWith(
      'joinDeferred',
      (join) => () => {
        join();
        throw new VariaError('injected join failure');
      },
      () => {
        const error = failedStep();
        expect((error as Error).message).toMatch(/injected join failure/);
        expect((error as { layersWritten?: number }).layersWritten).toBe(5);
      },
    );
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
          const buffers = tf.engine().backend.numDataIds();
          const { inputs, attrs } = stepCall(shape, family);
          const outs = run(inputs, attrs);
          expect(outs[2]!.dataSync()[0]).toBe(0);
          for (const v of outs[0]!.dataSync()) expect(Number.isFinite(v)).toBe(true);
          for (const v of outs[1]!.dataSync()) expect(Number.isFinite(v)).toBe(true);
          tf.dispose([...outs, ...Object.values(inputs)]);
          expect(tf.memory().numTensors).toBe(tensors);
          expect(tf.engine().backend.numDataIds()).toBe(buffers);
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });
});
