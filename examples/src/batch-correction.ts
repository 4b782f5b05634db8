// Batch correction with a conditional VAE (scVI's batch_key): synthetic counts from three "cell types" measured in two
// "batches" whose features differ by a per-feature scaling. A Poisson VAE without the batch puts the two batches in
// different places of its latent space; with the batch as a covariate of the decoder (p(x | z, batch), the encoder
// does not see it) the latent space mixes the batches and keeps the cell types apart.
// Scores: the latent-mixing entropy (of the batch labels among each point's k nearest latent neighbours, normalized to
// [0, 1]; 1 = perfectly mixed) and the kNN accuracy of the true cell type from the latent (leave one out).
// Run: pnpm --filter @varia/examples build && node examples/dist/batch-correction.js
// Bench size: VARIA_EXAMPLE_ROWS=4000 VARIA_EXAMPLE_EPOCHS=60 node examples/dist/batch-correction.js
import * as tf from '@tensorflow/tfjs'; // the union package: a backend and the gradient registrations
import { type Matrix, mulberry32, samplePoisson, standardNormal } from '@varia/core';
import { syntheticCounts } from '@varia/datasets';
import { VAE, type VAEConfig } from '@varia/vae';
import { accuracy, majorityLabels, mixingEntropy, nearestNeighbours } from './knn.js';
import { check, report } from './report.js';

await tf.ready();
const ROWS = Number(process.env.VARIA_EXAMPLE_ROWS ?? 1200);
const EPOCHS = Number(process.env.VARIA_EXAMPLE_EPOCHS ?? 30);
const FEATURES = 60;
const LATENT = 3;
const K = 15;
/** Standard deviation of log s_j, the per-feature scaling of batch 1 (s_j = e^{1.5·ε_j}: factors ~0.05 … 20). */
const BATCH_EFFECT = Number(process.env.VARIA_EXAMPLE_BATCH_EFFECT ?? 1.5);

// The true structure: syntheticCounts' latents z ~ N(0, I₃), rates μ = exp(W z + b); the "cell type" is the dominant
// factor argmax z (three types). Batch 1 multiplies feature j's rate by s_j; the counts are Poisson(μ·s).
const truth = syntheticCounts({ n: ROWS, dim: FEATURES, latentDim: LATENT, seed: 7, loadingScale: 1.5 });
const rng = mulberry32(8);
const scaling = Float64Array.from({ length: FEATURES }, () => Math.exp(BATCH_EFFECT * standardNormal(rng)));
const batch = Int32Array.from({ length: ROWS }, (_, i) => i % 2);
const cellType = truth.labels!;
const counts = new Float32Array(ROWS * FEATURES);
for (let i = 0; i < ROWS; i++) {
  for (let j = 0; j < FEATURES; j++) {
    const rate = truth.rates.data[i * FEATURES + j]! * (batch[i] === 1 ? scaling[j]! : 1);
    counts[i * FEATURES + j] = samplePoisson(rng, rate);
  }
}
const x: Matrix = { data: counts, rows: ROWS, cols: FEATURES };

interface Scores {
  mixing: number;
  cellTypeAccuracy: number;
  loss: number;
}

function scoresOf(latent: Matrix): { mixing: number; cellTypeAccuracy: number } {
  const neighbours = nearestNeighbours(latent, latent, K, { excludeSelf: true });
  return {
    mixing: mixingEntropy(latent, batch, K, 2),
    cellTypeAccuracy: accuracy(majorityLabels(neighbours, K, cellType), cellType),
  };
}

async function train(conditional: boolean): Promise<Scores> {
  const config: VAEConfig = {
    inputDim: FEATURES,
    latentDim: LATENT,
    hiddenUnits: [64],
    likelihood: 'poisson',
    seed: 1,
    ...(conditional && { covariates: [{ name: 'batch', kind: 'categorical', levels: 2 }] }),
  };
  const vae = new VAE(config);
  const history = await vae.fit(x, {
    epochs: EPOCHS,
    batchSize: 64,
    learningRate: 3e-3,
    seed: 0,
    ...(conditional && { covariates: { batch } }),
  });
  // the encoder reads x alone (encodeCovariates: false, scVI's default): the latent needs no batch label
  const z = vae.encode(x);
  const latent: Matrix = { data: z.dataSync() as Float32Array, rows: ROWS, cols: LATENT };
  z.dispose();
  vae.dispose();
  return { ...scoresOf(latent), loss: history.epochs.at(-1)!.loss };
}

const plain = await train(false);
const corrected = await train(true);
const reference = scoresOf(truth.latents);
console.log(
  `${ROWS} cells × ${FEATURES} features, 3 cell types, 2 batches (per-feature scaling e^{${BATCH_EFFECT}·ε})`,
);
console.log(`                       mixing (0…1)   cell-type kNN accuracy   final loss`);
const row = (name: string, s: { mixing: number; cellTypeAccuracy: number; loss?: number }) =>
  console.log(
    `${name.padEnd(22)} ${s.mixing.toFixed(3).padStart(12)}   ${s.cellTypeAccuracy.toFixed(3).padStart(22)}   ${s.loss === undefined ? '' : s.loss.toFixed(2).padStart(10)}`,
  );
row('VAE, no covariate', plain);
row('VAE | batch covariate', corrected);
row('true latent', reference);

check(corrected.mixing > plain.mixing + 0.3, 'the batch covariate mixes the batches in the latent space');
check(corrected.cellTypeAccuracy > 0.7, 'the corrected latent keeps the cell types apart');
report({
  mixingPlain: plain.mixing,
  mixingCorrected: corrected.mixing,
  mixingTrue: reference.mixing,
  cellTypePlain: plain.cellTypeAccuracy,
  cellTypeCorrected: corrected.cellTypeAccuracy,
  cellTypeTrue: reference.cellTypeAccuracy,
});
