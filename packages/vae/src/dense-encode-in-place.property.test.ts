// Property (issue 17): on wasm-native, VAE.encode of dense host rows (a Matrix or rows of numbers) reads them in place
// (DENSE_HOST_KERNEL) instead of uploading them. For every generated input — well-formed, or with a value outside the
// likelihood's domain, a wrong column count, covariates, one row, a sample, any `sparseInput` — encode gives what it
// gave with the kernel unregistered (the upload): the same bits, or an error of the same class and message; no
// leaked tensor. A larger MNIST-like case checks the route through the zero-skipping product on one and two threads,
// and 1,500 rows (blocks of rows on two threads: @varia/native-kernels' dense_rows.c) give one thread's bits.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { DENSE_HOST_KERNEL, type Matrix, type SparseMatrix } from '@varia/core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EncodeOptions, VAE } from './index.js';

function runs(fallback: number): number {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
}

const COLS = 9;
const HOSTILE_VALUE = [Number.NaN, 2, -1, 0.5, -0] as const;

/** 1 … 7 rows of COLS cells (mostly zeros, values in [0, 1]) with at most one fault, as a Matrix or rows of numbers. */
const inputs = fc
  .record({
    cells: fc.array(fc.array(fc.constantFrom(0, 0, 0, 0.25, 1, 0.75), { minLength: COLS, maxLength: COLS }), {
      minLength: 1,
      maxLength: 7,
    }),
    value: fc.option(fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE_VALUE)), { freq: 4 }),
    cols: fc.constantFrom(COLS, COLS, COLS, COLS, COLS + 1),
    form: fc.constantFrom('matrix', 'matrix', 'rows', 'view'),
    options: fc.record({
      sample: fc.constantFrom(false, false, true),
      seed: fc.nat({ max: 9 }),
      sparseInput: fc.constantFrom<EncodeOptions['sparseInput']>(undefined, undefined, undefined, false, 'auto', true),
      covariates: fc.constantFrom<EncodeOptions['covariates']>(undefined, undefined, undefined, undefined, {
        batch: [0],
      }),
    }),
  })
  .map(({ cells, value, cols, form, options: given }) => {
    const options = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as EncodeOptions;
    const flat: number[] = cells.flat();
    if (value) flat[value[0] % flat.length] = value[1];
    const rows = cells.length;
    const data =
      form === 'view'
        ? new Float32Array(new ArrayBuffer((flat.length + 5) * 4), 12, flat.length)
        : new Float32Array(flat.length);
    data.set(flat);
    const x: Matrix | number[][] =
      form === 'rows' ? cells.map((_, i) => Array.from(data.subarray(i * COLS, (i + 1) * COLS))) : { data, rows, cols };
    return { x, options };
  });

/** encode's bits, or its error as class and message. */
function outcome(vae: VAE, x: Matrix | SparseMatrix | number[][], options: EncodeOptions): unknown {
  try {
    const z = vae.encode(x, options);
    const bits = Array.from(new Uint32Array(Float32Array.from(z.dataSync()).buffer));
    z.dispose();
    return { bits };
  } catch (e) {
    const err = e as Error;
    return { error: err.constructor.name, message: err.message };
  }
}

describe.skipIf(nativeKernelsProblem() !== undefined)(
  'VAE.encode of dense host rows read in place on wasm-native',
  () => {
    let host: tf.KernelConfig;
    beforeAll(async () => {
      await tf.setBackend('wasm');
      enableNativeKernels({ parallel: 1 });
      host = tf.getKernel(DENSE_HOST_KERNEL, 'wasm')!;
    });
    afterAll(() => {
      disableNativeKernels();
    });

    /** encode with the kernel, then without it (the upload): the outcomes; and how often the kernel ran. */
    function both(vae: VAE, x: Matrix | number[][], options: EncodeOptions): [unknown, unknown, number] {
      const runKernel = vi.spyOn(tf.engine(), 'runKernel');
      const now = outcome(vae, x, options);
      const ran = runKernel.mock.calls.filter(([name]) => name === DENSE_HOST_KERNEL).length;
      runKernel.mockRestore();
      tf.unregisterKernel(DENSE_HOST_KERNEL, 'wasm');
      try {
        return [now, outcome(vae, x, options), ran];
      } finally {
        tf.registerKernel(host);
      }
    }

    it('gives the bits or the error of the upload on every generated input (bernoulli, relu and tanh encoders)', () => {
      expect(host).toBeDefined();
      for (const [activation, seed] of [
        ['relu', 4],
        ['tanh', 5],
      ] as const) {
        const vae = new VAE({
          inputDim: COLS,
          latentDim: 2,
          hiddenUnits: [17, 5],
          likelihood: 'bernoulli',
          activation,
          seed,
        });
        let [inPlace, failed] = [0, 0];
        fc.assert(
          fc.property(inputs, ({ x, options }) => {
            const before = tf.memory().numTensors;
            const [now, uploaded, ran] = both(vae, x, options);
            expect(now).toEqual(uploaded);
            inPlace += ran;
            if ('error' in (now as object)) failed++;
            expect(tf.memory().numTensors).toBe(before);
          }),
          { numRuns: runs(150), seed: 31 + seed },
        );
        // both sides exercised: the kernel ran on many inputs, many inputs were refused
        expect(inPlace).toBeGreaterThan(30);
        expect(failed).toBeGreaterThan(20);
        vae.dispose();
      }
    });

    it('a log1p input transform and a covariate-reading encoder keep the upload (the same bits, the kernel not run)', () => {
      const counts: Matrix = { rows: 3, cols: COLS, data: Float32Array.from({ length: 3 * COLS }, (_, i) => i % 4) };
      for (const vae of [
        new VAE({
          inputDim: COLS,
          latentDim: 2,
          hiddenUnits: [8],
          likelihood: 'poisson',
          inputTransform: 'log1p',
          seed: 1,
        }),
        new VAE({
          inputDim: COLS,
          latentDim: 2,
          hiddenUnits: [8],
          likelihood: 'poisson',
          covariates: [{ name: 'batch', kind: 'categorical', levels: 2 }],
          encodeCovariates: true,
          seed: 1,
        }),
      ]) {
        const options = vae.config.encodeCovariates ? { covariates: { batch: [0, 1, 0] } } : {};
        const [now, uploaded, ran] = both(vae, counts, options);
        expect(now).toEqual(uploaded);
        expect('bits' in (now as object)).toBe(true);
        expect(ran).toBe(0);
        vae.dispose();
      }
    });

    it("MNIST-like rows (1,500 × 784 → 400 → 20), dense and CSR: two threads (blocks of rows) give one thread's bits", () => {
      const vae = new VAE({ inputDim: 784, latentDim: 20, hiddenUnits: [400], likelihood: 'bernoulli', seed: 5 });
      const rows = 1500;
      const data = Float32Array.from({ length: rows * 784 }, (_, i) => {
        const h = Math.imul(i ^ 0x7f4a7c15, 0x85ebca6b) >>> 0;
        return h % 100 < 19 ? (h % 255) / 254 : 0;
      });
      const indptr = new Int32Array(rows + 1);
      const indices: number[] = [];
      const values: number[] = [];
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < 784; c++)
          if (data[r * 784 + c] !== 0) {
            indices.push(c);
            values.push(data[r * 784 + c]!);
          }
        indptr[r + 1] = indices.length;
      }
      const dense = { data, rows, cols: 784 };
      const csr = { rows, cols: 784, indptr, indices: Int32Array.from(indices), data: Float32Array.from(values) };
      const before = tf.memory().numTensors;
      enableNativeKernels({ parallel: 1 });
      const one = [outcome(vae, dense, {}), outcome(vae, csr, {})];
      enableNativeKernels({ parallel: 2 });
      const two = [outcome(vae, dense, {}), outcome(vae, csr, {})];
      enableNativeKernels({ parallel: 1 });
      expect('bits' in (one[0] as object) && 'bits' in (one[1] as object)).toBe(true);
      expect(two).toEqual(one);
      expect(tf.memory().numTensors).toBe(before);
      vae.dispose();
    });

    for (const parallel of [1, 2]) {
      it(`MNIST-like rows (600 × 784 → 400 → 20, 19 % non-zero): the upload's bits, parallel ${parallel}`, () => {
        enableNativeKernels({ parallel });
        const vae = new VAE({ inputDim: 784, latentDim: 20, hiddenUnits: [400], likelihood: 'bernoulli', seed: 3 });
        const data = Float32Array.from({ length: 600 * 784 }, (_, i) => {
          const h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
          return h % 100 < 19 ? (h % 255) / 254 : 0;
        });
        for (const x of [
          { data, rows: 600, cols: 784 },
          { data: data.subarray(0, 784), rows: 1, cols: 784 },
        ]) {
          const [now, uploaded, ran] = both(vae, x, {});
          expect(now).toEqual(uploaded);
          expect(ran).toBe(1);
        }
        vae.dispose();
        enableNativeKernels({ parallel: 1 });
      });
    }
  },
);
