// A Gaussian-mixture VAE: a discrete cluster y ~ Cat(1/3) summed out exactly (elboOverDiscrete), a Gaussian z with
// q(z|x, y), p(z|y) = N(μ_y, I) (μ learned) and p(x|z) = N(f(z), 0.5²), on three 2-D clusters. The gradient in
// q(y|x) is exact (enumeration); the one in q(z|x, y) is reparameterized.
// Run: pnpm --filter @varia/examples build && node examples/dist/gaussian-mixture-vae.js
import * as tf from '@tensorflow/tfjs';
import { mulberry32, standardNormal } from '@varia/core';
import { Independent, Normal, OneHotCategorical } from '@varia/distributions';
import { Dense, MLP } from '@varia/layers';
import { elbo, elboOverDiscrete } from '@varia/losses';
import { check, report } from './report.js';

await tf.ready();
const K = 3;
const DZ = 2;
const CENTRES = [
  [-4, 0],
  [4, 0],
  [0, 5],
];
const rng = mulberry32(3);
const n = 300;
const labels: number[] = [];
const points: number[] = [];
for (let i = 0; i < n; i++) {
  const c = i % K;
  labels.push(c);
  points.push(CENTRES[c]![0]! + standardNormal(rng), CENTRES[c]![1]! + standardNormal(rng));
}
const x = tf.tensor2d(points, [n, 2]);

const encoderY = new MLP({ inputDim: 2, hiddenUnits: [16], activation: 'relu', seed: 1 });
const headY = new Dense({ inputDim: 16, units: K, seed: 2 });
const encoderZ = new MLP({ inputDim: 2 + K, hiddenUnits: [16], activation: 'relu', seed: 3 });
const headZ = new Dense({ inputDim: 16, units: 2 * DZ, seed: 4 });
const decoder = new MLP({ inputDim: DZ, hiddenUnits: [16], activation: 'relu', seed: 5 });
const headX = new Dense({ inputDim: 16, units: 2, seed: 6 });
const priorMeans = tf.variable(
  tf.tensor2d([
    [-1, 0],
    [1, 0],
    [0, 1],
  ]),
  true,
  'prior_means',
);
const modules = [encoderY, headY, encoderZ, headZ, decoder, headX];
const variables = [...modules.flatMap((m) => [...m.namedVariables().values()]), priorMeans];

/** −mean ELBO: y summed out, z with `samples` reparameterized draws. */
function negativeElboOf(batch: tf.Tensor, seed: number, samples = 1): tf.Scalar {
  const logitsY = headY.apply(encoderY.apply(batch));
  const result = elboOverDiscrete({
    x: batch,
    posterior: new OneHotCategorical({ logits: logitsY }),
    prior: new OneHotCategorical({ probs: new Array<number>(K).fill(1 / K) }),
    innerElbo: (y, xs) => {
      const h = headZ.apply(encoderZ.apply(tf.concat([xs, y], 1)));
      const rows = xs.shape[0]!;
      const posterior = new Independent(
        new Normal(
          { loc: tf.slice(h, [0, 0], [rows, DZ]), scale: tf.add(tf.softplus(tf.slice(h, [0, DZ], [rows, DZ])), 1e-3) },
          { validateArgs: false },
        ),
        1,
      );
      const prior = new Independent(
        new Normal({ loc: tf.matMul(y, priorMeans), scale: 1 }, { validateArgs: false }),
        1,
      );
      const decode = (z: tf.Tensor) =>
        new Independent(new Normal({ loc: headX.apply(decoder.apply(z)), scale: 0.5 }, { validateArgs: false }), 1);
      return elbo({ x: xs, posterior, prior, decode }, { samples, seed }).elbo;
    },
  });
  return tf.neg(tf.mean(result.elbo)) as tf.Scalar;
}

const STEPS = Number(process.env.VARIA_EXAMPLE_STEPS ?? 150);
const optimizer = tf.train.adam(2e-2);
const first = tf.tidy(() => negativeElboOf(x, 0, 8).dataSync()[0]!);
for (let step = 0; step < STEPS; step++) {
  optimizer.minimize(() => negativeElboOf(x, step + 1), false, variables);
}
const last = tf.tidy(() => negativeElboOf(x, 999, 8).dataSync()[0]!);
console.log(
  `Gaussian-mixture VAE, ${STEPS} full-batch Adam steps: −ELBO ${first.toFixed(3)} → ${last.toFixed(3)} nats per point`,
);
check(Number.isFinite(last) && last < first, 'the −ELBO should fall');

// Cluster assignment argmax q(y|x) against the true clusters, under the best relabelling of the 3 clusters.
const assigned = tf.tidy(() => tf.argMax(headY.apply(encoderY.apply(x)), 1).dataSync());
const perms = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
];
const accuracy = Math.max(...perms.map((p) => labels.filter((l, i) => p[assigned[i]!] === l).length / n));
console.log(`cluster accuracy of argmax q(y|x): ${(100 * accuracy).toFixed(1)}% (chance 33%)`);

optimizer.dispose();
for (const m of modules) m.dispose();
priorMeans.dispose();
x.dispose();
report({ firstLoss: first, lastLoss: last, accuracy });
