/**
 * tfjs-wasm's threaded build in Node (`--backend wasm-threaded`): it starts the thread count asked for — tfjs alone
 * caps the pool at half of `os.cpus()` (1 thread on a 2-core machine) — restores `os.cpus` afterwards, computes what
 * the single-threaded cpu backend computes, and `stopWasmThreads` ends its pthread workers (which would keep Node
 * alive).
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { disableWasmKernels, enableWasmKernels, WasmKernelsUnavailableError } from '@varia/wasm-kernels';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, stopWasmThreads } from './backend.js';

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

  it('keeps its own products on 2 threads: @varia/wasm-kernels refuses them and changes nothing', async () => {
    const kernel = tf.getKernel(tf.BatchMatMul, 'wasm');
    await expect(enableWasmKernels()).rejects.toThrow(WasmKernelsUnavailableError);
    await expect(enableWasmKernels()).rejects.toThrow(/products run on 2 threads \(its threaded build\)/);
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBe(kernel);
    disableWasmKernels();
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
