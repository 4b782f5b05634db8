// VAE.encode of sparse data (issue 17): a CSR SparseMatrix, or dense rows with `sparseInput`, through the encoder's
// first layer on its stored entries — on cpu (densified: the dense path's bits) and on wasm-native (the native sparse
// kernel: within the float32 rounding of the dense path, against a float64 reference on MNIST).
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, type Matrix, type SparseMatrix } from '@varia/core';
import { mnist, mnistCounts } from '@varia/datasets';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { describe, expect, it } from 'vitest';
import { csrOf } from './test-utils/csr.js';
import { checkTensorLeaksPerTest, counts } from './test-utils/helpers.js';
import { type EncodeOptions, VAE, type VAEConfig } from './index.js';

checkTensorLeaksPerTest();

const encoded = (vae: VAE, x: Matrix | SparseMatrix, options: EncodeOptions = {}): Float32Array => {
  const z = vae.encode(x, options);
  const values = z.dataSync() as Float32Array;
  z.dispose();
  return values;
};

const firstRows = (m: Matrix, n: number): Matrix => ({ data: m.data.subarray(0, n * m.cols), rows: n, cols: m.cols });

describe('VAE.encode of a CSR matrix without the sparse kernel (cpu, plain wasm: the rows are densified)', () => {
  const config: VAEConfig = { inputDim: 8, latentDim: 3, hiddenUnits: [6, 5], likelihood: 'poisson', seed: 2 };
  const x = counts(40, 8, 1);

  it('gives the dense path’s bits: posterior mean, a seeded sample, log1p input; sparseInput true/false/auto alike', () => {
    const vae = new VAE(config);
    const dense = encoded(vae, x);
    expect(encoded(vae, csrOf(x))).toEqual(dense);
    for (const sparseInput of [true, false, 'auto'] as const) {
      expect(encoded(vae, csrOf(x), { sparseInput })).toEqual(dense);
      expect(encoded(vae, x, { sparseInput })).toEqual(dense);
    }
    expect(encoded(vae, csrOf(x), { sample: true, seed: 4 })).toEqual(encoded(vae, x, { sample: true, seed: 4 }));
    vae.dispose();
  });

  it('reconstruct takes a CSR matrix too: the same bits, also for a library-size model (row totals of the stored values)', () => {
    for (const librarySize of [false, true]) {
      const vae = new VAE({ ...config, librarySize });
      const [fromCsr, fromDense] = [vae.reconstruct(csrOf(x)), vae.reconstruct(x)];
      expect(fromCsr.dataSync()).toEqual(fromDense.dataSync());
      tf.dispose([fromCsr, fromDense]);
      vae.dispose();
    }
  });

  it('plain wasm (no native kernels): the densified rows, the dense path’s bits', async () => {
    await tf.setBackend('wasm');
    try {
      const vae = new VAE(config);
      expect(encoded(vae, csrOf(x))).toEqual(encoded(vae, x));
      expect(encoded(vae, x, { sparseInput: 'auto' })).toEqual(encoded(vae, x));
      vae.dispose();
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('a model whose encoder cannot take CSR (here: it reads covariates) densifies it', () => {
    const conditional = new VAE({
      ...config,
      covariates: [{ name: 'batch', kind: 'categorical', levels: 2 }],
      encodeCovariates: true,
    });
    const covariates = { batch: Array.from({ length: 40 }, (_, i) => i % 2) };
    expect(encoded(conditional, csrOf(x), { covariates })).toEqual(encoded(conditional, x, { covariates }));
    conditional.dispose();
  });

  // hostile CSR arrays on both backends: sparse-input.property.test.ts
  it('rejects a bad sparseInput, a wrong width, an empty matrix and values outside the domain, naming them', async () => {
    const vae = new VAE(config);
    expect(() => vae.encode(x, { sparseInput: 'yes' as never })).toThrow(ArgumentError);
    expect(() => vae.encode(x, { sparseInput: 'yes' as never })).toThrow(/"sparseInput" must be true, false or 'auto'/);
    const wide = csrOf({ data: new Float32Array(18), rows: 2, cols: 9 });
    expect(() => vae.encode(wide)).toThrow(/"x" must have 8 columns \(the model's inputDim\), got 9/);
    const empty: SparseMatrix = {
      rows: 0,
      cols: 8,
      indptr: Int32Array.of(0),
      indices: new Int32Array(0),
      data: new Float32Array(0),
    };
    expect(() => vae.encode(empty)).toThrow(/"x" is empty/);
    // dense rows sent to the sparse path are checked on their stored values: the same first error as the dense check
    const badDense = { ...x, data: Float32Array.from(x.data) };
    badDense.data[13] = -1;
    badDense.data[29] = Number.NaN;
    const denseError = (() => {
      try {
        vae.encode(badDense);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(denseError).toMatch(/row 1, column 5/);
    expect(() => vae.encode(badDense, { sparseInput: true })).toThrow(denseError);
    const badTensor = tf.tensor2d(badDense.data, [40, 8]);
    expect(() => vae.encode(badTensor, { sparseInput: true })).toThrow(/row 1, column 5/);
    badTensor.dispose();
    // the methods that take no CSR say what to do instead
    await expect(vae.evaluate(csrOf(x) as never)).rejects.toThrow(
      /is a CSR SparseMatrix: encode and reconstruct take it/,
    );
    const bad = csrOf(x);
    bad.data[7] = 2.5;
    expect(() => vae.encode(bad)).toThrow(/"x" value 2.5 at row \d+, column \d+ is not a non-negative integer count/);
    vae.dispose();
  });
});

const nativeProblem = nativeKernelsProblem();
if (nativeProblem) console.warn(`sparse encode on wasm-native skipped: ${nativeProblem}`);

/**
 * μ(x) of a one-hidden-layer ReLU encoder in float64, from the model's weights (the head's loc layer), and for each
 * output the standard bound on a float32 evaluation's error, whatever the order of the sums (Higham, §3.1; ReLU is
 * 1-Lipschitz; a zero input adds nothing, exactly, to a dense sum as well): with u = 2⁻²⁴, n the row's non-zeros and
 * H the hidden width, u·[(n + 2)·Σ_h |W₂[h,k]|·(|b₁[h]| + Σ_j |x_j W₁[j,h]|) + (H + 1)·(|b₂[k]| + Σ_h |a_h W₂[h,k]|)]
 * (n + 2: one more for the float32 log1p of the input).
 */
function referenceMeans(vae: VAE, x: Matrix, log1p: boolean): { value: Float64Array; bound: Float64Array } {
  const v = vae.namedVariables();
  const get = (name: string) => v.get(name)!.dataSync() as Float32Array;
  const names = ['encoder/0/kernel', 'encoder/0/bias', 'encoder_head/loc/kernel', 'encoder_head/loc/bias'];
  const [w1, b1, w2, b2] = names.map(get) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const [hidden, latent] = [b1.length, b2.length];
  const value = new Float64Array(x.rows * latent);
  const bound = new Float64Array(x.rows * latent);
  const h = new Float64Array(hidden);
  const magnitude = new Float64Array(hidden);
  for (let i = 0; i < x.rows; i++) {
    let stored = 0;
    for (let u = 0; u < hidden; u++) [h[u], magnitude[u]] = [b1[u]!, Math.abs(b1[u]!)];
    for (let j = 0; j < x.cols; j++) {
      const raw = x.data[i * x.cols + j]!;
      if (raw === 0) continue;
      stored++;
      const input = log1p ? Math.log1p(raw) : raw;
      for (let u = 0; u < hidden; u++) {
        h[u]! += input * w1[j * hidden + u]!;
        magnitude[u]! += Math.abs(input * w1[j * hidden + u]!);
      }
    }
    for (let k = 0; k < latent; k++) {
      let [s, first, second] = [b2[k]!, 0, Math.abs(b2[k]!)];
      for (let u = 0; u < hidden; u++) {
        const w = w2[u * latent + k]!;
        s += Math.max(h[u]!, 0) * w;
        first += Math.abs(w) * magnitude[u]!;
        second += Math.abs(Math.max(h[u]!, 0) * w);
      }
      value[i * latent + k] = s;
      bound[i * latent + k] = 2 ** -24 * ((stored + 2) * first + (hidden + 1) * second);
    }
  }
  return { value, bound };
}

/** The largest |a − b|. */
const maxError = (got: Float32Array, want: Float64Array): number =>
  got.reduce((m, v, k) => Math.max(m, Math.abs(v - want[k]!)), 0);

/** The largest error ÷ bound over all outputs (≤ 1: within the bound). */
const worstRatio = (got: Float32Array, reference: { value: Float64Array; bound: Float64Array }): number =>
  got.reduce((m, v, k) => Math.max(m, Math.abs(v - reference.value[k]!) / reference.bound[k]!), 0);

describe.skipIf(nativeProblem !== undefined)('VAE.encode of a CSR matrix on wasm-native (the sparse kernel)', () => {
  const enter = async () => {
    await tf.setBackend('wasm');
    enableNativeKernels({ parallel: 1 });
  };
  const leave = async () => {
    disableNativeKernels();
    await tf.setBackend('cpu');
  };

  for (const [likelihood, source] of [
    ['bernoulli', () => mnist({ split: 'test' }).x],
    ['poisson', () => mnistCounts({ split: 'test' }).x],
  ] as const) {
    it(`${likelihood} on 1,000 MNIST images: within the float32 error bound of float64 that the dense path meets`, async () => {
      await enter();
      try {
        const x = firstRows(source(), 1000);
        const vae = new VAE({ inputDim: 784, latentDim: 20, hiddenUnits: [400], likelihood, seed: 0 });
        const reference = referenceMeans(vae, x, likelihood === 'poisson');
        const dense = encoded(vae, x);
        const sparse = encoded(vae, csrOf(x));
        // the same bound for both paths; the sparse one must meet it as the dense one does
        const [denseRatio, sparseRatio] = [worstRatio(dense, reference), worstRatio(sparse, reference)];
        expect(denseRatio).toBeLessThanOrEqual(1);
        expect(sparseRatio).toBeLessThanOrEqual(1);
        expect(sparse).not.toEqual(dense); // another summation order: the sparse kernel did run
        // dense rows with sparseInput: the same CSR, the same bits; 'auto' takes the sparse path for the CSR at MNIST's
        // ~19 % density, the dense one for the dense rows (above 10 %: the conversion would eat the gain)
        expect(encoded(vae, x, { sparseInput: true })).toEqual(sparse);
        expect(encoded(vae, csrOf(x), { sparseInput: 'auto' })).toEqual(sparse);
        expect(encoded(vae, x, { sparseInput: 'auto' })).toEqual(dense);
        // and a CSR with sparseInput: false takes the dense path, bit for bit
        expect(encoded(vae, csrOf(x), { sparseInput: false })).toEqual(dense);
        // reconstruct from the CSR: the decoder's means at the sparse path's z, within rounding of the dense ones
        const [fromCsr, fromDense] = [vae.reconstruct(csrOf(x)), vae.reconstruct(x)];
        const gap = maxError(fromCsr.dataSync() as Float32Array, Float64Array.from(fromDense.dataSync()));
        expect(gap).toBeLessThan(1e-4 * (likelihood === 'poisson' ? 10 : 1));
        tf.dispose([fromCsr, fromDense]);
        vae.dispose();
      } finally {
        await leave();
      }
    });
  }

  it("'auto' keeps dense data (over 10 % non-zero) on the dense path, bit for bit; sparser rows go sparse", async () => {
    await enter();
    try {
      const x = counts(64, 8, 3); // mostly non-zero counts
      const vae = new VAE({ inputDim: 8, latentDim: 2, hiddenUnits: [5], likelihood: 'poisson', seed: 1 });
      expect(encoded(vae, x, { sparseInput: 'auto' })).toEqual(encoded(vae, x));
      // one non-zero in 16 cells: the sparse path, the bits of the CSR input
      const sparseRows = { data: x.data.map((v, k) => (k % 16 === 0 ? v + 1 : 0)), rows: x.rows, cols: x.cols };
      const viaCsr = encoded(vae, csrOf(sparseRows));
      expect(encoded(vae, sparseRows, { sparseInput: 'auto' })).toEqual(viaCsr);
      expect(viaCsr).not.toEqual(encoded(vae, sparseRows));
      vae.dispose();
    } finally {
      await leave();
    }
  });
});
