// A Gaussian VAE on the toy 2-D data: validation split, KL warm-up, early stopping, then save → load round trip.
// Run: pnpm --filter @varia/examples build && node examples/dist/gaussian-vae.js
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toyGaussian2d } from '@varia/datasets';
import { VAE } from '@varia/vae';
import { check, report } from './report.js';

await tf.ready();
const toy = toyGaussian2d({ seed: 0, separated: true }); // 2,250 points in nine blobs: x is a Matrix [2250, 2]

const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 32, likelihood: 'gaussian', seed: 0 });
const history = await vae.fit(toy.x, {
  epochs: 30,
  batchSize: 64,
  learningRate: 1e-2,
  seed: 0,
  validationSplit: 0.1, // a seeded 10% held out, evaluated after every epoch
  klWarmupEpochs: 5, // β ramps 0.2 → 1 over the first 5 epochs
  patience: 5, // stop after 5 epochs without a better validation loss, restore the best weights
  onEpochEnd: (log) => {
    if (log.epoch % 5 === 0)
      console.log(`epoch ${log.epoch}: loss ${log.loss.toFixed(3)}, val ${log.valLoss?.toFixed(3)}, β ${log.beta}`);
  },
});
const first = history.epochs[0]!;
const last = history.epochs.at(-1)!;
console.log(`stopped: ${history.stopReason} after ${history.epochs.length} epochs; best epoch ${history.bestEpoch}`);
check(last.loss < first.loss, `the loss should fall: ${first.loss} → ${last.loss}`);

const evaluation = await vae.evaluate(toy.x, { iwaeK: 16 });
console.log(`ELBO ${evaluation.elbo.toFixed(3)} ≤ IWAE(16) ${evaluation.iwae!.toFixed(3)} nats per example`);
check(evaluation.iwae! >= evaluation.elbo - 0.05, 'IWAE bound should be at least the ELBO');

// Save (model.json + weights.bin, written atomically) and load back: the encodings match exactly.
const dir = await mkdtemp(join(tmpdir(), 'varia-gaussian-'));
try {
  await vae.save(dir);
  const loaded = await VAE.load(dir);
  const a = vae.encode(toy.x);
  const b = loaded.encode(toy.x);
  const maxDiff = (await tf.max(tf.abs(tf.sub(a, b))).data())[0]!;
  console.log('max |encode(original) − encode(loaded)| =', maxDiff);
  check(maxDiff === 0, 'the loaded model should encode exactly like the original');
  tf.dispose([a, b]);
  loaded.dispose();
} finally {
  await rm(dir, { recursive: true, force: true });
}
vae.dispose();
report({
  firstLoss: first.loss,
  lastLoss: last.loss,
  elbo: evaluation.elbo,
  iwae: evaluation.iwae!,
  epochs: history.epochs.length,
});
