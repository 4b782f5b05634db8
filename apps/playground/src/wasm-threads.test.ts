/**
 * tfjs-wasm's threaded build in Node (`--backend wasm-threaded`): it starts the thread count asked for — tfjs alone
 * caps the pool at half of `os.cpus()` (1 thread on a 2-core machine) — restores `os.cpus` afterwards, computes what
 * the single-threaded cpu backend computes, and `stopWasmThreads` ends its pthread workers (which would keep Node
 * alive).
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { ADAM_UPDATE_KERNEL, DENSE_BACKWARD_KERNEL } from '@varia/core';
import { disableWasmKernels, enableWasmKernels } from '@varia/wasm-kernels';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, stopWasmThreads } from './backend.js';
import { adamStepBits } from './test-utils/adam-step.js';

afterAll(async () => {
  await stopWasmThreads();
  await tf.setBackend('cpu');
});

describe('wasm-threaded in Node', () => {
  it('starts 2 XNNPACK threads whatever the core count, and restores os.cpus', async () => {
    const cpus = os.cpus;
    const selection = await selectBackend('wasm-threaded', { wasmThreads: 2 });
    expect(selection.candidate).toBe('wasm-threaded');
    expect(tf.getBackend()).toBe('wasm');
    expect(getThreadsCount()).toBe(2);
    expect(selection.threads).toBe(2);
    expect(os.cpus).toBe(cpus);
  });

  it('keeps its own products on 2 threads: @varia/wasm-kernels adds Adam’s step alone, with tfjs’s bits', async () => {
    const kernels = [tf.BatchMatMul, tf._FusedMatMul].map((name) => tf.getKernel(name, 'wasm'));
    const info = await enableWasmKernels();
    expect(info.kernels).toEqual([ADAM_UPDATE_KERNEL]);
    expect(info.description).toBe("wasm + SIMD128 (VariaAdamUpdate; the products stay on the backend's 2 threads)");
    expect(info.activations).toEqual([]);
    expect([tf.BatchMatMul, tf._FusedMatMul].map((name) => tf.getKernel(name, 'wasm'))).toEqual(kernels);
    expect(tf.getKernel(DENSE_BACKWARD_KERNEL, 'wasm')).toBeUndefined();
    // one Adam step of a variable: tfjs's own (kernel by kernel, on the 2 threads) against the module's
    const gradient = Array.from({ length: 4099 }, (_, i) => Math.cos(i * 1.7));
    const { own, ours, steps } = await adamStepBits('threads-two-adam', gradient);
    expect(steps).toBe(1);
    expect(ours).toEqual(own);
    disableWasmKernels();
    expect(tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm')).toBeUndefined();
  });

  it('multiplies as the cpu backend does, and stopWasmThreads removes the backend', async () => {
    const a = Array.from({ length: 64 * 96 }, (_, i) => Math.sin(i));
    const b = Array.from({ length: 96 * 80 }, (_, i) => Math.cos(i));
    const product = async (): Promise<Float32Array> => {
      const y = tf.tidy(() => tf.matMul(tf.tensor2d(a, [64, 96]), tf.tensor2d(b, [96, 80])));
      const values = (await y.data()) as Float32Array;
      y.dispose();
      return values;
    };
    const threaded = await product();
    await stopWasmThreads();
    expect(tf.engine().registryFactory.wasm).toBeUndefined();
    await tf.setBackend('cpu');
    const reference = await product();
    for (let i = 0; i < reference.length; i++) expect(threaded[i]).toBeCloseTo(reference[i]!, 4);
  });
});
