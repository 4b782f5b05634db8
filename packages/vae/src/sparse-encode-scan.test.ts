// VAE.encode of dense rows with `sparseInput: true` on wasm-native: the first layer's kernel finds the non-zero cells
// itself (VariaSparseInputDense) instead of a JavaScript pass that builds their CSR — the same entries in the same order
// as the CSR input, so the same bits as `encode` of that CSR (VariaSparseDenseHost), for every form of dense rows.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { type Matrix, SPARSE_DENSE_HOST_KERNEL, SPARSE_INPUT_DENSE_KERNEL, type SparseMatrix } from '@varia/core';
import { mnist, mnistCounts } from '@varia/datasets';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrOf } from './test-utils/csr.js';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';
import { type EncodeOptions, VAE, type VAEConfig } from './index.js';

checkTensorLeaksPerTest();

const nativeProblem = nativeKernelsProblem();
if (nativeProblem) console.warn(`sparse encode of dense rows on wasm-native skipped: ${nativeProblem}`);

/** z's bits and the kernels one encode ran. */
async function encodedWith(
  vae: VAE,
  x: Matrix | SparseMatrix | tf.Tensor | number[][],
  options: EncodeOptions = {},
): Promise<{ bits: Uint32Array; kernels: string[] }> {
  let bits = new Uint32Array(0);
  const info = await tf.profile(() => {
    const z = vae.encode(x, options);
    bits = new Uint32Array(Float32Array.from(z.dataSync()).buffer);
    z.dispose();
  });
  return { bits, kernels: info.kernelNames };
}

/** The first `n` rows of m, copied, with cells that test the scan's idea of zero: ±0, subnormals, the smallest normal. */
function edgeRows(m: Matrix, n: number, counts: boolean): Matrix {
  const data = Float32Array.from(m.data.subarray(0, n * m.cols));
  const edges = counts ? [-0, 0, 1, 2, -0] : [-0, 1e-45, 1.1754944e-38, 5e-39, 1, -0, 2 ** -126];
  for (let k = 0; k < data.length; k += 97) data[k] = edges[(k / 97) % edges.length]!;
  return { data, rows: n, cols: m.cols };
}

describe.skipIf(nativeProblem !== undefined)('VAE.encode of dense rows with sparseInput: true on wasm-native', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(async () => {
    disableNativeKernels();
    await tf.setBackend('cpu');
  });

  for (const [likelihood, inputTransform, source] of [
    ['bernoulli', 'none', () => mnist({ split: 'test' }).x],
    ['poisson', 'none', () => mnistCounts({ split: 'test' }).x],
    ['poisson', 'log1p', () => mnistCounts({ split: 'test' }).x],
  ] as const) {
    const hostScan = inputTransform === 'none';
    it(`${likelihood}, input ${inputTransform}: the kernel scans ${hostScan ? 'the rows' : 'a tensor (host rows with log1p are converted to CSR: log1p of every cell and the upload would cost what the scan saves)'}; the CSR input's bits for a Matrix, a tensor and rows`, async () => {
      const x = edgeRows(source(), 300, likelihood === 'poisson');
      const config: VAEConfig = {
        inputDim: 784,
        latentDim: 6,
        hiddenUnits: [40, 12],
        likelihood,
        inputTransform,
        seed: 3,
      };
      const vae = new VAE(config);
      const tensor = tf.tensor2d(x.data, [x.rows, x.cols]);
      const rows = Array.from({ length: x.rows }, (_, i) => Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols)));
      try {
        for (const options of [{}, { sample: true, seed: 5 }] as EncodeOptions[]) {
          const viaCsr = await encodedWith(vae, csrOf(x), options);
          expect(viaCsr.kernels).toContain(SPARSE_DENSE_HOST_KERNEL);
          for (const dense of [x, tensor, rows]) {
            const scan = hostScan || dense === tensor;
            const got = await encodedWith(vae, dense, { ...options, sparseInput: true });
            expect(got.kernels).toContain(scan ? SPARSE_INPUT_DENSE_KERNEL : SPARSE_DENSE_HOST_KERNEL);
            expect(got.kernels).not.toContain(scan ? SPARSE_DENSE_HOST_KERNEL : SPARSE_INPUT_DENSE_KERNEL);
            expect(got.bits).toEqual(viaCsr.bits);
          }
        }
        expect(tensor.isDisposed).toBe(false); // the caller's tensor is read, not taken
      } finally {
        tensor.dispose();
        vae.dispose();
      }
    });
  }

  it('two threads (parallel: 2) give the bits of one, dense rows and CSR alike', async () => {
    const x = edgeRows(mnist({ split: 'test' }).x, 1000, false);
    const vae = new VAE({ inputDim: 784, latentDim: 8, hiddenUnits: [200], likelihood: 'bernoulli', seed: 4 });
    const one = [await encodedWith(vae, x, { sparseInput: true }), await encodedWith(vae, csrOf(x))];
    disableNativeKernels();
    enableNativeKernels({ parallel: 2 });
    try {
      const two = [await encodedWith(vae, x, { sparseInput: true }), await encodedWith(vae, csrOf(x))];
      expect(two[0]!.kernels).toContain(SPARSE_INPUT_DENSE_KERNEL);
      expect(two[0]!.bits).toEqual(one[0]!.bits);
      expect(two[1]!.bits).toEqual(one[1]!.bits);
      expect(one[0]!.bits).toEqual(one[1]!.bits);
    } finally {
      disableNativeKernels();
      enableNativeKernels({ parallel: 1 });
      vae.dispose();
    }
  });

  it('an activation the scanning kernel does not take (elu) keeps the CSR route, with its bits', async () => {
    const x = edgeRows(mnist({ split: 'test' }).x, 64, false);
    const vae = new VAE({ inputDim: 784, latentDim: 3, hiddenUnits: [16], likelihood: 'bernoulli', activation: 'elu' });
    const viaCsr = await encodedWith(vae, csrOf(x));
    const dense = await encodedWith(vae, x, { sparseInput: true });
    expect(dense.kernels).toContain(SPARSE_DENSE_HOST_KERNEL);
    expect(dense.kernels).not.toContain(SPARSE_INPUT_DENSE_KERNEL);
    expect(dense.bits).toEqual(viaCsr.bits);
    vae.dispose();
  });

  it('checks the rows as the dense path does (the same first error), leaving no tensor behind', () => {
    const vae = new VAE({ inputDim: 8, latentDim: 2, hiddenUnits: [5], likelihood: 'poisson', seed: 1 });
    const bad = { data: new Float32Array(40 * 8), rows: 40, cols: 8 };
    bad.data[13] = 2.5;
    bad.data[29] = -1;
    const message = (() => {
      try {
        vae.encode(bad);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toMatch(/value 2.5 at row 1, column 5/);
    expect(() => vae.encode(bad, { sparseInput: true })).toThrow(message);
    const badTensor = tf.tensor2d(bad.data, [40, 8]);
    expect(() => vae.encode(badTensor, { sparseInput: true })).toThrow(message);
    expect(() => vae.encode({ ...bad, cols: 9, data: new Float32Array(360) }, { sparseInput: true })).toThrow(
      /8 columns/,
    );
    badTensor.dispose();
    vae.dispose();
  });
});
