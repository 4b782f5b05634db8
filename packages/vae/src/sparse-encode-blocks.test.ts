// encode of sparse data without densifying it whole (issue 17): a SparseBatchSource's batches reach encode as CSR
// matrices (the sparse first layer where the encoder is the built-in MLP), and a CSR matrix that must be densified (an
// encoder of your own, sparseInput: false) is, in blocks of at most 2²² cells. On cpu every path gives the dense
// path's bits; on wasm-native the sparse kernel runs once per batch.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { type Matrix, SPARSE_DENSE_HOST_KERNEL, type SparseMatrix } from '@varia/core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { describe, expect, it, vi } from 'vitest';
import { SparseBatchSource, VAE, type VAEConfig } from './index.js';
import type { Network } from '@varia/layers';
import { csrOf } from './test-utils/csr.js';
import { checkTensorLeaksPerTest, counts } from './test-utils/helpers.js';

checkTensorLeaksPerTest();

/** The documented bound on one dense block (denseOfSparse's): 2²² cells. */
const BLOCK_CELLS = 2 ** 22;

const values = (z: tf.Tensor): Float32Array => {
  const v = z.dataSync() as Float32Array;
  z.dispose();
  return v;
};

const rowsOf = (m: Matrix, start: number, end: number): Matrix => ({
  data: m.data.subarray(start * m.cols, end * m.cols),
  rows: end - start,
  cols: m.cols,
});

/** A seeded `rows × cols` count matrix with about `density` of its cells non-zero (counts 1–4). */
function sparseCounts(rows: number, cols: number, density: number, seed: number): Matrix {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) if (next() < density) data[i] = 1 + Math.floor(4 * next());
  return { data, rows, cols };
}

/** An encoder of your own (not the built-in MLP): tanh(x·W), recording the shape of every input it is applied to. */
function recordingEncoder(inputDim: number, units: number, seen: number[][]): Network {
  const w = tf.tidy(() => tf.variable(tf.randomNormal([inputDim, units], 0, 0.05, 'float32', 3)));
  return {
    outputDim: units,
    apply: (x: tf.Tensor) => {
      seen.push([...x.shape]);
      return tf.tidy(() => tf.tanh(tf.matMul(x as tf.Tensor2D, w))) as tf.Tensor2D;
    },
    namedVariables: (prefix?: string) => new Map([[`${prefix}/w`, w]]),
    dispose: () => w.dispose(),
  };
}

describe('encode of a SparseBatchSource: each batch as CSR (cpu: the dense path’s bits)', () => {
  const config: VAEConfig = { inputDim: 8, latentDim: 3, hiddenUnits: [6, 5], likelihood: 'poisson', seed: 2 };
  const x = counts(1300, 8, 4); // three batches of encode's 512 rows

  it('hands encode CSR batches of at most 512 rows, and gives the bits of encode of the whole matrix', async () => {
    const vae = new VAE(config);
    const whole = values(vae.encode(x));
    const spy = vi.spyOn(vae, 'encode');
    const z = await vae.encode(new SparseBatchSource(csrOf(x)));
    const batches = spy.mock.calls.slice(1).map(([m]) => m as unknown as SparseMatrix); // the first call: the source itself
    spy.mockRestore();
    expect(batches.map((m) => m.rows)).toEqual([512, 512, 276]);
    expect(batches.every((m) => m.indptr instanceof Int32Array && m.indptr[0] === 0)).toBe(true);
    expect([z.rows, z.cols]).toEqual([1300, 3]);
    expect(z.data).toEqual(whole);
    expect(values(vae.encode(csrOf(x)))).toEqual(whole);
    vae.dispose();
  });

  it('a seeded sample: the batch starting at row r with seed + r, as before', async () => {
    const vae = new VAE(config);
    const z = await vae.encode(new SparseBatchSource(csrOf(x)), { sample: true, seed: 7 });
    const expected = [0, 512, 1024].flatMap((r) => [
      ...values(vae.encode(rowsOf(x, r, Math.min(1300, r + 512)), { sample: true, seed: 7 + r })),
    ]);
    expect(Array.from(z.data)).toEqual(expected);
    vae.dispose();
  });

  it('covariates alongside: read by an encoder that encodes them (densified per batch), checked otherwise', async () => {
    const covariates = [{ name: 'batch', kind: 'categorical' as const, levels: 3 }];
    const given = { batch: Array.from({ length: 1300 }, (_, i) => (i * 7) % 3) };
    for (const encodeCovariates of [true, false]) {
      const vae = new VAE({ ...config, covariates, encodeCovariates });
      const z = await vae.encode(new SparseBatchSource(csrOf(x)), { covariates: given });
      expect(z.data, `encodeCovariates ${encodeCovariates}`).toEqual(values(vae.encode(x, { covariates: given })));
      const short = { batch: given.batch.slice(0, 1299) };
      await expect(vae.encode(new SparseBatchSource(csrOf(x)), { covariates: short })).rejects.toThrow(/1299/);
      vae.dispose();
    }
  });

  it('a value outside the domain names its row and column in the whole source, before anything is encoded', async () => {
    const vae = new VAE(config);
    const bad = csrOf(x);
    const e = bad.indptr[1000]!; // the first stored value of row 1000 (in the second batch)
    bad.data[e] = 0.5;
    const spy = vi.spyOn(vae, 'encode');
    await expect(vae.encode(new SparseBatchSource(bad))).rejects.toThrow(
      new RegExp(`row 1000, column ${bad.indices[e]!}\\b`),
    );
    expect(spy).toHaveBeenCalledTimes(1); // no batch was encoded
    spy.mockRestore();
    vae.dispose();
  });
});

describe('the checks of encode of a SparseBatchSource: the whole matrix once, each batch not again', () => {
  const config: VAEConfig = { inputDim: 8, latentDim: 3, hiddenUnits: [6, 5], likelihood: 'poisson', seed: 2 };
  const x = counts(1300, 8, 4);

  it('a batch handed to encode is taken unchecked once only: given again, it is checked like any CSR input', async () => {
    const vae = new VAE(config);
    const spy = vi.spyOn(vae, 'encode');
    await vae.encode(new SparseBatchSource(csrOf(x)));
    const batch = spy.mock.calls[2]![0] as unknown as SparseMatrix;
    spy.mockRestore();
    batch.data[0] = 0.5;
    expect(() => vae.encode(batch)).toThrow(/value 0.5 at row 0/);
    vae.dispose();
  });

  it('a matrix changed after its source was made is checked again (structure and values) before any batch', async () => {
    const vae = new VAE(config);
    const m = csrOf(x);
    const source = new SparseBatchSource(m);
    m.indices[5] = 99; // a column past the 8
    const spy = vi.spyOn(vae, 'encode');
    await expect(vae.encode(source)).rejects.toThrow(/99/);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    vae.dispose();
  });
});

describe('a CSR matrix that must be densified is, in blocks of at most 2²² cells', () => {
  it('an encoder of your own: every input it sees is one block; the bits of the dense matrix, also a seeded sample', () => {
    const [rows, cols] = [2500, 4096]; // 1024 rows per block: blocks of 1024, 1024, 452 rows
    const x = sparseCounts(rows, cols, 0.02, 5);
    const seen: number[][] = [];
    const vae = new VAE({
      inputDim: cols,
      latentDim: 2,
      encoder: recordingEncoder(cols, 8, seen),
      decoder: [4],
      likelihood: 'poisson',
    });
    const dense = values(vae.encode(x));
    seen.length = 0;
    expect(values(vae.encode(csrOf(x)))).toEqual(dense);
    expect(seen).toEqual([
      [1024, cols],
      [1024, cols],
      [452, cols],
    ]);
    expect(seen.every(([r, c]) => r! * c! <= BLOCK_CELLS)).toBe(true);
    const sampled = values(vae.encode(csrOf(x), { sample: true, seed: 3 }));
    const expected = [0, 1024, 2048].flatMap((r) => [
      ...values(vae.encode(rowsOf(x, r, Math.min(rows, r + 1024)), { sample: true, seed: 3 + r })),
    ]);
    expect(Array.from(sampled)).toEqual(expected);
    vae.dispose();
  });

  it('sparseInput: false with the built-in MLP, and a wide SparseBatchSource: blocks within each batch', async () => {
    const [rows, cols] = [600, 16384]; // 256 rows per block: batches of 512 and 88 rows, the first in two blocks
    const x = sparseCounts(rows, cols, 0.01, 6);
    const seen: number[][] = [];
    const vae = new VAE({
      inputDim: cols,
      latentDim: 2,
      encoder: recordingEncoder(cols, 4, seen),
      decoder: [4],
      likelihood: 'poisson',
    });
    const dense = values(vae.encode(x));
    seen.length = 0;
    const z = await vae.encode(new SparseBatchSource(csrOf(x)));
    expect(seen).toEqual([
      [256, cols],
      [256, cols],
      [88, cols],
    ]);
    expect(z.data).toEqual(dense);
    vae.dispose();

    // the built-in MLP told not to take the sparse path: the same blocks (3 of 256, 256, 88 rows), the dense bits
    const mlp = new VAE({ inputDim: cols, latentDim: 2, hiddenUnits: 4, likelihood: 'poisson', seed: 1 });
    expect(values(mlp.encode(csrOf(x), { sparseInput: false }))).toEqual(values(mlp.encode(x)));
    mlp.dispose();
  });
});

const nativeProblem = nativeKernelsProblem();
if (nativeProblem) console.warn(`sparse-source encode on wasm-native skipped: ${nativeProblem}`);

describe.skipIf(nativeProblem !== undefined)('encode of a SparseBatchSource on wasm-native', () => {
  it('runs the native sparse kernel once per batch, within float32 rounding of the dense path', async () => {
    await tf.setBackend('wasm');
    enableNativeKernels({ parallel: 1 });
    try {
      const x = sparseCounts(1100, 784, 0.19, 9);
      const vae = new VAE({ inputDim: 784, latentDim: 4, hiddenUnits: 32, likelihood: 'poisson', seed: 5 });
      const dense = values(vae.encode(x));
      const engine = tf.engine();
      const runKernel = vi.spyOn(engine, 'runKernel');
      const z = await vae.encode(new SparseBatchSource(csrOf(x)));
      const sparseCalls = runKernel.mock.calls.filter(([name]) => name === SPARSE_DENSE_HOST_KERNEL).length;
      runKernel.mockRestore();
      expect(sparseCalls).toBe(3); // 512 + 512 + 76 rows
      let worst = 0;
      for (let i = 0; i < dense.length; i++) {
        worst = Math.max(worst, Math.abs(z.data[i]! - dense[i]!) / (1 + Math.abs(dense[i]!)));
      }
      expect(worst).toBeLessThan(1e-5);
      vae.dispose();
    } finally {
      disableNativeKernels();
      await tf.setBackend('cpu');
    }
  });
});
