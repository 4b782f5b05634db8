// encode of one example gives the bits that example has among others (a one-row product would run a matrix-vector
// kernel with its own order of the sums): encode of a single row, and of a source whose last batch of 512 is one row,
// equal the same rows of encode of the whole matrix — on wasm-native (where they differed), plain wasm and cpu.
import '@tensorflow/tfjs-backend-wasm';
import { type Matrix, type SparseMatrix, takeRows } from '@varia/core';
import { mnist, mnistCounts } from '@varia/datasets';
import { describe, expect, it } from 'vitest';
import { csrOf } from './test-utils/csr.js';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';
import { backendSwitch, firstRows, nativeProblem, ONE_ROW_BACKENDS, oneRow } from './test-utils/one-row.js';
import { type EncodeOptions, RandomAccessSource, SparseBatchSource, VAE, type VAEConfig } from './index.js';

checkTensorLeaksPerTest();

if (nativeProblem) console.warn(`one-row encode on wasm-native skipped: ${nativeProblem}`);

const bits = (values: ArrayLike<number>) => new Uint32Array(Float32Array.from(values).buffer);
const encodedBits = (vae: VAE, x: Matrix | SparseMatrix, options: EncodeOptions = {}) => {
  const z = vae.encode(x, options);
  const out = bits(z.dataSync());
  z.dispose();
  return out;
};

for (const [backend, available] of ONE_ROW_BACKENDS) {
  describe.skipIf(!available)(`encode of one row on ${backend}`, () => {
    const { enter, leave } = backendSwitch(backend);

    for (const [likelihood, source] of [
      ['bernoulli', () => mnist({ split: 'test' }).x],
      ['poisson', () => mnistCounts({ split: 'test' }).x],
    ] as const) {
      it(`${likelihood}: a single row has its bits in a larger matrix — dense, CSR, dense rows with sparseInput true/false`, async () => {
        await enter();
        try {
          const x = firstRows(source(), 40);
          const config: VAEConfig = { inputDim: 784, latentDim: 5, hiddenUnits: [64, 16], likelihood, seed: 2 };
          const vae = new VAE(config);
          const d = config.latentDim;
          for (const [name, whole, single] of [
            ['dense', () => encodedBits(vae, x), (i: number) => encodedBits(vae, oneRow(x, i))],
            ['CSR', () => encodedBits(vae, csrOf(x)), (i: number) => encodedBits(vae, csrOf(oneRow(x, i)))],
            [
              'sparseInput true',
              () => encodedBits(vae, x, { sparseInput: true }),
              (i: number) => encodedBits(vae, oneRow(x, i), { sparseInput: true }),
            ],
            [
              'CSR, sparseInput false',
              () => encodedBits(vae, csrOf(x), { sparseInput: false }),
              (i: number) => encodedBits(vae, csrOf(oneRow(x, i)), { sparseInput: false }),
            ],
          ] as const) {
            const all = whole();
            for (const i of [0, 17, 39])
              expect(single(i), `${name}, row ${i}`).toEqual(all.subarray(i * d, (i + 1) * d));
          }
          vae.dispose();
        } finally {
          await leave();
        }
      });
    }

    it('a source whose last batch is one row (513 rows) encodes to the bits of the whole matrix, dense and CSR', async () => {
      await enter();
      try {
        const x = firstRows(mnist({ split: 'test' }).x, 513);
        const vae = new VAE({ inputDim: 784, latentDim: 4, hiddenUnits: [32], likelihood: 'bernoulli', seed: 1 });
        const whole = encodedBits(vae, x);
        const dense = new RandomAccessSource({ length: 513, width: 784, rows: (indices) => takeRows(x, indices) });
        expect(bits((await vae.encode(dense)).data)).toEqual(whole);
        expect(bits((await vae.encode(new SparseBatchSource(csrOf(x)))).data)).toEqual(encodedBits(vae, csrOf(x)));
        vae.dispose();
      } finally {
        await leave();
      }
    });
  });
}

describe('encode of one row: a model that encodes covariates', () => {
  it('a single row with its covariates has its bits among others (cpu; wasm-native where available)', async () => {
    for (const native of nativeProblem === undefined ? [false, true] : [false]) {
      const { enter, leave } = backendSwitch(native ? 'wasm-native' : 'cpu');
      await enter();
      try {
        const x = firstRows(mnistCounts({ split: 'test' }).x, 12);
        const vae = new VAE({
          inputDim: 784,
          latentDim: 3,
          hiddenUnits: [24],
          likelihood: 'poisson',
          covariates: [{ name: 'batch', kind: 'categorical', levels: 3 }],
          encodeCovariates: true,
          seed: 5,
        });
        const batch = Array.from({ length: 12 }, (_, i) => i % 3);
        const all = encodedBits(vae, x, { covariates: { batch } });
        for (const i of [0, 5, 11]) {
          const single = encodedBits(vae, oneRow(x, i), { covariates: { batch: [batch[i]!] } });
          expect(single, `native ${native}, row ${i}`).toEqual(all.subarray(i * 3, (i + 1) * 3));
        }
        vae.dispose();
      } finally {
        await leave();
      }
    }
  });
});
