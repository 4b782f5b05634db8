// An activation attribute named like a property every object inherits ('constructor', 'toString', '__proto__') is an
// unknown activation like any other: the kernels' code tables hold their own names only. Looked up on a plain object,
// such a name found a function, which went on to the addon: an ArgumentError naming the entry point instead of the
// attribute, and the outputs allocated before the call were never freed.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DENSE_BACKWARD_KERNEL, SPARSE_DENSE_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELTA_CODES } from './dense-backward-kernel.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { ACTIVATION_CODES } from './matmul-kernels.js';
import { skipNative } from './test-support.js';

const INHERITED = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

describe('activation code tables', () => {
  it('hold their own names only', () => {
    for (const name of INHERITED) {
      expect(ACTIVATION_CODES[name], name).toBeUndefined();
      expect(DELTA_CODES[name], name).toBeUndefined();
    }
    expect(ACTIVATION_CODES.relu).toBe(1);
    expect(DELTA_CODES.tanh).toBe(6);
  });
});

describe.skipIf(skipNative)('an inherited name as activation', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('is an ArgumentError naming "activation", and no output is left behind', () => {
    const [dy, y, x, kernel] = [tf.ones([2, 3]), tf.ones([2, 3]), tf.ones([2, 4]), tf.ones([4, 3])];
    const [indptr, indices, values] = [tf.tensor1d([0, 1, 1], 'int32'), tf.tensor1d([2], 'int32'), tf.ones([1])];
    const calls: [string, () => unknown][] = [
      [DENSE_BACKWARD_KERNEL, () => ({ inputs: { dy, y, x, kernel }, attrs: { inputGradient: true } })],
      [SPARSE_DENSE_KERNEL, () => ({ inputs: { indptr, indices, values, kernel }, attrs: {} })],
    ];
    for (const [name, args] of calls)
      for (const activation of INHERITED) {
        const { inputs, attrs } = args() as { inputs: tf.NamedTensorMap; attrs: Record<string, unknown> };
        const ids = tf.backend().numDataIds();
        let error: unknown;
        try {
          tf.engine().runKernel(name, inputs, { ...attrs, activation } as never);
        } catch (e) {
          error = e;
        }
        expect(error, `${name} ${activation}`).toBeInstanceOf(ArgumentError);
        expect((error as ArgumentError).argument, `${name} ${activation}`).toBe('activation');
        expect(tf.backend().numDataIds(), `${name} ${activation}`).toBe(ids);
      }
    tf.dispose([dy, y, x, kernel, indptr, indices, values]);
  });
});
