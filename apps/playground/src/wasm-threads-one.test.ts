/**
 * tfjs-wasm's threaded build with a pool of one thread (what a cross-origin isolated page gets on a 2-core machine by
 * default): `@varia/wasm-kernels` takes its products and Adam's steps with the module built for a shared memory, with
 * the backend's bits.
 */
import * as tf from '@tensorflow/tfjs';
import { disableWasmKernels, enableWasmKernels, wasmKernelCalls } from '@varia/wasm-kernels';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, stopWasmThreads } from './backend.js';
import { adamStepBits } from './test-utils/adam-step.js';

afterAll(async () => {
  disableWasmKernels();
  await stopWasmThreads();
  await tf.setBackend('cpu');
});

describe('wasm-threaded with one thread', () => {
  it('takes @varia/wasm-kernels’ products on its shared memory, with the backend’s bits', async () => {
    const selection = await selectBackend('wasm-threaded', { wasmThreads: 1 });
    expect(selection.threads).toBe(1);
    const memory = (tf.backend() as unknown as { wasm: { wasmMemory?: WebAssembly.Memory } }).wasm.wasmMemory;
    expect(memory?.buffer).toBeInstanceOf(SharedArrayBuffer);
    const a = tf.tensor2d(
      Array.from({ length: 37 * 130 }, (_, i) => Math.sin(i) * (i % 7 === 0 ? 0 : 1)),
      [37, 130],
    );
    const b = tf.tensor2d(
      Array.from({ length: 130 * 41 }, (_, i) => Math.cos(i)),
      [130, 41],
    );
    const bias = tf.tensor1d(Array.from({ length: 41 }, (_, i) => i / 10 - 2));
    const products = () =>
      [tf.matMul(a, b), tf.matMul(b, a, true, true), tf.fused.matMul({ a, b, bias, activation: 'relu' })].map((t) => {
        const bits = new Uint32Array(new Float32Array(t.dataSync()).buffer);
        t.dispose();
        return bits;
      });
    const own = products();
    await enableWasmKernels();
    const taken = wasmKernelCalls().products;
    const ours = products();
    expect(wasmKernelCalls().products - taken).toBe(3);
    ours.forEach((bits, i) => expect(bits, `product ${i}`).toEqual(own[i]));
    tf.dispose([a, b, bias]);
  });

  it('takes Adam’s step on its shared memory, with the bits of tfjs’s own Adam', async () => {
    const gradient = Array.from({ length: 4099 }, (_, i) => Math.cos(i * 1.7) * (i % 5 === 0 ? 0 : 1));
    const { own, ours, steps } = await adamStepBits('threads-one-adam', gradient);
    expect(steps).toBe(1);
    expect(ours).toEqual(own);
  });
});
