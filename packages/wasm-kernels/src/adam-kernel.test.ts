import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, ArgumentError, ShapeError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { expectSameBits } from './test-support.js';
import { type AdamModule, adamStepsTaken, adamUpdateKernel } from './adam-kernel.js';
import { disableWasmKernels, enableWasmKernels } from './enable.js';

afterAll(() => {
  disableWasmKernels();
});

/** Values with both zeros, small and large magnitudes, and (when `special`) NaN and ±∞. */
const value = (special: boolean) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(0, -0) },
    { weight: 6, arbitrary: fc.float({ min: -10, max: 10, noNaN: true }) },
    { weight: 2, arbitrary: fc.float({ min: Math.fround(-1e-20), max: Math.fround(1e-20), noNaN: true }) },
    {
      weight: 1,
      arbitrary: fc.float({ min: Math.fround(-3e38), max: Math.fround(3e38), noNaN: true, noDefaultInfinity: true }),
    },
    { weight: special ? 1 : 0, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -Infinity) },
  );

interface Case {
  size: number;
  steps: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number | undefined;
  seed: number;
  special: boolean;
}

const cases = fc.record<Case>({
  size: fc.integer({ min: 1, max: 23 }), // whole SIMD lanes and a tail
  steps: fc.integer({ min: 1, max: 4 }),
  learningRate: fc.oneof(fc.constantFrom(1e-3, 0.1), fc.double({ min: 1e-6, max: 2, noNaN: true })),
  beta1: fc.oneof(fc.constantFrom(0, 0.9), fc.double({ min: 0, max: 0.9999, noNaN: true })),
  beta2: fc.oneof(fc.constantFrom(0, 0.999), fc.double({ min: 0, max: 0.9999, noNaN: true })),
  epsilon: fc.option(fc.constantFrom(1e-7, 1e-8, 0.5), { nil: undefined }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  special: fc.boolean(),
});

/** The bits of a tensor's or a kernel output's values. */
const bitsOf = (t: tf.TensorInfo | tf.Tensor) =>
  new Uint32Array(new Float32Array(tf.engine().backend.readSync(t.dataId) as Float32Array).buffer);

/** The case's values from its seed by fast-check's arbitraries (small sizes). */
function sampled(c: Case, salt: number): number[] {
  return fc.sample(fc.array(value(c.special), { minLength: c.size, maxLength: c.size }), {
    seed: c.seed + salt,
    numRuns: 1,
  })[0]!;
}

/** `size` values uniform in (−1, 1) from a seeded LCG (large sizes, where sampling arbitraries is slow). */
function uniform(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** tfjs's AdamOptimizer's state (public fields of the JavaScript class). */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  epsilon: number;
  accumulatedFirstMoment: { variable: tf.Variable }[];
  accumulatedSecondMoment: { variable: tf.Variable }[];
}

/**
 * The case's steps by tfjs's own Adam (`tf.train.adam`, kernel by kernel, the wasm kernels off), each step's inputs
 * and outputs by the registered `ADAM_UPDATE_KERNEL` on the same inputs, compared bit for bit.
 */
async function checkCase(c: Case): Promise<void> {
  const values = (salt: number) => (c.size > 1000 ? uniform(c.size, c.seed + salt) : sampled(c, salt));
  const w = tf.variable(tf.tensor1d(values(0)), true, `adam-case-${c.seed}-${c.size}-${c.steps}-${Math.random()}`);
  const optimizer = tf.train.adam(c.learningRate, c.beta1, c.beta2, c.epsilon);
  const state = optimizer as unknown as AdamState;
  try {
    for (let step = 0; step < c.steps; step++) {
      const g = tf.tensor1d(values(step + 1));
      const m = state.accumulatedFirstMoment[0]?.variable;
      const before = {
        w: tf.clone(w),
        m: m ? tf.clone(m) : tf.zeros([c.size]),
        v: m ? tf.clone(state.accumulatedSecondMoment[0]!.variable) : tf.zeros([c.size]),
        p1: state.accBeta1.dataSync()[0]!,
        p2: state.accBeta2.dataSync()[0]!,
      };
      disableWasmKernels();
      optimizer.applyGradients([{ name: w.name, tensor: g }]);
      await enableWasmKernels();
      const tensors = tf.memory().numTensors;
      const taken = adamStepsTaken();
      const outs = tf.engine().runKernel(
        ADAM_UPDATE_KERNEL,
        { variable: before.w, gradient: g, firstMoment: before.m, secondMoment: before.v },
        {
          learningRate: c.learningRate,
          beta1: c.beta1,
          beta2: c.beta2,
          epsilon: state.epsilon,
          beta1Power: before.p1,
          beta2Power: before.p2,
        },
      ) as tf.Tensor[];
      expect(adamStepsTaken() - taken, 'steps the module took').toBe(1);
      expect(tf.memory().numTensors).toBe(tensors + 3);
      const label = `${JSON.stringify(c)} step ${step + 1}`;
      expectSameBits(bitsOf(outs[0]!), bitsOf(w), `w′ ${label}`);
      expectSameBits(bitsOf(outs[1]!), bitsOf(state.accumulatedFirstMoment[0]!.variable), `m′ ${label}`);
      expectSameBits(bitsOf(outs[2]!), bitsOf(state.accumulatedSecondMoment[0]!.variable), `v′ ${label}`);
      tf.dispose([...outs, g, before.w, before.m, before.v]);
    }
  } finally {
    optimizer.dispose();
    w.dispose();
  }
}

describe('VariaAdamUpdate on the wasm backend', () => {
  it('gives the bits of tfjs’s own Adam there (tf.train.adam), step after step, a NaN where it has one', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => checkCase(c)),
      { numRuns: 120 },
    );
  });

  it('does so for a VAE-sized variable and tfjs’s defaults', async () => {
    await checkCase({
      size: 784 * 400 + 3,
      steps: 3,
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: undefined,
      seed: 7,
      special: false,
    });
  });

  it('is added on enable (listed), removed on disable, and leaves another package’s kernel of that name alone', async () => {
    disableWasmKernels();
    expect(tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm')).toBeUndefined();
    const info = await enableWasmKernels();
    expect(info.kernels).toEqual([tf.BatchMatMul, tf._FusedMatMul, ADAM_UPDATE_KERNEL, 'VariaDenseBackward']);
    expect(info.description).toBe('wasm + SIMD128 (BatchMatMul, _FusedMatMul, VariaAdamUpdate, VariaDenseBackward)');
    const ours = tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm');
    expect(ours).toBeDefined();
    // another package took the name over and then removed it: enabling again puts it back
    tf.unregisterKernel(ADAM_UPDATE_KERNEL, 'wasm');
    expect(await enableWasmKernels()).toBe(info);
    expect(tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm')).toBe(ours);
    disableWasmKernels();
    expect(tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm')).toBeUndefined();
    const other: tf.KernelConfig = { kernelName: ADAM_UPDATE_KERNEL, backendName: 'wasm', kernelFunc: () => [] };
    tf.registerKernel(other);
    try {
      const again = await enableWasmKernels();
      expect(again.kernels).toEqual([tf.BatchMatMul, tf._FusedMatMul, 'VariaDenseBackward']);
      expect(tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm')).toBe(other);
      disableWasmKernels();
      expect(tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm')).toBe(other);
    } finally {
      tf.unregisterKernel(ADAM_UPDATE_KERNEL, 'wasm');
    }
  });

  it('throws a typed error naming the input or attribute, and leaves no tensor behind', async () => {
    await enableWasmKernels();
    const f = tf.ones([5]);
    const i = tf.ones([5], 'int32');
    const short = tf.ones([4]);
    const row = tf.ones([1, 5]); // the same size, another shape
    const attrs = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, beta1Power: 0.9, beta2Power: 0.999 };
    const run =
      (inputs: Record<string, tf.Tensor>, a: Record<string, unknown> = attrs) =>
      () =>
        tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs, a as tf.NamedAttrMap);
    const all = { variable: f, gradient: f, firstMoment: f, secondMoment: f };
    const tensors = tf.memory().numTensors;
    const cases: [() => unknown, typeof ArgumentError | typeof ShapeError, string][] = [
      [run({ variable: f, gradient: f, firstMoment: f }), ArgumentError, 'secondMoment'],
      [run({ ...all, gradient: i }), ArgumentError, 'gradient'],
      [run({ ...all, firstMoment: short }), ShapeError, 'firstMoment'],
      [run({ ...all, secondMoment: row }), ShapeError, 'secondMoment'],
      [run(all, { ...attrs, beta2Power: Number.NaN }), ArgumentError, 'beta2Power'],
      [run(all, { ...attrs, learningRate: '0.1' }), ArgumentError, 'learningRate'],
    ];
    for (const [call, type, name] of cases) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(type);
      expect((error as { argument?: string }).argument ?? (error as Error).message).toContain(name);
      expect(tf.memory().numTensors).toBe(tensors);
    }
    tf.dispose([f, i, short, row]);
  });

  it('computes the same bits on the host for a backend the module was not made for', async () => {
    await enableWasmKernels();
    const refuses: AdamModule = {
      adam: () => {
        throw new Error('the module must not run for another backend');
      },
    };
    const host = adamUpdateKernel(refuses, () => undefined);
    const values = (seed: number) =>
      fc.sample(fc.array(value(true), { minLength: 37, maxLength: 37 }), { seed, numRuns: 1 })[0]!;
    const [w, g, m, v] = [1, 2, 3, 4].map((s) => tf.tensor1d(values(s)));
    const inputs = { variable: w!, gradient: g!, firstMoment: m!, secondMoment: tf.abs(v!) };
    const attrs = { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-7, beta1Power: 0.64, beta2Power: 0.9801 };
    const want = tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs, attrs) as tf.Tensor[];
    const got = host.kernelFunc({
      inputs,
      attrs,
      backend: tf.engine().backend,
    } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo[];
    for (let k = 0; k < 3; k++) expectSameBits(bitsOf(got[k]!), bitsOf(want[k]!), `output ${k}`);
    for (const info of got) tf.engine().backend.disposeData(info.dataId);
    tf.dispose([...want, w!, g!, m!, v!, inputs.secondMoment]);
  });
});
