import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, GATHER_ROWS_KERNEL, type Matrix, VariaError } from '@varia/core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchAssembler } from './batch-assembler.js';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';

checkTensorLeaksPerTest();

/** A 7×3 matrix whose row i is [10i, 10i + 1, 10i + 2]: every value names its row and column. */
function labelled(rows = 7, cols = 3): Matrix {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = 10 * i + j;
  return { data, rows, cols };
}

/** The expected values of rows `rows` of {@link labelled}, written out independently of the code under test. */
function expectedRows(rows: number[], cols = 3): number[] {
  return rows.flatMap((i) => Array.from({ length: cols }, (_, j) => 10 * i + j));
}

describe('BatchAssembler', () => {
  it('copies shuffled rows in the order asked for, one batch after another into the same buffer', () => {
    const assembler = new BatchAssembler(labelled(), 3);
    const first = assembler.rowsOf(Int32Array.from([5, 0, 3]));
    expect(Array.from(first)).toEqual(expectedRows([5, 0, 3]));
    const second = assembler.rowsOf(Int32Array.from([6, 2, 1]));
    expect(Array.from(second)).toEqual(expectedRows([6, 2, 1]));
    // the buffer is reused: the first view now shows the second batch
    expect(second.buffer).toBe(first.buffer);
    expect(Array.from(first)).toEqual(expectedRows([6, 2, 1]));
    // a short last batch uses the front of the buffer
    expect(Array.from(assembler.rowsOf([4]))).toEqual(expectedRows([4]));
  });

  it('returns consecutive rows as a view of the data, without a copy', () => {
    const m = labelled();
    const view = new BatchAssembler(m, 3).rowsOf([2, 3, 4]);
    expect(view.buffer).toBe(m.data.buffer);
    expect(Array.from(view)).toEqual(expectedRows([2, 3, 4]));
    // a repeated row is not a run of consecutive rows
    expect(Array.from(new BatchAssembler(m, 3).rowsOf([2, 2]))).toEqual(expectedRows([2, 2]));
  });

  it('uploads a batch as a float32 tensor [rows, cols]', () => {
    const assembler = new BatchAssembler(labelled(), 4);
    const a = assembler.upload([6, 1]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(Array.from(a.dataSync())).toEqual(expectedRows([6, 1]));
    a.dispose();
    const b = assembler.upload([0, 1, 2, 3]);
    expect(Array.from(b.dataSync())).toEqual(expectedRows([0, 1, 2, 3]));
    b.dispose();
  });

  it('refuses a batch larger than it was made for', () => {
    expect(() => new BatchAssembler(labelled(), 2).rowsOf([3, 1, 0])).toThrowError(RangeError);
  });
});

describe('BatchAssembler on the wasm backend (rows written straight into the tensor memory)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('uploads shuffled, consecutive and single rows as the values of those rows', () => {
    const assembler = new BatchAssembler(labelled(), 4);
    for (const rows of [[5, 0, 3, 3], [2, 3, 4], [6], [0, 1, 2, 3]]) {
      const t = assembler.upload(rows);
      expect(tf.getBackend()).toBe('wasm');
      expect(t.shape).toEqual([rows.length, 3]);
      expect(t.dtype).toBe('float32');
      expect(Array.from(t.dataSync())).toEqual(expectedRows(rows));
      t.dispose();
    }
  });

  it('gives each batch its own memory: an earlier batch kept alive keeps its values', () => {
    const m = labelled();
    const assembler = new BatchAssembler(m, 3);
    const a = assembler.upload(Int32Array.from([4, 1, 6]));
    const b = assembler.upload(Int32Array.from([0, 2, 5]));
    expect(Array.from(a.dataSync())).toEqual(expectedRows([4, 1, 6]));
    expect(Array.from(b.dataSync())).toEqual(expectedRows([0, 2, 5]));
    // the source is read, never written
    expect(Array.from(m.data)).toEqual(expectedRows([0, 1, 2, 3, 4, 5, 6]));
    tf.dispose([a, b]);
  });

  it('refuses a batch the wasm memory has no room for, writing nothing and leaving no tensor or data', () => {
    // tfjs-backend-wasm's malloc gives 0 when the memory cannot grow (here: on demand, for the test's length)
    const backend = tf.backend() as unknown as { wasm: { _malloc(bytes: number): number; HEAPU8: Uint8Array } };
    const wasm = backend.wasm;
    const malloc = wasm._malloc;
    const head = wasm.HEAPU8.slice(0, 4096);
    const data = tf.engine().backend.numDataIds();
    const assembler = new BatchAssembler(labelled(), 4);
    wasm._malloc = (bytes: number) => (bytes >= 32 ? 0 : malloc.call(wasm, bytes));
    let error: unknown;
    try {
      assembler.upload([5, 0, 3]);
    } catch (e) {
      error = e;
    } finally {
      wasm._malloc = malloc;
    }
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/no room for a batch of shape \[3, 3\]/);
    expect(wasm.HEAPU8.subarray(0, 4096)).toEqual(head);
    expect(tf.engine().backend.numDataIds()).toBe(data);
  });

  it('writes into the grown memory when allocating the batch grows the WebAssembly memory', () => {
    const cols = 1000;
    const rows = 1024;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = i;
    const assembler = new BatchAssembler({ data, rows, cols }, rows);
    const heap = (): ArrayBufferLike =>
      (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer;
    const order = Int32Array.from({ length: rows }, (_, k) => (k * 37) % rows);
    // keep 4 MB batches alive until one of them is allocated by growing the memory (a few at most)
    const held: tf.Tensor[] = [];
    let grew = false;
    try {
      for (let i = 0; i < 100 && !grew; i++) {
        const before = heap();
        held.push(assembler.upload(order));
        grew = heap() !== before;
      }
      expect(grew).toBe(true);
      const got = held[held.length - 1]!.dataSync();
      let wrong = 0;
      for (let k = 0; k < rows; k++)
        for (let j = 0; j < cols; j++) if (got[k * cols + j] !== order[k]! * cols + j) wrong++;
      expect(wrong).toBe(0);
    } finally {
      tf.dispose(held);
    }
  });
});

const problem = nativeKernelsProblem();
if (problem) console.warn(`BatchAssembler native gather tests skipped: ${problem}`);

/** A seeded shuffle of 0 … n − 1 (Fisher–Yates on an LCG), as an epoch's order. */
function shuffled(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

describe.skipIf(problem !== undefined)('BatchAssembler with the native gather (GATHER_ROWS_KERNEL)', () => {
  let calls = 0;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    enableNativeKernels({ parallel: 1 });
    // the registered kernel, counting its calls (disableNativeKernels unregisters it by name)
    const native = tf.getKernel(GATHER_ROWS_KERNEL, 'wasm')!;
    tf.unregisterKernel(GATHER_ROWS_KERNEL, 'wasm');
    tf.registerKernel({
      ...native,
      kernelFunc: (args) => {
        calls++;
        return native.kernelFunc(args);
      },
    });
  });
  afterAll(async () => {
    disableNativeKernels();
    await tf.setBackend('cpu');
  });

  it("uploads each batch of an epoch with the bytes of the JavaScript path's rows (random bits, short last batch)", () => {
    const [rows, cols] = [300, 37];
    const data = new Float32Array(rows * cols);
    const bits = new Uint32Array(data.buffer);
    let s = 12345;
    for (let i = 0; i < bits.length; i++) bits[i] = s = (Math.imul(s, 1103515245) + 12345) >>> 0; // NaNs, −0, …
    const m: Matrix = { data, rows, cols };
    const assembler = new BatchAssembler(m, 128);
    const order = shuffled(rows, 3);
    const before = tf.memory().numTensors;
    const callsBefore = calls;
    const batches = [0, 128, 256].map((start) => order.subarray(start, Math.min(rows, start + 128)));
    batches.push(Int32Array.of(7), Int32Array.of(5, 5, 0, 299, 5), Int32Array.of(10, 11, 12));
    for (const idx of batches) {
      const t = assembler.upload(idx);
      expect(t.shape).toEqual([idx.length, cols]);
      // the JavaScript path's rows: a copy of each row with TypedArray.set
      const want = new Uint32Array(new Float32Array(assembler.rowsOf(idx)).buffer);
      expect(new Uint32Array(t.dataSync().buffer)).toEqual(want);
      t.dispose();
    }
    expect(calls - callsBefore).toBe(batches.length);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes the JavaScript path for row numbers that are not an Int32Array (same values)', () => {
    const assembler = new BatchAssembler(labelled(), 4);
    const callsBefore = calls;
    const t = assembler.upload([6, 1, 1]);
    expect(Array.from(t.dataSync())).toEqual(expectedRows([6, 1, 1]));
    t.dispose();
    expect(calls).toBe(callsBefore);
  });

  it('refuses a row outside the data as a VariaError, leaving no tensor or data', () => {
    const assembler = new BatchAssembler(labelled(), 4);
    const before = tf.memory().numTensors;
    const data = tf.engine().backend.numDataIds();
    expect(() => assembler.upload(Int32Array.of(0, 7))).toThrowError(VariaError);
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(data);
  });

  it('refuses a batch the wasm memory has no room for, writing nothing and leaving no tensor or data', () => {
    const backend = tf.backend() as unknown as { wasm: { _malloc(bytes: number): number; HEAPU8: Uint8Array } };
    const wasm = backend.wasm;
    const malloc = wasm._malloc;
    const head = wasm.HEAPU8.slice(0, 4096);
    const data = tf.engine().backend.numDataIds();
    const assembler = new BatchAssembler(labelled(), 4);
    wasm._malloc = (bytes: number) => (bytes >= 32 ? 0 : malloc.call(wasm, bytes));
    try {
      expect(() => assembler.upload(Int32Array.of(5, 0, 3))).toThrowError(/no room for an output of shape \[3, 3\]/);
    } finally {
      wasm._malloc = malloc;
    }
    expect(wasm.HEAPU8.subarray(0, 4096)).toEqual(head);
    expect(tf.engine().backend.numDataIds()).toBe(data);
  });
});
