import * as tf from '@tensorflow/tfjs-core';
import {
  ADAM_IN_PLACE_KERNEL,
  ADAM_UPDATE_KERNEL,
  DENSE_BACKWARD_ADAM_KERNEL,
  DENSE_BACKWARD_KERNEL,
  LGAMMA_KERNEL,
  LIKELIHOOD_STEP_KERNELS,
  MLP_VAE_STEP_KERNEL,
  MUL_SUB_KERNEL,
  NORMAL_BACKWARD_KERNEL,
  NORMAL_KL_KERNEL,
  NORMAL_LOG_PROB_BACKWARD_KERNEL,
  NORMAL_LOG_PROB_KERNEL,
  NORMAL_SAMPLE_KERNEL,
  STANDARD_NORMAL_KERNEL,
  SCALED_SUM_KERNEL,
  SPARSE_DENSE_KERNEL,
  TABLE_LOOKUP_KERNEL,
  VariaError,
} from '@varia/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels, nativeKernelsInfo } from './enable.js';
import { skipNative } from './test-support.js';

// Misuse of every registered native kernel through tf.engine().runKernel: inputs missing, of a wrong dtype, rank or
// shape, extra; attributes of a wrong type or value. A disposed input stops in tfjs's engine before any kernel, so
// calls with one go to the kernel function itself, as a backend-level caller would. Each call either works or throws a
// VariaError (the replaced tfjs kernels too, for what they hand to the wasm kernel), the wasm memory still works, and
// nothing leaks. VARIA_MISUSE_RUNS=N runs N cases (default 200), VARIA_MISUSE_SEED another seed (default 17).

/** Each kernel's inputs and attributes (a kernel missing here, e.g. a new one, is tried with all of the names). */
const SIGNATURES: Record<string, { inputs: string[]; attrs: string[] }> = {
  [ADAM_UPDATE_KERNEL]: {
    inputs: ['variable', 'gradient', 'firstMoment', 'secondMoment'],
    attrs: ['learningRate', 'beta1', 'beta2', 'epsilon', 'beta1Power', 'beta2Power'],
  },
  [ADAM_IN_PLACE_KERNEL]: {
    inputs: ['variable0', 'gradient0', 'firstMoment0', 'secondMoment0', 'variable1', 'gradient1'],
    attrs: ['count', 'learningRate', 'beta1', 'beta2', 'epsilon', 'beta1Power', 'beta2Power'],
  },
  [DENSE_BACKWARD_KERNEL]: { inputs: ['dy', 'y', 'x', 'kernel', 'dxAdd'], attrs: ['activation', 'inputGradient'] },
  [DENSE_BACKWARD_ADAM_KERNEL]: {
    inputs: ['dy', 'y', 'x', 'kernel', 'bias', 'kernelM', 'kernelV', 'biasM', 'biasV', 'dxAdd'],
    attrs: ['activation', 'inputGradient', 'learningRate', 'beta1', 'beta2', 'epsilon', 'beta1Power', 'beta2Power'],
  },
  [LGAMMA_KERNEL]: { inputs: ['x'], attrs: [] },
  [SPARSE_DENSE_KERNEL]: {
    inputs: ['indptr', 'indices', 'values', 'kernel', 'bias'],
    attrs: ['activation', 'leakyreluAlpha'],
  },
  [TABLE_LOOKUP_KERNEL]: { inputs: ['x', 'table'], attrs: [] },
  [MLP_VAE_STEP_KERNEL]: {
    inputs: ['x', 'table', 'kernel0', 'bias0', 'kernelM0', 'kernelV0', 'biasM0', 'biasV0', 'kernel1', 'bias1'],
    attrs: ['layers', 'encoderLayers', 'activations', 'family', 'log1p', 'seed', 'g', 'h', 'learningRate', 'beta1'],
  },
  [LIKELIHOOD_STEP_KERNELS.bernoulli]: { inputs: ['x', 'logits'], attrs: ['g'] },
  [LIKELIHOOD_STEP_KERNELS.poisson]: { inputs: ['x', 'logRate', 'table'], attrs: ['g'] },
  [MUL_SUB_KERNEL]: { inputs: ['a', 'b', 'c'], attrs: [] },
  [SCALED_SUM_KERNEL]: { inputs: ['x', 'z'], attrs: ['alpha', 'beta'] },
  [NORMAL_SAMPLE_KERNEL]: { inputs: ['loc', 's', 'eps'], attrs: [] },
  [STANDARD_NORMAL_KERNEL]: { inputs: [], attrs: ['shape', 'seed'] },
  [NORMAL_KL_KERNEL]: { inputs: ['loc', 'scale'], attrs: [] },
  [NORMAL_BACKWARD_KERNEL]: { inputs: ['loc', 'scale', 'variance', 'eps', 'dz'], attrs: ['h'] },
  [NORMAL_LOG_PROB_KERNEL]: { inputs: ['x', 'loc', 'sigma'], attrs: ['halfLog2pi'] },
  [NORMAL_LOG_PROB_BACKWARD_KERNEL]: { inputs: ['scale', 't', 'd'], attrs: ['g', 'perFeature'] },
  [tf.BatchMatMul]: { inputs: ['a', 'b'], attrs: ['transposeA', 'transposeB'] },
  [tf._FusedMatMul]: {
    inputs: ['a', 'b', 'bias', 'preluActivationWeights'],
    attrs: ['transposeA', 'transposeB', 'activation', 'leakyreluAlpha'],
  },
  [tf.Softplus]: { inputs: ['x'], attrs: [] },
  [tf.Exp]: { inputs: ['x'], attrs: [] },
  [tf.Log]: { inputs: ['x'], attrs: [] },
  [tf.Log1p]: { inputs: ['x'], attrs: [] },
  [tf.Sigmoid]: { inputs: ['x'], attrs: [] },
  [tf.Sum]: { inputs: ['x'], attrs: ['axis', 'keepDims'] },
  [tf.Identity]: { inputs: ['x'], attrs: [] },
  [tf.Cast]: { inputs: ['x'], attrs: ['dtype'] },
};
const ALL_INPUTS = [...new Set(Object.values(SIGNATURES).flatMap((s) => s.inputs))];
const ALL_ATTRS = [...new Set(Object.values(SIGNATURES).flatMap((s) => s.attrs))];
const signature = (kernel: string) => SIGNATURES[kernel] ?? { inputs: ALL_INPUTS, attrs: ALL_ATTRS };

const ATTR_VALUES = [
  undefined,
  0,
  1,
  -1,
  0.5,
  2,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 32,
  'relu',
  'linear',
  'sigmoid',
  'elu',
  'prelu',
  'bogus',
  'float32',
  'int32',
  true,
  false,
  null,
  [0],
  [-1, 0],
];

/** One input: a tensor (shape, dtype, values), absent, or a disposed tensor. */
const inputArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'absent' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'disposed' as const }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('tensor' as const),
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
      dtype: fc.constantFrom('float32', 'float32', 'int32', 'bool'),
      values: fc.array(fc.integer({ min: -3, max: 6 }), { minLength: 1, maxLength: 8 }),
    }),
  },
);

type InputSpec =
  | { kind: 'absent' }
  | { kind: 'disposed' }
  | { kind: 'tensor'; shape: number[]; dtype: 'float32' | 'int32' | 'bool'; values: number[] };

function makeInput(spec: InputSpec): tf.Tensor | undefined {
  if (spec.kind === 'absent') return undefined;
  if (spec.kind === 'disposed') {
    const t = tf.ones([2, 2]);
    t.dispose();
    return t;
  }
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, (_, i) => spec.values[i % spec.values.length]!);
  return tf.tensor(spec.dtype === 'bool' ? values.map((v) => (v > 0 ? 1 : 0)) : values, spec.shape, spec.dtype);
}

/** Frees what a kernel returned: tensors from runKernel, or the backend's data from a kernel function. */
function release(out: unknown): void {
  for (const t of (Array.isArray(out) ? out : [out]) as (tf.Tensor | tf.TensorInfo)[]) {
    if (t instanceof tf.Tensor) t.dispose();
    else (tf.backend() as unknown as { disposeData(id: unknown): void }).disposeData(t.dataId);
  }
}

/** The error a call throws, or undefined when it works (its outputs freed). */
function thrown(call: () => unknown): unknown {
  try {
    release(call());
    return undefined;
  } catch (error) {
    return error ?? new Error('undefined thrown');
  }
}

describe.skipIf(skipNative)('misuse of the native kernels through runKernel', () => {
  let kernels: string[] = [];
  beforeAll(() => {
    kernels = enableNativeKernels({ parallel: 1 }).kernels;
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('every registered kernel is tried', () => {
    expect(nativeKernelsInfo()?.kernels.length).toBeGreaterThanOrEqual(Object.keys(SIGNATURES).length);
  });

  it('random malformed inputs and attributes: a VariaError, never a raw error, a broken wasm memory or a leak', () => {
    const runs = Number(process.env.VARIA_MISUSE_RUNS ?? 200);
    const caseArb = fc
      .record({
        kernel: fc.constantFrom(...kernels),
        inputs: fc.array(inputArb, { minLength: 8, maxLength: 8 }),
        attrs: fc.array(fc.constantFrom(...ATTR_VALUES), { minLength: 8, maxLength: 8 }),
        extra: fc.boolean(),
      })
      .map((c) => ({ ...c, inputs: c.inputs as InputSpec[] }));
    let [worked, refused] = [0, 0];
    fc.assert(
      fc.property(caseArb, ({ kernel, inputs: specs, attrs: values, extra }) => {
        const { inputs: names, attrs: attrNames } = signature(kernel);
        const before = tf.memory();
        const dataIds = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
        const inputs: Record<string, tf.Tensor> = {};
        [...names, ...(extra ? ['unexpected'] : [])].forEach((name, i) => {
          const t = makeInput(specs[i % specs.length]!);
          if (t) inputs[name] = t;
        });
        const attrs: Record<string, unknown> = {};
        attrNames.forEach((name, i) => {
          if (values[i] !== undefined) attrs[name] = values[i];
        });
        const direct = (config: tf.KernelConfig) => () =>
          config.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: tf.backend() });
        const error = specs.some((spec) => spec.kind === 'disposed')
          ? thrown(direct(tf.getKernel(kernel, 'wasm')!))
          : thrown(() => tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap));

        expect(error === undefined || error instanceof VariaError, `${kernel} threw ${String(error)}`).toBe(true);
        // the wasm memory still works (a kernel that read or wrote out of bounds breaks the next allocation)
        const probe = tf.tensor1d([1, 2, 3]);
        expect(Array.from(probe.dataSync())).toEqual([1, 2, 3]);
        probe.dispose();
        if (error === undefined) worked++;
        else refused++;
        tf.dispose(Object.values(inputs));
        const after = tf.memory();
        expect(after.numTensors).toBe(before.numTensors);
        expect(after.numDataBuffers).toBe(before.numDataBuffers);
        // the backend's own count too: data a kernel function allocated (makeOutput) and lost on an error has no tensor
        expect(
          (tf.backend() as unknown as { numDataIds(): number }).numDataIds(),
          `${kernel} leaked backend data`,
        ).toBe(dataIds);
      }),
      { numRuns: runs, seed: Number(process.env.VARIA_MISUSE_SEED ?? 17) },
    );
    // the generator reaches both outcomes (a property that only ever refuses would test little)
    if (process.env.VARIA_MISUSE_RUNS) console.log(`${worked} calls worked, ${refused} were refused`);
    expect(worked).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(runs / 4);
  });
});
