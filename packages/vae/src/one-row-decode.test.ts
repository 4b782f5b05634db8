// A one-row reconstruct, decode, sample (n = 1, seeded) and interpolate give the bits that row gets among other rows:
// on wasm-native the one-row products of the decoder ran oneDNN's matrix-vector kernel, another order of the float32
// sums (a one-row reconstruct differed from the same row in a batch in 60–121 of 784 outputs); the addon now runs a
// one-row product as a row among others (native-kernels' blas.c). Also on plain wasm and cpu.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { mnist, mnistCounts } from '@varia/datasets';
import { describe, expect, it } from 'vitest';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';
import { backendSwitch, firstRows, nativeProblem, ONE_ROW_BACKENDS, oneRow } from './test-utils/one-row.js';
import { VAE, type VAEConfig } from './index.js';

checkTensorLeaksPerTest();

if (nativeProblem) console.warn(`one-row decode on wasm-native skipped: ${nativeProblem}`);

const bitsOf = (t: tf.Tensor): Uint32Array => {
  const out = new Uint32Array(Float32Array.from(t.dataSync()).buffer);
  t.dispose();
  return out;
};
const decodedMean = (vae: VAE, z: tf.Tensor2D): Uint32Array => {
  const p = vae.decode(z);
  const out = bitsOf(p.mean() as tf.Tensor);
  p.dispose();
  return out;
};

for (const [backend, available] of ONE_ROW_BACKENDS) {
  describe.skipIf(!available)(`one-row decoding on ${backend}`, () => {
    const { enter, leave } = backendSwitch(backend);

    for (const [likelihood, source] of [
      ['bernoulli', () => mnist({ split: 'test' }).x],
      ['poisson', () => mnistCounts({ split: 'test' }).x],
    ] as const) {
      it(`${likelihood}: reconstruct, decode, sample(1) and interpolate of one row have its bits among others`, async () => {
        await enter();
        try {
          const x = firstRows(source(), 40);
          const config: VAEConfig = { inputDim: 784, latentDim: 5, hiddenUnits: [64, 16], likelihood, seed: 2 };
          const vae = new VAE(config);
          const D = config.inputDim;
          const rowOf = (all: Uint32Array, i: number) => all.subarray(i * D, (i + 1) * D);

          const reconstructed = bitsOf(vae.reconstruct(x));
          for (const i of [0, 17, 39])
            expect
              .soft(bitsOf(vae.reconstruct(oneRow(x, i))), `reconstruct, row ${i}`)
              .toEqual(rowOf(reconstructed, i));

          const z = tf.tensor2d(
            Array.from({ length: 40 * 5 }, (_, i) => Math.sin(i * 0.7) * 1.3),
            [40, 5],
          );
          const decoded = decodedMean(vae, z);
          for (const i of [0, 17, 39]) {
            const zi = tf.slice(z, [i, 0], [1, 5]);
            expect.soft(decodedMean(vae, zi), `decode, row ${i}`).toEqual(rowOf(decoded, i));
            zi.dispose();
          }
          z.dispose();

          const sampled = bitsOf(vae.sample(6, { seed: 11, mean: true }));
          expect.soft(bitsOf(vae.sample(1, { seed: 11, mean: true })), 'sample(1)').toEqual(rowOf(sampled, 0));

          // the ends of interpolate are the reconstructions of a and b: one-row ones, and rows among others
          const line = bitsOf(vae.interpolate(oneRow(x, 3), oneRow(x, 17), 4));
          expect.soft(rowOf(line, 0), 'interpolate, a').toEqual(rowOf(reconstructed, 3));
          expect.soft(rowOf(line, 3), 'interpolate, b').toEqual(rowOf(reconstructed, 17));
          vae.dispose();
        } finally {
          await leave();
        }
      });
    }
  });
}
