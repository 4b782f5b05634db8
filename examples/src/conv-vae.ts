// A convolutional VAE on MNIST: the encoder and decoder are tf.layers models (Conv2D, BatchNormalization, Dropout,
// Conv2DTranspose) that train with the rest of the VAE; data stays flat rows [n, 784], reshaped to [28, 28, 1] for the
// encoder. Tiny here (CI); the full run is the `mnist-conv-vae` benchmark (bench/src/conv-vae.ts, bench/README.md).
// Run: pnpm --filter @varia/examples build && node examples/dist/conv-vae.js
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnist } from '@varia/datasets';
import { VAE } from '@varia/vae';
import { check, report } from './report.js';

await tf.ready();
const rows = (m: { data: Float32Array; cols: number }, n: number) => ({
  data: m.data.subarray(0, n * m.cols),
  rows: n,
  cols: m.cols,
});
const train = rows(mnist({ split: 'train' }).x, 256);
const test = rows(mnist({ split: 'test' }).x, 128);

const init = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
const conv = { kernelSize: 3, strides: 2, padding: 'same' } as const;
// q(z|x): [28, 28, 1] → 14×14×8 → 7×7×16 → 784 features, then varia's Gaussian head
const encoder = tf.sequential({
  layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, ...conv, ...init(1) }),
    tf.layers.batchNormalization(),
    tf.layers.reLU(),
    tf.layers.conv2d({ filters: 16, ...conv, activation: 'relu', ...init(2) }),
    tf.layers.flatten(),
    tf.layers.dropout({ rate: 0.1 }),
  ],
});
// p(x|z): z → 7×7×16 → 14×14×8 → 28×28×1, flattened, then varia's Bernoulli head
const decoder = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [8], units: 7 * 7 * 16, activation: 'relu', ...init(3) }),
    tf.layers.reshape({ targetShape: [7, 7, 16] }),
    tf.layers.conv2dTranspose({ filters: 8, ...conv, activation: 'relu', ...init(4) }),
    tf.layers.conv2dTranspose({ filters: 1, ...conv, ...init(5) }),
    tf.layers.flatten(),
  ],
});

const vae = new VAE({ inputDim: 784, latentDim: 8, encoder, decoder, likelihood: 'bernoulli', seed: 0 });
console.log(
  `input shape ${JSON.stringify(vae.config.inputShape)}; state: ${[...vae.stateVariables().keys()].join(', ')}`,
);
const history = await vae.fit(train, { epochs: 2, batchSize: 32, learningRate: 2e-3, seed: 0 });
const first = history.epochs[0]!.loss;
const last = history.epochs.at(-1)!.loss;
console.log(`training −ELBO ${first.toFixed(1)} → ${last.toFixed(1)} nats per image`);
check(last < first, `the loss should fall: ${first} → ${last}`);
const evaluation = await vae.evaluate(test, { seed: 0 });
console.log(
  `test −ELBO ${(-evaluation.elbo).toFixed(1)} nats per image (${test.rows} images) after 2 epochs on ${train.rows} ` +
    'images: a size for CI, far from converged (the bench’s convolutional VAE, 10 epochs on 8,000 images, reaches ' +
    '~116 nats against the MLP VAE’s ~122: bench/README.md, "Convolutional VAE on MNIST")',
);

// Save: the tf.layers topology goes into model.json through tfjs' own serialization, the weights and batch-norm
// moving statistics into the crash-safe weight file. Load rebuilds the models and reproduces the outputs exactly.
const dir = await mkdtemp(join(tmpdir(), 'varia-conv-'));
let reloadedEqual = false;
try {
  await vae.save(dir);
  const loaded = await VAE.load(dir);
  const [a, b] = [vae.reconstruct(test), loaded.reconstruct(test)];
  reloadedEqual = (await tf.max(tf.abs(tf.sub(a, b))).data())[0] === 0;
  console.log(`reloaded model reconstructs identically: ${reloadedEqual}`);
  tf.dispose([a, b]);
  loaded.dispose();
} finally {
  await rm(dir, { recursive: true, force: true });
}
check(reloadedEqual, 'the loaded model should reconstruct exactly like the original');
vae.dispose();
report({ firstLoss: first, lastLoss: last, testNegElbo: -evaluation.elbo, reloadedEqual });
