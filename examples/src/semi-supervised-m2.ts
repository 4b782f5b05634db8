// The semi-supervised M2 model (Kingma et al. 2014): a label y that is observed for a few examples and a latent,
// summed out exactly (elboOverDiscrete), for the rest; z ~ N(0, I), p(x|y, z) = N(f(y, z), 0.5²), a classifier q(y|x)
// and q(z|x, y). Loss = −Σ_labelled [ELBO(x, y) + α·log q(y|x)] − Σ_unlabelled ELBO(x), on three 2-D classes with
// 3 labels per class out of 600 points.
// Run: pnpm --filter @varia/examples build && node examples/dist/semi-supervised-m2.js
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
  [-2.5, 0],
  [2.5, 0],
  [0, 3],
];
const rng = mulberry32(4);
function sample(n: number): { x: tf.Tensor2D; labels: number[] } {
  const labels: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % K;
    labels.push(c);
    values.push(CENTRES[c]![0]! + standardNormal(rng), CENTRES[c]![1]! + standardNormal(rng));
  }
  return { x: tf.tensor2d(values, [n, 2]), labels };
}
const unlabelled = sample(600);
const labelled = sample(3 * K); // 3 per class
const yLabelled = tf.oneHot(tf.tensor1d(labelled.labels, 'int32'), K).toFloat();
const test = sample(300);

const classifier = new MLP({ inputDim: 2, hiddenUnits: [16], activation: 'relu', seed: 1 });
const classifierHead = new Dense({ inputDim: 16, units: K, seed: 2 });
const encoderZ = new MLP({ inputDim: 2 + K, hiddenUnits: [16], activation: 'relu', seed: 3 });
const headZ = new Dense({ inputDim: 16, units: 2 * DZ, seed: 4 });
const decoder = new MLP({ inputDim: DZ + K, hiddenUnits: [16], activation: 'relu', seed: 5 });
const headX = new Dense({ inputDim: 16, units: 2, seed: 6 });
const modules = [classifier, classifierHead, encoderZ, headZ, decoder, headX];
const variables = modules.flatMap((m) => [...m.namedVariables().values()]);
const ALPHA = 0.1 * 600; // the classification weight of Kingma et al. (α = 0.1·N)

const classify = (x: tf.Tensor): tf.Tensor => classifierHead.apply(classifier.apply(x));
const prior = (): OneHotCategorical => new OneHotCategorical({ probs: new Array<number>(K).fill(1 / K) });

/** ELBO(x, y) − log p(y) of the rest of the model given y: E_q(z|x,y)[log p(x|y, z)] − KL(q(z|x, y) ‖ N(0, I)). */
function innerElbo(y: tf.Tensor, x: tf.Tensor, seed: number): tf.Tensor {
  const rows = x.shape[0]!;
  const h = headZ.apply(encoderZ.apply(tf.concat([x, y], 1)));
  const posterior = new Independent(
    new Normal(
      { loc: tf.slice(h, [0, 0], [rows, DZ]), scale: tf.add(tf.softplus(tf.slice(h, [0, DZ], [rows, DZ])), 1e-3) },
      { validateArgs: false },
    ),
    1,
  );
  const zPrior = new Independent(new Normal({ loc: new Array<number>(DZ).fill(0), scale: 1 }), 1);
  // p(x | y, z): the decoder sees z and the label; rows of z follow the rows of y (K = 1 sample)
  const decode = (z: tf.Tensor) =>
    new Independent(
      new Normal({ loc: headX.apply(decoder.apply(tf.concat([z, y], 1))), scale: 0.5 }, { validateArgs: false }),
      1,
    );
  return elbo({ x, posterior, prior: zPrior, decode }, { seed }).elbo;
}

function loss(seed: number): tf.Scalar {
  const logPy = prior().logProb(yLabelled);
  const labelledElbo = tf.add(innerElbo(yLabelled, labelled.x, seed), logPy);
  const logQy = new OneHotCategorical({ logits: classify(labelled.x) }).logProb(yLabelled);
  const unlabelledElbo = elboOverDiscrete({
    x: unlabelled.x,
    posterior: new OneHotCategorical({ logits: classify(unlabelled.x) }),
    prior: prior(),
    innerElbo: (y, xs) => innerElbo(y, xs, seed + 1),
  }).elbo;
  return tf.neg(
    tf.div(tf.add(tf.sum(tf.add(labelledElbo, tf.mul(logQy, ALPHA))), tf.sum(unlabelledElbo)), 600 + 3 * K),
  ) as tf.Scalar;
}

const accuracy = (): number =>
  tf.tidy(() => {
    const predicted = tf.argMax(classify(test.x), 1).dataSync();
    return test.labels.filter((l, i) => predicted[i] === l).length / test.labels.length;
  });

const STEPS = Number(process.env.VARIA_EXAMPLE_STEPS ?? 150);
const optimizer = tf.train.adam(2e-2);
const before = accuracy();
let last = Number.NaN;
for (let step = 0; step < STEPS; step++) {
  const cost = optimizer.minimize(() => loss(step * 2), true, variables)!;
  if (step === STEPS - 1) last = cost.dataSync()[0]!;
  cost.dispose();
}
const after = accuracy();
console.log(
  `M2, ${STEPS} full-batch Adam steps with 9 labels of 609: loss ${last.toFixed(3)}; test accuracy of q(y|x) ${(100 * before).toFixed(1)}% → ${(100 * after).toFixed(1)}%`,
);
check(Number.isFinite(last), 'finite loss');
check(after > 0.9, 'the classifier should learn the classes from 9 labels and the unlabelled data');

optimizer.dispose();
for (const m of modules) m.dispose();
tf.dispose([unlabelled.x, labelled.x, yLabelled, test.x]);
report({ lastLoss: last, accuracyBefore: before, accuracy: after });
