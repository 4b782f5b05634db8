#!/usr/bin/env node
/**
 * Gaussian vs normalizing-flow posterior on the MNIST split, at the protocol of the 122.1-nats parity figure
 * (784-400-20-400-784 ReLU, Bernoulli likelihood on [0,1] intensities, Adam lr 1e-3, batch 128, 8,000 train / 2,000
 * test): test −ELBO (one posterior sample) and the IWAE-100 bound, in nats per image.
 *
 * Run: pnpm --filter @varia/bench build && node bench/dist/posteriors.js [--epochs 10] [--backend wasm] [--parallel 1]
 *      [--flow iaf|realnvp] [--steps 4] [--hidden 64] [--iwae 100] [--only gaussian,flow]
 *      [--train-rows 8000] [--test-rows 2000]
 * Writes a JSON line per model to stdout.
 */
import { mnist } from '@varia/datasets';
import { firstRows } from './first-rows.js';
import { flag, useBackendFlag } from './script-flags.js';
import { posteriorComparison } from './workloads.js';

const epochs = Number(flag('epochs', '10'));
const iwaeK = Number(flag('iwae', '100'));
const steps = Number(flag('steps', '4'));
const hidden = Number(flag('hidden', '64'));
const kind = flag('flow', 'iaf') as 'iaf' | 'realnvp';
const only = new Set(flag('only', 'gaussian,flow').split(','));
const seed = Number(flag('seed', '0'));

await useBackendFlag('wasm', `${epochs} epochs, seed ${seed}`);

const fullTrain = mnist({ split: 'train' }).x;
const fullTest = mnist({ split: 'test' }).x;
const train = firstRows(fullTrain, Number(flag('train-rows', String(fullTrain.rows))));
const test = firstRows(fullTest, Number(flag('test-rows', String(fullTest.rows))));
const families: Record<string, Parameters<typeof posteriorComparison>[2]> = {
  gaussian: 'gaussian',
  flow: { flow: { kind, steps, hiddenUnits: [hidden] } },
};
for (const [name, posterior] of Object.entries(families)) {
  if (!only.has(name)) continue;
  const result = await posteriorComparison(train, test, posterior, { epochs, iwaeK, seed });
  console.log(JSON.stringify({ name, epochs, seed, iwaeK, ...result }));
}
