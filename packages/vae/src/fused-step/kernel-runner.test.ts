import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTensorLeaksPerTest } from '../test-utils/helpers.js';
import { KernelRunner } from './kernel-runner.js';

checkTensorLeaksPerTest();

/** The backend's live data buffers (what the runner's outputs hold until freed). */
const buffers = (): number => tf.engine().backend.numDataIds();

describe('KernelRunner (on the cpu backend)', () => {
  it('runs single- and multi-output kernels, hands out what is kept and frees the rest', () => {
    const before = buffers();
    const r = new KernelRunner();
    const a = r.values(Float32Array.from([1, -2, 3, -4]), [2, 2]);
    const b = r.fill(0.5, [2, 2]);
    const sum = r.run('Add', { a, b });
    expect(Array.from(r.read(sum))).toEqual([1.5, -1.5, 3.5, -3.5]);
    // Unpack has one output per row: every one is owned by the runner
    const rows = r.runAll('Unpack', { value: sum }, { axis: 0, num: 2 });
    expect(rows.map((t) => Array.from(r.read(t)))).toEqual([
      [1.5, -1.5],
      [3.5, -3.5],
    ]);
    // a kernel without attributes; the same call twice gives the same values
    const n1 = r.run('Neg', { x: a });
    const n2 = r.run('Neg', { x: a });
    expect(Array.from(r.read(n1))).toEqual([-1, 2, -3, 4]);
    expect(Array.from(r.read(n2))).toEqual([-1, 2, -3, 4]);
    const kept = r.keep<tf.Tensor2D>(sum);
    expect(buffers()).toBe(before + 7);
    r.dispose();
    // only the kept tensor's data is left
    expect(buffers()).toBe(before + 1);
    expect(Array.from(kept.dataSync())).toEqual([1.5, -1.5, 3.5, -3.5]);
    expect(kept.shape).toEqual([2, 2]);
    kept.dispose();
    expect(buffers()).toBe(before);
  });

  it('hands out several outputs in any order; each one once; the rest is freed', () => {
    const before = buffers();
    const r = new KernelRunner();
    const outs = [1, 2, 3, 4, 5, 6].map((v) => r.fill(v, [2]));
    const kept = [4, 0, 5, 2].map((i) => r.keep(outs[i]!));
    expect(() => r.keep(outs[4]!)).toThrowError(/not an output of this runner/);
    expect(buffers()).toBe(before + 6);
    r.dispose();
    expect(buffers()).toBe(before + 4);
    expect(kept.map((t) => Array.from(t.dataSync()))).toEqual([
      [5, 5],
      [1, 1],
      [6, 6],
      [3, 3],
    ]);
    tf.dispose(kept);
    expect(buffers()).toBe(before);
  });

  it('keeps a scalar as a rank-0 tensor and refuses to keep what it does not own', () => {
    const r = new KernelRunner();
    try {
      const s = r.scalar(0.1);
      expect(Array.from(r.read(s))).toEqual([Math.fround(0.1)]);
      const t = r.keep<tf.Scalar>(s);
      expect(t.rank).toBe(0);
      expect(() => r.keep(s)).toThrowError(/not an output of this runner/);
      t.dispose();
    } finally {
      r.dispose();
    }
  });

  it('names a kernel the backend does not have', () => {
    const r = new KernelRunner();
    expect(KernelRunner.forKernels(['Add', 'NoSuchKernel'])).toBeUndefined();
    const ready = KernelRunner.forKernels(['Add', 'Neg'])!;
    const one = ready.fill(1, [2]);
    expect(Array.from(ready.read(ready.run('Neg', { x: one })))).toEqual([-1, -1]);
    ready.dispose();
    expect(r.has('NoSuchKernel')).toBe(false);
    expect(() => r.run('NoSuchKernel', {})).toThrowError(/no kernel NoSuchKernel on backend cpu/);
    r.dispose();
  });
});

describe('KernelRunner (on the wasm backend: fill writes and peek reads the WebAssembly memory in place)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('fills with the float32 values a filled Float32Array holds (NaN, ±0, ±∞, rounding) and peeks at them', () => {
    const before = buffers();
    const r = new KernelRunner();
    const values = [0.1, -0, 0, Number.NaN, Infinity, -Infinity, 3.5e38, 1e-46, -2 / 3];
    const filled = values.map((v) => r.fill(v, [3]));
    const scalars = values.map((v) => r.scalar(v));
    expect(scalars[0]!.shape).toEqual([]);
    const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(Float32Array.from(a).buffer));
    values.forEach((v, i) => {
      const expected = bits(new Float32Array(3).fill(v));
      expect(bits(r.peek(filled[i]!))).toEqual(expected);
      expect(bits(r.read(filled[i]!))).toEqual(expected);
      expect(bits(r.peek(scalars[i]!))).toEqual(expected.slice(0, 1));
    });
    // a kernel reads what fill wrote
    const sum = r.run('Add', { a: r.fill(1.5, [2, 2]), b: r.values(Float32Array.from([1, 2, 3, 4]), [2, 2]) });
    expect(Array.from(r.peek(sum))).toEqual([2.5, 3.5, 4.5, 5.5]);
    // in place: a view of the WebAssembly memory, not a copy
    const memory = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer;
    expect(r.peek(sum).buffer).toBe(memory);
    expect(r.read(sum).buffer).not.toBe(memory);
    // an empty fill makes an empty tensor
    expect(r.read(r.fill(7, [0, 3]))).toHaveLength(0);
    r.dispose();
    expect(buffers()).toBe(before);
  });
});
