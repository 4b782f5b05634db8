// Property (issue 17): on wasm-native, VAE.encode of a CSR SparseMatrix reads its arrays in place
// (SPARSE_DENSE_HOST_KERNEL) and leaves the check of its entries to the kernel's pass instead of assertSparseMatrix's
// JavaScript one. For every generated matrix — well-formed, or with a hostile row pointer, column, value, column count
// or covariate — encode gives what it gave with the JavaScript check before everything else (the kernel unregistered:
// the old route): the same bits, or an error of the same class with the same message and location; no leaked
// tensor; and layers' denseOfSparse, unchecked, throws assertSparseMatrix's errors. A kernel check looser than
// assertSparseMatrix's (a repeated or unsorted column let through) or an error in the kernel's own words fails it.
// VARIA_PROPERTY_RUNS=2000 pnpm --filter @varia/vae test -- sparse-encode-in-place   runs a longer hunt.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { assertSparseMatrix, DataError, SPARSE_DENSE_HOST_KERNEL, type SparseMatrix } from '@varia/core';
import { Dense, denseOfSparse, sparseDenseReadsInPlace } from '@varia/layers';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EncodeOptions, VAE } from './index.js';

function runs(fallback: number): number {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
}

const COLS = 9;
const HOSTILE_INDEX = [-1, 0, 1, 3, 8, 9, 2 ** 31 - 1, -(2 ** 31)] as const;
const HOSTILE_VALUE = [Number.NaN, 2, -1, 0.5] as const;

/** A CSR of 2 … 7 rows over COLS columns (sorted, distinct columns, values in [0, 1]) with at most two faults. */
const inputs = fc
  .record({
    cells: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: COLS - 1 }), { maxLength: 5 }), {
      minLength: 2,
      maxLength: 7,
    }),
    pointer: fc.option(fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE_INDEX)), { freq: 3 }),
    column: fc.option(fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE_INDEX)), { freq: 3 }),
    value: fc.option(fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE_VALUE)), { freq: 4 }),
    cols: fc.constantFrom(COLS, COLS, COLS, COLS + 1),
    covariates: fc.constantFrom<EncodeOptions['covariates'] | undefined>(undefined, undefined, undefined, {
      batch: [0],
    }),
  })
  .map(({ cells, pointer, column, value, cols, covariates }) => {
    const rows = cells.map((r) => [...r].sort((a, b) => a - b));
    const indptr = Int32Array.from([0, ...rows.map((_, i) => rows.slice(0, i + 1).flat().length)]);
    const indices = Int32Array.from(rows.flat());
    const data = Float32Array.from(indices, (j, e) => ((j + e) % 5) / 4);
    if (pointer) indptr[pointer[0] % indptr.length] = pointer[1];
    if (column && indices.length > 0) indices[column[0] % indices.length] = column[1];
    if (value && data.length > 0) data[value[0] % data.length] = value[1];
    const x: SparseMatrix = { rows: rows.length, cols, indptr, indices, data };
    return { x, options: covariates ? { covariates } : {} };
  });

/** encode's bits, or its error as class, message and location. */
function outcome(vae: VAE, x: SparseMatrix, options: EncodeOptions): unknown {
  try {
    const z = vae.encode(x, options);
    const bits = Array.from(new Uint32Array(Float32Array.from(z.dataSync()).buffer));
    z.dispose();
    return { bits };
  } catch (e) {
    const err = e as Error & { location?: unknown; argument?: unknown };
    return { error: err.constructor.name, message: err.message, location: err.location, argument: err.argument };
  }
}

describe.skipIf(nativeKernelsProblem() !== undefined)('VAE.encode of a CSR read in place on wasm-native', () => {
  let vae: VAE;
  let host: tf.KernelConfig;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    enableNativeKernels({ parallel: 1 });
    host = tf.getKernel(SPARSE_DENSE_HOST_KERNEL, 'wasm')!;
    vae = new VAE({ inputDim: COLS, latentDim: 2, hiddenUnits: [17], likelihood: 'bernoulli', seed: 4 });
  });
  afterAll(() => {
    vae.dispose();
    disableNativeKernels();
  });

  it('gives the bits or the error of the route that checks in JavaScript first, on every generated input', () => {
    expect(host).toBeDefined();
    let [inPlace, failed] = [0, 0];
    fc.assert(
      fc.property(inputs, ({ x, options }) => {
        const before = tf.memory().numTensors;
        const runKernel = vi.spyOn(tf.engine(), 'runKernel');
        const now = outcome(vae, x, options);
        inPlace += runKernel.mock.calls.filter(([name]) => name === SPARSE_DENSE_HOST_KERNEL).length;
        runKernel.mockRestore();
        tf.unregisterKernel(SPARSE_DENSE_HOST_KERNEL, 'wasm');
        try {
          expect(now).toEqual(outcome(vae, x, options));
        } finally {
          tf.registerKernel(host);
        }
        if ('error' in (now as object)) failed++;
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: runs(300), seed: 23 },
    );
    // both sides exercised: the kernel ran (and checked) on many inputs, many inputs were refused
    expect(inPlace).toBeGreaterThan(60);
    expect(failed).toBeGreaterThan(60);
  });

  it('a repeated column, which the product alone could take, is refused as assertSparseMatrix refuses it', () => {
    const x: SparseMatrix = {
      rows: 3,
      cols: COLS,
      indptr: Int32Array.of(0, 1, 3, 4),
      indices: Int32Array.of(2, 5, 5, 0),
      data: Float32Array.of(1, 0.5, 0.5, 1),
    };
    const before = tf.memory().numTensors;
    expect(() => vae.encode(x)).toThrow(DataError);
    expect(() => vae.encode(x)).toThrow(
      '"x" row 1: column index 5 is not after the previous one (columns must be strictly increasing within a row)',
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it("layers' denseOfSparse, unchecked: assertSparseMatrix's error for a malformed x, the same bits over shared arrays", () => {
    const layer = new Dense({ inputDim: COLS, units: 33, activation: 'relu', seed: 2 });
    const before = tf.memory().numTensors;
    const errorOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return [(e as Error).constructor.name, (e as Error).message];
      }
      return undefined;
    };
    fc.assert(
      fc.property(inputs, ({ x }) => {
        const want =
          errorOf(() => assertSparseMatrix(x, 'x')) ??
          (x.cols === COLS ? undefined : ['ShapeError', `Dense: input must have ${COLS} columns, got ${x.cols}`]);
        const got = errorOf(() => tf.dispose(denseOfSparse(layer, x)));
        if (want) expect(got).toEqual(want);
        else expect(got).toBeUndefined();
      }),
      { numRuns: runs(150), seed: 29 },
    );
    // arrays over a SharedArrayBuffer are uploaded (VariaSparseDense): the same bits as read in place
    const x: SparseMatrix = {
      rows: 3,
      cols: COLS,
      indptr: Int32Array.of(0, 2, 2, 5),
      indices: Int32Array.of(1, 7, 0, 4, 8),
      data: Float32Array.of(0.25, 1, 0.5, 0.75, 1),
    };
    const shared = <T extends Int32Array | Float32Array>(a: T): T => {
      const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
      copy.set(a);
      return copy;
    };
    const xs = { ...x, indptr: shared(x.indptr), indices: shared(x.indices), data: shared(x.data) };
    expect([sparseDenseReadsInPlace(x), sparseDenseReadsInPlace(xs)]).toEqual([true, false]);
    const [a, b] = [denseOfSparse(layer, x), denseOfSparse(layer, xs)];
    expect(new Uint32Array(a.dataSync().buffer)).toEqual(new Uint32Array(b.dataSync().buffer));
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
    layer.dispose();
  });

  it("a log1p model's counts: log1p of the values in the kernel (no Log1p kernel, no tensor of them), the same bits", () => {
    const counts = new VAE({ inputDim: 40, latentDim: 3, hiddenUnits: [33], likelihood: 'poisson', seed: 6 });
    expect(counts.config.inputTransform).toBe('log1p');
    const cells = Array.from({ length: 30 }, (_, i) =>
      Array.from({ length: 40 }, (_, j) => ((i * 7 + j * 3) % 11) - 6),
    );
    const indptr = Int32Array.from([
      0,
      ...cells.map(
        (_, i) =>
          cells
            .slice(0, i + 1)
            .flat()
            .filter((v) => v > 0).length,
      ),
    ]);
    const kept = cells.flatMap((r) => r.flatMap((v, j) => (v > 0 ? [[j, v]] : [])));
    const x: SparseMatrix = {
      rows: 30,
      cols: 40,
      indptr,
      indices: Int32Array.from(kept, ([j]) => j!),
      data: Float32Array.from(kept, ([, v]) => v! ** 5), // counts 1 … 1,024: on and off the table (0 … 1,023)
    };
    const before = tf.memory().numTensors;
    const runKernel = vi.spyOn(tf.engine(), 'runKernel');
    const now = outcome(counts, x, {});
    const names = runKernel.mock.calls.map(([name]) => name);
    runKernel.mockRestore();
    expect(names).toContain(SPARSE_DENSE_HOST_KERNEL);
    expect(names).not.toContain('Log1p');
    tf.unregisterKernel(SPARSE_DENSE_HOST_KERNEL, 'wasm');
    try {
      expect(now).toEqual(outcome(counts, x, {}));
    } finally {
      tf.registerKernel(host);
    }
    expect(tf.memory().numTensors).toBe(before);
    counts.dispose();
  });
});
