import * as tf from '@tensorflow/tfjs-core';
import {
  ADAM_IN_PLACE_KERNEL,
  ADAM_UPDATE_KERNEL,
  ArgumentError,
  DENSE_BACKWARD_ADAM_KERNEL,
  DENSE_BACKWARD_KERNEL,
  FAST_TRANSPOSED_MATMUL,
  JOIN_DEFERRED_KERNEL,
  LGAMMA_KERNEL,
  LIKELIHOOD_STEP_KERNELS,
  MUL_SUB_KERNEL,
  NORMAL_BACKWARD_KERNEL,
  NORMAL_KL_KERNEL,
  NORMAL_LOG_PROB_BACKWARD_KERNEL,
  NORMAL_LOG_PROB_KERNEL,
  NORMAL_SAMPLE_KERNEL,
  SCALED_SUM_KERNEL,
  SPARSE_DENSE_HOST_KERNEL,
  DENSE_HOST_KERNEL,
  GATHER_ROWS_KERNEL,
  MLP_VAE_STEP_KERNEL,
  SPARSE_DENSE_KERNEL,
  SPARSE_INPUT_DENSE_BACKWARD_KERNEL,
  SPARSE_INPUT_DENSE_KERNEL,
  TABLE_LOOKUP_KERNEL,
  STANDARD_NORMAL_KERNEL,
} from '@varia/core';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import {
  autoParallel,
  disableNativeKernels,
  enableNativeKernels,
  nativeKernelsInfo,
  nativeKernelsProblem,
} from './enable.js';
import { NativeKernelsUnavailableError } from './errors.js';
import { skipNative } from './test-support.js';

describe('enableNativeKernels', () => {
  afterEach(() => {
    disableNativeKernels();
  });

  it('rejects a bad thread count before touching anything', () => {
    expect(() => enableNativeKernels({ threads: 0 })).toThrow(ArgumentError);
    expect(() => enableNativeKernels({ threads: 1.5 })).toThrow(/"threads" must be a positive integer, got 1.5/);
    expect(nativeKernelsInfo()).toBeUndefined();
  });

  it('rejects an unknown option (a typo) with a hint, and options that are not an object, before touching anything', () => {
    const original = tf.getKernel(tf.BatchMatMul, 'wasm');
    expect(() => enableNativeKernels({ parallell: 2 } as never)).toThrow(ArgumentError);
    expect(() => enableNativeKernels({ parallell: 2 } as never)).toThrow(
      /enableNativeKernels: unknown option "parallell" \(did you mean 'parallel'\?\); known options: library, threads, parallel/,
    );
    expect(() => enableNativeKernels('onednn' as never)).toThrow(/"options" must be an object, got string/);
    expect(nativeKernelsInfo()).toBeUndefined();
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBe(original);
  });

  it('names every file it tried when a library cannot be loaded, and leaves the wasm kernels alone', () => {
    const original = tf.getKernel(tf.BatchMatMul, 'wasm');
    let error: unknown;
    try {
      enableNativeKernels({ library: '/nonexistent/libblas-for-varia.so' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NativeKernelsUnavailableError);
    expect((error as NativeKernelsUnavailableError).reason).toMatch(/libblas-for-varia\.so/);
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBe(original);
    expect(nativeKernelsProblem('/nonexistent/libblas-for-varia.so')).toMatch(/no usable BLAS library/);
  });

  it.skipIf(skipNative)('installs the kernels, reports what it loaded, and puts the originals back', () => {
    const original = tf.getKernel(tf.BatchMatMul, 'wasm');
    const info = enableNativeKernels({ threads: 1 });
    expect(['onednn', 'openblas']).toContain(info.library);
    expect(info.threads).toBe(1);
    expect(info.kernels).toEqual([
      tf.BatchMatMul,
      tf._FusedMatMul,
      tf.Softplus,
      tf.Exp,
      tf.Log,
      tf.Log1p,
      tf.Sigmoid,
      tf.Sum,
      tf.Identity,
      tf.Cast,
      ADAM_UPDATE_KERNEL,
      ADAM_IN_PLACE_KERNEL,
      DENSE_BACKWARD_KERNEL,
      DENSE_BACKWARD_ADAM_KERNEL,
      JOIN_DEFERRED_KERNEL,
      LGAMMA_KERNEL,
      SPARSE_DENSE_KERNEL,
      SPARSE_DENSE_HOST_KERNEL,
      DENSE_HOST_KERNEL,
      SPARSE_INPUT_DENSE_KERNEL,
      SPARSE_INPUT_DENSE_BACKWARD_KERNEL,
      TABLE_LOOKUP_KERNEL,
      MUL_SUB_KERNEL,
      SCALED_SUM_KERNEL,
      NORMAL_SAMPLE_KERNEL,
      NORMAL_KL_KERNEL,
      NORMAL_BACKWARD_KERNEL,
      NORMAL_LOG_PROB_KERNEL,
      NORMAL_LOG_PROB_BACKWARD_KERNEL,
      ...Object.values(LIKELIHOOD_STEP_KERNELS),
      STANDARD_NORMAL_KERNEL,
      GATHER_ROWS_KERNEL,
      MLP_VAE_STEP_KERNEL,
    ]);
    // parallel 'auto' (the default): both cores where there are two or more
    expect(info.parallel).toBe(autoParallel());
    expect(info.description).toMatch(
      info.parallel === 1
        ? /^wasm \+ (oneDNN|OpenBLAS) .*matMul \(1 thread\)$/
        : /^wasm \+ (oneDNN|OpenBLAS) .*matMul \(1 thread, 2 threads sharing blocks\)$/,
    );
    expect(nativeKernelsInfo()).toEqual(info);
    expect(tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm')).toBeDefined();
    // again: idempotent, and the thread count can change
    expect(enableNativeKernels({ threads: 2 }).threads).toBe(2);
    disableNativeKernels();
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBe(original);
    expect((original as tf.KernelConfig & Record<string, unknown>)[FAST_TRANSPOSED_MATMUL]).toBeUndefined();
    expect(tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel(LGAMMA_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel(ADAM_IN_PLACE_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel(DENSE_BACKWARD_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel(SPARSE_DENSE_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel(SPARSE_DENSE_HOST_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel(DENSE_HOST_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel(TABLE_LOOKUP_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel(MUL_SUB_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel(GATHER_ROWS_KERNEL, 'wasm')).toBeUndefined();
    expect(nativeKernelsInfo()).toBeUndefined();
  });

  it.skipIf(skipNative)('can be asked for each family it finds', () => {
    for (const library of ['onednn', 'openblas'] as const) {
      if (nativeKernelsProblem(library) !== undefined) continue;
      const info = enableNativeKernels({ library });
      expect(info.library).toBe(library);
      const c = tf.tidy(() =>
        tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).arraySync(),
      );
      expect(c).toEqual([
        [19, 22],
        [43, 50],
      ]);
      disableNativeKernels();
    }
  });
});

describe.skipIf(skipNative)('the addon guards the wasm memory', () => {
  // test files share one module state (isolate: false): leave the kernels off for the next file
  afterEach(() => {
    disableNativeKernels();
  });

  it('refuses operands outside the buffer, misaligned offsets, empty dimensions and bad biases', () => {
    const addon = loadAddon();
    enableNativeKernels();
    const heap = new ArrayBuffer(4 * 64);
    const gemm = (aOffset: number, cOffset: number) =>
      addon.gemm(heap, false, false, 4, 4, 4, 1, aOffset, 0, 0, 0, cOffset, -1, 0, 0, 0);
    expect(() => gemm(0, 128)).not.toThrow();
    expect(() => gemm(200, 128)).toThrow(/outside the heap/);
    expect(() => gemm(2, 128)).toThrow(/outside the heap/);
    expect(() => gemm(0, 240)).toThrow(/outside the heap/);
    expect(() => addon.gemm(heap, false, false, 0, 4, 4, 1, 0, 0, 0, 0, 128, -1, 0, 0, 0)).toThrow(/m, n, batch/);
    expect(() => addon.gemm(heap, false, false, 4, 4, 4, 1, 0, 0, 0, 0, 128, 0, 3, 0, 0)).toThrow(/bias must have/);
    expect(() => addon.adam(heap, 64, 0, 0, 0, 0, 0, 0, 4, 0.1, 0.9, 0.999, 1e-8, 0.9, 0.999)).toThrow(
      /outside the heap/,
    );
  });
});
