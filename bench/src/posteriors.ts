#!/usr/bin/env node
/**
 * Gaussian vs normalizing-flow posterior on the MNIST split, at the protocol of the 122.1-nats parity figure
 * (784-400-20-400-784 ReLU, Bernoulli likelihood on [0,1] intensities, Adam lr 1e-3, batch 128, 8,000 train / 2,000
 * test): test −ELBO (one posterior sample) and the IWAE-100 bound, in nats per image.
 *
 * Run: pnpm --filter @varia/bench build && node bench/dist/posteriors.js [--epochs 10] [--backend wasm]
 *      [--flow iaf|realnvp] [--steps 4] [--hidden 64] [--iwae 100] [--only gaussian,flow]
 * Writes a JSON line per model to stdout.
 */
import * as tf from '@tensorflow/tfjs';
import { mnist } from '@varia/datasets';
import { type BackendRequest, selectBackend } from '@varia/playground/backend';
import { VAE, type VAEConfig } from '@varia/vae';
import { MNIST_SHAPE, MNIST_TRAINING } from './workloads.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const epochs = Number(flag('epochs', '10'));
const iwaeK = Number(flag('iwae', '100'));
const steps = Number(flag('steps', '4'));
const hidden = Number(flag('hidden', '64'));
const kind = flag('flow', 'iaf') as 'iaf' | 'realnvp';
const only = new Set(flag('only', 'gaussian,flow').split(','));
const seed = Number(flag('seed', '0'));

const selection = await selectBackend(flag('backend', 'wasm') as BackendRequest);
await tf.ready();
console.error(`backend ${tf.getBackend()} (${selection.candidate}); ${epochs} epochs, seed ${seed}`);

const train = mnist({ split: 'train' }).x;
const test = mnist({ split: 'test' }).x;
const base: VAEConfig = {
  inputDim: MNIST_SHAPE.inputDim,
  latentDim: MNIST_SHAPE.latentDim,
  hiddenUnits: [MNIST_SHAPE.hidden],
  likelihood: 'bernoulli',
  seed,
};
const models: Record<string, VAEConfig> = {
  gaussian: base,
  flow: { ...base, posterior: { flow: { kind, steps, hiddenUnits: [hidden] } } },
};

for (const [name, config] of Object.entries(models)) {
  if (!only.has(name)) continue;
  const vae = new VAE(config);
  const started = Date.now();
  const history = await vae.fit(train, { epochs, ...MNIST_TRAINING, seed });
  const trainSeconds = (Date.now() - started) / 1000;
  const ev = await vae.evaluate(test, { seed: 1, iwaeK, batchSize: 100 });
  const parameters = [...vae.namedVariables().values()].reduce((a, v) => a + v.size, 0);
  console.log(
    JSON.stringify({
      posterior: name,
      config: config.posterior ?? 'gaussian',
      epochs,
      seed,
      parameters,
      trainLoss: history.epochs.at(-1)?.loss,
      testNegElbo: -ev.elbo,
      testIwae: ev.iwae,
      iwaeK,
      trainSeconds,
      evalSeconds: (Date.now() - started) / 1000 - trainSeconds,
    }),
  );
  vae.dispose();
}
