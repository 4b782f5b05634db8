#!/usr/bin/env node
/**
 * The convolutional VAE (workload `mnist-conv-vae`) against the MLP VAE on the MNIST split, at the protocol of the
 * 122.1-nats parity figure: Bernoulli likelihood on [0,1] intensities, latent 20, Adam lr 1e-3, batch 128, 10 epochs,
 * 8,000 train / 2,000 test; test −ELBO (one posterior sample) and the IWAE bound, in nats per image. `conv-direct` is
 * the same conv VAE with `likelihoodHead: 'direct'`: the last Conv2DTranspose's 784 outputs are the Bernoulli logits
 * (no 784×784 dense head).
 *
 * Run: pnpm --filter @varia/bench build && node bench/dist/conv-vae.js [--epochs 10] [--backend wasm-native] [--parallel 1]
 *      [--only conv,mlp,conv-direct] [--seed 0] [--iwae 100] [--train-rows 8000] [--test-rows 2000]
 * Writes one JSON line per model to stdout (progress to stderr).
 */
import * as tf from '@tensorflow/tfjs';
import { mnist } from '@varia/datasets';
import { VAE, type VAEConfig } from '@varia/vae';
import { firstRows } from './first-rows.js';
import { flag, useBackendFlag } from './script-flags.js';
import { MNIST_CONV_NETWORKS, MNIST_SHAPE, MNIST_TRAINING, mnistConvNetworks } from './workloads.js';

const epochs = Number(flag('epochs', '10'));
const iwaeK = Number(flag('iwae', '100'));
const seed = Number(flag('seed', '0'));
const only = new Set(flag('only', 'conv,mlp').split(','));
await useBackendFlag('auto', `${epochs} epochs, seed ${seed}`);

const fullTrain = mnist({ split: 'train' }).x;
const trainRows = Math.min(fullTrain.rows, Number(flag('train-rows', String(fullTrain.rows))));
const train = firstRows(fullTrain, trainRows);
const fullTest = mnist({ split: 'test' }).x;
const test = firstRows(fullTest, Number(flag('test-rows', String(fullTest.rows))));
const base = {
  inputDim: MNIST_SHAPE.inputDim,
  latentDim: MNIST_SHAPE.latentDim,
  likelihood: 'bernoulli',
  seed,
} as const;
const configs: Record<string, () => VAEConfig> = {
  conv: () => ({ ...base, ...mnistConvNetworks(tf, seed) }),
  'conv-direct': () => ({ ...base, ...mnistConvNetworks(tf, seed), likelihoodHead: 'direct' }),
  mlp: () => ({ ...base, hiddenUnits: [MNIST_SHAPE.hidden] }),
};

for (const [name, config] of Object.entries(configs)) {
  if (!only.has(name)) continue;
  const vae = new VAE(config());
  const parameters = [...vae.namedVariables().values()].reduce((s, v) => s + v.size, 0);
  const t0 = performance.now();
  const history = await vae.fit(train, {
    epochs,
    batchSize: MNIST_TRAINING.batchSize,
    learningRate: MNIST_TRAINING.learningRate,
    seed,
    onEpochEnd: (log) =>
      console.error(
        `${name} epoch ${log.epoch}: loss ${log.loss.toFixed(2)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      ),
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const evaluation = await vae.evaluate(test, { seed, ...(iwaeK > 0 ? { iwaeK } : {}) });
  console.log(
    JSON.stringify({
      workload:
        name === 'mlp' ? 'mnist-vae (MLP 784-400-20)' : `mnist-conv-vae${name === 'conv' ? '' : ' (direct head)'}`,
      architecture:
        name !== 'mlp'
          ? name === 'conv'
            ? MNIST_CONV_NETWORKS
            : MNIST_CONV_NETWORKS.replace('dense head p(x|z)', 'p(x|z) read directly (likelihoodHead: direct)')
          : `MLP ${MNIST_SHAPE.inputDim}-${MNIST_SHAPE.hidden}-${MNIST_SHAPE.latentDim}`,
      backend: tf.getBackend(),
      seed,
      epochs: history.epochs.length,
      trainRows,
      parameters,
      trainSeconds: Number(trainSeconds.toFixed(1)),
      examplesPerSec: Math.round((trainRows * history.epochs.length) / trainSeconds),
      finalTrainLoss: Number(history.epochs.at(-1)!.loss.toFixed(3)),
      testNegElbo: Number((-evaluation.elbo).toFixed(2)),
      testReconstruction: Number(evaluation.reconstruction.toFixed(2)),
      testKl: Number(evaluation.kl.toFixed(2)),
      ...(evaluation.iwae !== undefined ? { [`testIwae${iwaeK}`]: Number(evaluation.iwae.toFixed(2)) } : {}),
    }),
  );
  vae.dispose();
}
