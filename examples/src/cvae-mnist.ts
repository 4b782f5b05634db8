// A conditional VAE on MNIST (Sohn et al. 2015): the digit label is a categorical covariate of the encoder and the
// decoder, q(z | x, digit) and p(x | z, digit), so that sampling with a chosen digit draws that digit. For each digit
// we decode 100 samples z ~ N(0, I) and ask a k-nearest-neighbours classifier, fitted to the training split, which
// digit it sees: the fraction that matches the requested digit. An unconditional VAE's samples are the baseline
// (they match a requested digit by chance, ≈ 10 %).
// Run: pnpm --filter @varia/examples build && node examples/dist/cvae-mnist.js
// Bench size (all 8,000 training images): VARIA_EXAMPLE_ROWS=8000 VARIA_EXAMPLE_EPOCHS=8 VARIA_EXAMPLE_BASELINE_EPOCHS=8
//   VARIA_EXAMPLE_HIDDEN=128 node examples/dist/cvae-mnist.js
import * as tf from '@tensorflow/tfjs'; // the union package: a backend and the gradient registrations
import { type Matrix, takeRows } from '@varia/core';
import { mnist } from '@varia/datasets';
import { VAE, type VAEConfig } from '@varia/vae';
import { accuracy, majorityLabels, nearestNeighbours } from './knn.js';
import { check, report } from './report.js';

await tf.ready();
const ROWS = Number(process.env.VARIA_EXAMPLE_ROWS ?? 1200);
const EPOCHS = Number(process.env.VARIA_EXAMPLE_EPOCHS ?? 10);
// The baseline's match rate is chance whatever its quality (its samples do not depend on the requested digit), so
// the small run trains it less; the bench run trains both alike.
const BASELINE_EPOCHS = Number(process.env.VARIA_EXAMPLE_BASELINE_EPOCHS ?? 3);
const HIDDEN = Number(process.env.VARIA_EXAMPLE_HIDDEN ?? 64);
// a 2-D latent holds the style; the digit comes from the covariate (with a wide latent, z also encodes the digit and
// the decoder learns to ignore the label)
const LATENT = 2;
const PER_DIGIT = 100;
const K = 5;

const trainSplit = mnist({ split: 'train' });
const rows = Int32Array.from({ length: Math.min(ROWS, trainSplit.x.rows) }, (_, i) => i);
const x = takeRows(trainSplit.x, rows);
const digits = Int32Array.from(rows, (i) => trainSplit.labels![i]!);
// the classifier: kNN on the training split's intensities (the same rows the models see)
const classify = (images: Matrix): Int32Array => majorityLabels(nearestNeighbours(images, x, K), K, digits);
const test = mnist({ split: 'test' });
const testRows = Int32Array.from({ length: 500 }, (_, i) => i);
const classifierAccuracy = accuracy(
  classify(takeRows(test.x, testRows)),
  Int32Array.from(testRows, (i) => test.labels![i]!),
);

const requested = Int32Array.from({ length: 10 * PER_DIGIT }, (_, i) => Math.floor(i / PER_DIGIT));

async function train(conditional: boolean): Promise<{ matchRate: number; perDigit: number[]; loss: number }> {
  const config: VAEConfig = {
    inputDim: 784,
    latentDim: LATENT,
    hiddenUnits: [HIDDEN],
    likelihood: 'bernoulli',
    seed: 1,
    // a classic CVAE: the one-hot digit is concatenated to the encoder's and the decoder's input
    ...(conditional && {
      covariates: [{ name: 'digit', kind: 'categorical', levels: 10 }],
      encodeCovariates: true,
      injectCovariates: 'first',
    }),
  };
  const vae = new VAE(config);
  const history = await vae.fit(x, {
    epochs: conditional ? EPOCHS : BASELINE_EPOCHS,
    batchSize: 64,
    learningRate: 3e-3,
    seed: 0,
    ...(conditional && { covariates: { digit: digits } }),
  });
  // 100 draws per requested digit: the decoder's mean image E[x | z, digit] for z ~ N(0, I)
  const images = vae.sample(requested.length, {
    mean: true,
    seed: 3,
    ...(conditional && { covariates: { digit: requested } }),
  });
  const matrix: Matrix = { data: images.dataSync() as Float32Array, rows: requested.length, cols: 784 };
  images.dispose();
  vae.dispose();
  const predicted = classify(matrix);
  const perDigit = Array.from({ length: 10 }, (_, d) =>
    accuracy(
      predicted.subarray(d * PER_DIGIT, (d + 1) * PER_DIGIT),
      requested.subarray(d * PER_DIGIT, (d + 1) * PER_DIGIT),
    ),
  );
  return { matchRate: accuracy(predicted, requested), perDigit, loss: history.epochs.at(-1)!.loss };
}

const unconditional = await train(false);
const cvae = await train(true);
console.log(
  `${x.rows} training images, ${EPOCHS} epochs (baseline ${BASELINE_EPOCHS}), 784-${HIDDEN}-${LATENT}; kNN (k = ${K}) test accuracy ${classifierAccuracy.toFixed(3)}`,
);
console.log(`samples classified as the requested digit (${PER_DIGIT} per digit):`);
console.log(
  `  CVAE (digit covariate)  ${(100 * cvae.matchRate).toFixed(1)} %   per digit ${cvae.perDigit.map((a) => Math.round(100 * a)).join(' ')}`,
);
console.log(`  unconditional VAE       ${(100 * unconditional.matchRate).toFixed(1)} %   (chance ≈ 10 %)`);

check(cvae.matchRate > 0.5, 'CVAE samples look like the requested digit');
check(unconditional.matchRate < 0.25, 'unconditional samples match a requested digit about by chance');
report({
  matchRate: cvae.matchRate,
  baselineMatchRate: unconditional.matchRate,
  classifierAccuracy,
  cvaeLoss: cvae.loss,
  vaeLoss: unconditional.loss,
});
