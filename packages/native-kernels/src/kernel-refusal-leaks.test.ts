import * as tf from '@tensorflow/tfjs-core';
import {
  ADAM_UPDATE_KERNEL,
  DENSE_BACKWARD_ADAM_KERNEL,
  DENSE_BACKWARD_KERNEL,
  LGAMMA_KERNEL,
  LIKELIHOOD_STEP_KERNELS,
  MUL_SUB_KERNEL,
  NORMAL_BACKWARD_KERNEL,
  NORMAL_KL_KERNEL,
  NORMAL_LOG_PROB_BACKWARD_KERNEL,
  NORMAL_LOG_PROB_KERNEL,
  NORMAL_SAMPLE_KERNEL,
  SCALED_SUM_KERNEL,
  SPARSE_DENSE_KERNEL,
  SPARSE_INPUT_DENSE_BACKWARD_KERNEL,
  SPARSE_INPUT_DENSE_KERNEL,
  TABLE_LOOKUP_KERNEL,
  VariaError,
} from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { skipNative } from './test-support.js';

// A kernel function allocates its outputs on the backend before the addon runs; a call refused after that (an input
// disposed, the addon's own refusal) must free them: they have no tensor yet, so tf.memory() does not see them and
// nothing else would ever free them. Calls with a disposed input go to the kernel function (tfjs's engine stops them
// before any kernel), as a backend-level caller would.

const backend = () => tf.backend() as unknown as { numDataIds(): number };

/** A [2, 3] float32 matrix (positive values: a valid scale, rate or count wherever one is asked for). */
const matrix = () => tf.fill([2, 3], 1);

/** Each case: a kernel, its inputs (one of them disposed by the test) and attributes. */
const CASES: [string, Record<string, () => tf.Tensor>, tf.NamedAttrMap][] = [
  [tf.Softplus, { x: matrix }, {}],
  [tf.Exp, { x: matrix }, {}],
  [tf.Log, { x: matrix }, {}],
  [tf.Log1p, { x: matrix }, {}],
  [tf.Sigmoid, { x: matrix }, {}],
  [LGAMMA_KERNEL, { x: matrix }, {}],
  [tf.Sum, { x: matrix }, { axis: [1], keepDims: false }],
  [tf.BatchMatMul, { a: () => tf.fill([1, 2, 3], 1), b: () => tf.fill([1, 3, 2], 1) }, {}],
  [tf._FusedMatMul, { a: () => tf.fill([1, 2, 3], 1), b: () => tf.fill([1, 3, 2], 1) }, {}],
  [TABLE_LOOKUP_KERNEL, { x: matrix, table: () => tf.fill([4], 1) }, {}],
  [MUL_SUB_KERNEL, { a: matrix, b: matrix, c: matrix }, {}],
  [SCALED_SUM_KERNEL, { x: matrix, z: matrix }, { alpha: 0.5, beta: -0.5 }],
  [
    DENSE_BACKWARD_KERNEL,
    { dy: matrix, y: matrix, x: matrix, kernel: () => tf.fill([3, 3], 1), dxAdd: matrix },
    { activation: 'linear', inputGradient: true },
  ],
  [
    DENSE_BACKWARD_ADAM_KERNEL,
    {
      dy: matrix,
      y: matrix,
      x: matrix,
      kernel: () => tf.fill([3, 3], 1),
      bias: () => tf.fill([3], 1),
      kernelM: () => tf.fill([3, 3], 0),
      kernelV: () => tf.fill([3, 3], 0),
      biasM: () => tf.fill([3], 0),
      biasV: () => tf.fill([3], 0),
      dxAdd: matrix,
    },
    {
      activation: 'relu',
      inputGradient: true,
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      beta1Power: 0.9,
      beta2Power: 0.999,
    },
  ],
  [NORMAL_SAMPLE_KERNEL, { loc: matrix, s: matrix, eps: matrix }, {}],
  [NORMAL_KL_KERNEL, { loc: matrix, scale: matrix }, {}],
  [NORMAL_BACKWARD_KERNEL, { loc: matrix, scale: matrix, variance: matrix, eps: matrix, dz: matrix }, { h: 0.5 }],
  [NORMAL_LOG_PROB_KERNEL, { x: matrix, loc: matrix, sigma: () => tf.scalar(1) }, { halfLog2pi: 0.9 }],
  [NORMAL_LOG_PROB_BACKWARD_KERNEL, { scale: matrix, t: matrix, d: matrix }, { g: -0.5, perFeature: false }],
  [
    SPARSE_DENSE_KERNEL,
    {
      indptr: () => tf.tensor1d([0, 1, 2], 'int32'),
      indices: () => tf.tensor1d([0, 2], 'int32'),
      values: () => tf.tensor1d([1, 2]),
      kernel: () => tf.fill([3, 3], 1),
    },
    {},
  ],
  [SPARSE_INPUT_DENSE_KERNEL, { x: matrix, kernel: () => tf.fill([3, 3], 1) }, {}],
  [SPARSE_INPUT_DENSE_BACKWARD_KERNEL, { dy: matrix, y: matrix, x: matrix }, {}],
  [LIKELIHOOD_STEP_KERNELS.bernoulli, { x: matrix, logits: matrix }, { g: -0.5 }],
  [
    ADAM_UPDATE_KERNEL,
    { variable: matrix, gradient: matrix, firstMoment: matrix, secondMoment: matrix },
    { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, beta1Power: 0.9, beta2Power: 0.999 },
  ],
  [LIKELIHOOD_STEP_KERNELS.poisson, { x: matrix, logRate: matrix, table: () => tf.fill([4], 1) }, { g: -0.5 }],
];

describe.skipIf(skipNative)('a refused native kernel call frees the outputs it allocated', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it.each(CASES)(
    '%s: each input disposed in turn is a VariaError, and no backend data is left',
    (kernel, makers, attrs) => {
      const config = tf.getKernel(kernel, 'wasm')!;
      // with every input alive the call works (so the refusal below is the disposed input's)
      const alive = Object.fromEntries(Object.entries(makers).map(([name, make]) => [name, make()]));
      const outs = config.kernelFunc({ inputs: alive, attrs, backend: tf.backend() }) as
        | tf.TensorInfo
        | tf.TensorInfo[];
      for (const t of Array.isArray(outs) ? outs : [outs]) (tf.backend() as tf.KernelBackend).disposeData(t.dataId);
      tf.dispose(Object.values(alive));
      for (const disposed of Object.keys(makers)) {
        const inputs = Object.fromEntries(Object.entries(makers).map(([name, make]) => [name, make()]));
        inputs[disposed]!.dispose();
        const data = backend().numDataIds();
        let error: unknown;
        try {
          config.kernelFunc({ inputs, attrs, backend: tf.backend() });
        } catch (e) {
          error = e;
        }
        expect(error, `${kernel} with "${disposed}" disposed`).toBeInstanceOf(VariaError);
        expect(backend().numDataIds(), `${kernel} with "${disposed}" disposed`).toBe(data);
        tf.dispose(Object.values(inputs));
      }
    },
  );

  it('a table look-up the addon refuses (an empty table) leaves no backend data', () => {
    const [x, table] = [matrix(), tf.tensor1d([])];
    const data = backend().numDataIds();
    expect(() => tf.engine().runKernel(TABLE_LOOKUP_KERNEL, { x, table })).toThrow(VariaError);
    expect(backend().numDataIds()).toBe(data);
    tf.dispose([x, table]);
  });
});
