// A Poisson VAE on synthetic counts with a known 2-D latent cause.
// Run: pnpm --filter @varia/examples build && node examples/dist/poisson-vae.js
import * as tf from '@tensorflow/tfjs';
import { syntheticCounts, trainTestSplit } from '@varia/datasets';
import { VAE } from '@varia/vae';
import { check, report } from './report.js';

await tf.ready();
// 1,500 examples × 20 features: z ~ N(0, I₂), log μ = Wz + b, x ~ Poisson(μ).
const counts = syntheticCounts({ n: 1500, dim: 20, latentDim: 2, seed: 0 });
const { train, test } = trainTestSplit(counts, { testFraction: 0.2, seed: 1 });

// likelihood: 'poisson' → p(x|z) = Πⱼ Poisson(xⱼ; exp(decoder(z))ⱼ); the encoder sees log(1 + x).
const vae = new VAE({ inputDim: 20, latentDim: 2, hiddenUnits: 32, likelihood: 'poisson', seed: 0 });
const history = await vae.fit(train.x, {
  epochs: 15,
  batchSize: 64,
  learningRate: 1e-2,
  seed: 0,
  validationData: test.x,
});
for (const log of history.epochs.filter((l) => l.epoch % 5 === 0)) {
  console.log(
    `epoch ${log.epoch}: −ELBO ${log.loss.toFixed(2)} (rec ${(-log.reconstruction).toFixed(2)}, KL ${log.kl.toFixed(2)}), test −ELBO ${log.valLoss!.toFixed(2)}`,
  );
}
const first = history.epochs[0]!;
const last = history.epochs.at(-1)!;
check(last.loss < first.loss, `the loss should fall: ${first.loss} → ${last.loss}`);

// Reconstructions are rates (E[x|z] = λ), non-negative; generated samples are integer counts.
const rates = vae.reconstruct(test.x);
const minRate = (await tf.min(rates).data())[0]!;
const generated = vae.sample(3, { seed: 2 });
const g = await generated.data();
console.log('generated counts (first row):', Array.from(g.slice(0, 20)).join(' '));
check(minRate >= 0, 'rates are non-negative');
check(
  Array.from(g).every((v) => Number.isInteger(v) && v >= 0),
  'samples are counts',
);

// A baseline: a model that predicts each feature's mean count, independent of z. The VAE should beat it.
const cols = train.x.cols;
const means = new Float64Array(cols);
for (let i = 0; i < train.x.data.length; i++) means[i % cols]! += train.x.data[i]! / train.x.rows;
let baseline = 0;
for (let i = 0; i < test.x.data.length; i++) {
  const k = test.x.data[i]!;
  const lambda = Math.max(means[i % cols]!, 1e-6);
  let logFactorial = 0;
  for (let j = 2; j <= k; j++) logFactorial += Math.log(j);
  baseline -= k * Math.log(lambda) - lambda - logFactorial;
}
baseline /= test.x.rows;
console.log(
  `test −ELBO ${last.valLoss!.toFixed(2)} vs independent-Poisson baseline NLL ${baseline.toFixed(2)} nats per example`,
);
check(last.valLoss! < baseline, 'the VAE should beat the per-feature-mean baseline');

tf.dispose([rates, generated]);
vae.dispose();
report({ firstLoss: first.loss, lastLoss: last.loss, testLoss: last.valLoss!, baselineNll: baseline });
