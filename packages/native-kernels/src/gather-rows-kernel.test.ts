// GATHER_ROWS_KERNEL (gatherRows): rows of a host matrix gathered into a new tensor. Its bytes against a plain
// TypedArray.set of each row (random bit patterns: NaN payloads, −0, subnormals), for shuffled, repeated, consecutive,
// one and no rows, widths around the 16-float vectors; its refusals (typed errors, nothing written, nothing leaked;
// the addon's own checks of lengths, bounds and overlaps).
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, GATHER_ROWS_KERNEL, ShapeError } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { expectSameBits, float32Bits, randomWords, skipNative } from './test-support.js';

/** The kernel on the attributes as given. */
function gather(source: unknown, cols: unknown, rows: unknown): tf.Tensor2D {
  return tf
    .engine()
    .runKernel(GATHER_ROWS_KERNEL, {}, { source, cols, rows } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** The reference: each row copied with TypedArray.prototype.set, as the JavaScript batch path copies it. */
function referenceRows(source: Float32Array, cols: number, rows: Int32Array): Uint32Array {
  const out = new Float32Array(rows.length * cols);
  for (let k = 0; k < rows.length; k++) out.set(source.subarray(rows[k]! * cols, (rows[k]! + 1) * cols), k * cols);
  return new Uint32Array(out.buffer);
}

/** `rows × cols` random float32 bit patterns (every kind of value), as a view at an element offset `shift`. */
function sourceOf(rows: number, cols: number, seed: number, shift = 0): Float32Array {
  const words = randomWords(rows * cols, seed);
  const view = new Float32Array(new ArrayBuffer((rows * cols + shift) * 4), shift * 4, rows * cols);
  new Uint32Array(view.buffer, view.byteOffset, view.length).set(words);
  return view;
}

/** A seeded shuffle of 0 … n − 1 (Fisher–Yates on an LCG). */
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

describe.skipIf(skipNative)(`native ${GATHER_ROWS_KERNEL} on the wasm backend`, () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it("gives the bytes of each row's TypedArray.set (shuffled batches and the short last one, repeats, runs, one row)", () => {
    const before = tf.memory().numTensors;
    for (const [n, cols, seed] of [
      [700, 784, 1], // MNIST rows (49 lines each)
      [300, 17, 2], // one vector and one masked lane
      [300, 16, 3],
      [300, 15, 4], // the masked tail alone
      [500, 1, 5],
      [40, 1000, 6],
    ] as const) {
      for (const shift of [0, 3]) {
        const source = sourceOf(n, cols, seed, shift);
        const order = shuffled(n, seed + 10);
        const batches = [
          order.subarray(0, 128),
          order.subarray(n - (n % 128 || 128)), // the epoch's last (short) batch
          order.subarray(5, 6), // one row
          Int32Array.of(n - 1, 0, n - 1, n - 1, 0), // repeats, the first and last rows
          Int32Array.from({ length: Math.min(n, 64) }, (_, i) => i), // a run of consecutive rows
        ];
        for (const rows of batches) {
          const t = gather(source, cols, rows);
          expect(t.shape).toEqual([rows.length, cols]);
          expect(t.dtype).toBe('float32');
          expectSameBits(float32Bits(t), referenceRows(source, cols, rows), `${rows.length} of ${n}×${cols}`);
          t.dispose();
        }
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives an empty [0, cols] tensor for no rows', () => {
    const t = gather(sourceOf(4, 3, 1), 3, new Int32Array(0));
    expect(t.shape).toEqual([0, 3]);
    t.dispose();
  });

  it('refuses a row outside the source (ArgumentError naming "rows"), writing and leaving nothing', () => {
    const source = sourceOf(10, 5, 7);
    const before = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    for (const [rows, message] of [
      [Int32Array.of(3, 10, 1), /rows\[1\] = 10 is not a row of the source \(it has 10 rows\)/],
      [Int32Array.of(-1), /rows\[0\] = -1/],
      [Int32Array.of(0, 1, 2, 3, 0x7fffffff), /rows\[4\] = 2147483647/],
      [Int32Array.of(0, 1, -2147483648), /rows\[2\] = -2147483648/],
    ] as const) {
      let error: unknown;
      try {
        gather(source, 5, rows);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toBe('rows');
      expect((error as Error).message).toMatch(message);
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    }
  });

  it('refuses attributes it cannot read in place as a VariaError naming them, with nothing leaked', () => {
    const source = sourceOf(6, 4, 9);
    const shared = new Float32Array(new SharedArrayBuffer(source.byteLength));
    shared.set(source);
    const rows = Int32Array.of(1, 0);
    const before = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
      ['source over a SharedArrayBuffer', () => gather(shared, 4, rows), ArgumentError, /"source"/],
      ['source as a Float64Array', () => gather(Float64Array.from(source), 4, rows), ArgumentError, /"source"/],
      ['source missing', () => gather(undefined, 4, rows), ArgumentError, /"source"/],
      ['rows as an array', () => gather(source, 4, [1, 0]), ArgumentError, /"rows"/],
      ['rows as a Uint32Array', () => gather(source, 4, Uint32Array.of(1)), ArgumentError, /"rows"/],
      ['cols 0', () => gather(source, 0, rows), ArgumentError, /"cols"/],
      ['cols 2.5', () => gather(source, 2.5, rows), ArgumentError, /"cols"/],
      ['cols missing', () => gather(source, undefined, rows), ArgumentError, /"cols"/],
      ['a partial row', () => gather(source, 5, rows), ShapeError, /24 values are not a multiple of cols = 5/],
    ];
    for (const [what, f, kind, message] of cases) {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(error, what).toBeInstanceOf(kind);
      expect(String((error as Error).message), what).toMatch(message);
      expect(tf.memory().numTensors, what).toBe(before);
      expect(tf.engine().backend.numDataIds(), what).toBe(dataIds);
    }
  });

  it('reads a source and rows that view the wasm heap itself (regions the output may take) as they were', () => {
    const backend = tf.backend() as unknown as {
      dataIdMap: { get(id: unknown): { memoryOffset: number } };
      wasm: { HEAPU8: Uint8Array };
    };
    const [n, cols] = [64, 32];
    const t = tf.tensor2d(sourceOf(n, cols, 4), [n, cols]);
    const r = tf.tensor1d(shuffled(n, 5), 'int32');
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    const view = new Float32Array(heap, backend.dataIdMap.get(t.dataId).memoryOffset, n * cols);
    const order = new Int32Array(heap, backend.dataIdMap.get(r.dataId).memoryOffset, n);
    // the source's region is freed (the output may take it); the row numbers' tensor stays alive, so they stay row
    // numbers (freed, its bytes could be anything the allocator wrote there: a CI run read 25744 from them)
    t.dispose();
    // as they are now (the allocator may have written into the freed region)
    const [values, rows] = [view.slice(), order.slice()];
    const got = gather(view, cols, order);
    expectSameBits(float32Bits(got), referenceRows(values, cols, rows), 'source on the heap');
    got.dispose();
    r.dispose();
  });

  it('the addon checks its arguments itself (types, whole rows, bounds, overlaps) and writes nothing for a bad row', () => {
    const addon = loadAddon();
    const heap = new ArrayBuffer(1024);
    const bytes = new Uint8Array(heap);
    const source = Float32Array.of(1, 2, 3, 4, 5, 6); // [3, 2]
    const call = (over: Partial<Record<string, unknown>> = {}) => {
      const a = { heap, source, cols: 2, rows: Int32Array.of(2, 0), outOff: 512, ...over };
      return () => (addon.gatherRows as (...args: unknown[]) => number)(a.heap, a.source, a.cols, a.rows, a.outOff);
    };
    expect(call()()).toBe(-1);
    expect(Array.from(new Float32Array(heap, 512, 4))).toEqual([5, 6, 1, 2]);
    bytes.fill(7);
    expect(call({ rows: Int32Array.of(0, 1, 3) })()).toBe(2);
    expect(call({ rows: Int32Array.of(-1) })()).toBe(0);
    expect(bytes.every((b) => b === 7)).toBe(true);
    expect(call({ rows: new Int32Array(0) })()).toBe(-1);
    expect(call({ heap: new SharedArrayBuffer(1024) })).toThrow(/heap's ArrayBuffer/);
    expect(call({ source: [1, 2] })).toThrow(/source as a Float32Array/);
    expect(call({ rows: [0] })).toThrow(/rows as an Int32Array/);
    expect(call({ cols: 0 })).toThrow(/cols ≥ 1/);
    expect(call({ cols: 1.5 })).toThrow(/cols ≥ 1/);
    expect(call({ cols: 4 })).toThrow(/whole rows/);
    expect(call({ outOff: 1020 })).toThrow(/outside the heap/);
    expect(call({ outOff: -4 })).toThrow(/outside the heap/);
    expect(call({ outOff: 514 })).toThrow(/outside the heap/);
    expect(call({ source: new Float32Array(heap, 512, 6) })).toThrow(/overlaps the source/);
    expect(call({ rows: new Int32Array(heap, 516, 1) })).toThrow(/overlaps the source or the rows/);
    expect(bytes.every((b) => b === 7)).toBe(true);
  });
});
