// The semi-supervised M2 model (Kingma et al. 2014): a label y that is observed for a few examples and a latent,
// summed out exactly (elboOverDiscrete), for the rest; z ~ N(0, I), p(x|y, z) = N(f(y, z), 0.5²), a classifier q(y|x)
// and q(z|x, y). Loss = −Σ_labelled [ELBO(x, y) + α·log q(y|x)] − Σ_unlabelled ELBO(x), on three 2-D classes with
// 3 labels per class out of 600 points. Trained by varia's Trainer (fitModel): the labels travel as batch fields
// (`y` one-hot, `labelled` 1/0), so the model is a TrainableModel like any other.
// Run: pnpm --filter @varia/examples build && node examples/dist/semi-supervised-m2.js
import * as tf from '@tensorflow/tfjs';
import { mulberry32, standardNormal } from '@varia/core';
import { Independent, Normal, OneHotCategorical } from '@varia/distributions';
import { collectVariables, Dense, MLP } from '@varia/layers';
import { elbo, elboOverDiscrete } from '@varia/losses';
import { type Batch, fitModel, MatrixBatchSource, type StepContext } from '@varia/vae';
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
const modules = { classifier, classifierHead, encoderZ, headZ, decoder, headX };
const ALPHA = 0.1 * 600; // the classification weight of Kingma et al. (α = 0.1·N)

const classify = (x: tf.Tensor): tf.Tensor => classifierHead.apply(classifier.apply(x));
// no validation in the loss (the labels are valid by construction)
const FAST = { validateArgs: false } as const;
const prior = (): OneHotCategorical => new OneHotCategorical({ probs: new Array<number>(K).fill(1 / K) }, FAST);

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

/** The batch loss: labelled rows (labelled = 1) use their y; the others sum y out exactly. */
function lossTerms(batch: Batch, ctx: StepContext) {
  const { x, y, labelled } = batch as Record<'x' | 'y' | 'labelled', tf.Tensor2D>;
  const mask = tf.reshape(labelled, [-1]);
  // unlabelled rows get class 0 in the labelled term (so every term stays finite), then the mask drops them
  const ySafe = tf.add(y, tf.mul(tf.sub(1, labelled), tf.oneHot([0], K)));
  const logPy = prior().logProb(ySafe);
  const labelledElbo = tf.add(innerElbo(ySafe, x, ctx.seed), logPy);
  const logQy = new OneHotCategorical({ logits: classify(x) }, FAST).logProb(ySafe);
  const unlabelledElbo = elboOverDiscrete({
    x,
    posterior: new OneHotCategorical({ logits: classify(x) }, FAST),
    prior: prior(),
    innerElbo: (ys, xs) => innerElbo(ys, xs, ctx.seed + 1),
  }).elbo;
  const perRow = tf.add(
    tf.mul(mask, tf.add(labelledElbo, tf.mul(logQy, ALPHA))),
    tf.mul(tf.sub(1, mask), unlabelledElbo),
  );
  return { loss: tf.neg(tf.mean(perRow)) as tf.Scalar };
}

const accuracy = (): number =>
  tf.tidy(() => {
    const predicted = tf.argMax(classify(test.x), 1).dataSync();
    return test.labels.filter((l, i) => predicted[i] === l).length / test.labels.length;
  });

const STEPS = Number(process.env.VARIA_EXAMPLE_STEPS ?? 150);
const rows = 600 + 3 * K;
// each epoch takes STEPS_PER_EPOCH full-batch steps (the rows repeated, unshuffled): the guard's check after an epoch's
// last step then costs one forward pass per 10 steps, not per step
const STEPS_PER_EPOCH = 10;
const matrix = (t: tf.Tensor) => {
  const once = t.dataSync();
  const data = new Float32Array(STEPS_PER_EPOCH * once.length);
  for (let k = 0; k < STEPS_PER_EPOCH; k++) data.set(once, k * once.length);
  return { data, rows: STEPS_PER_EPOCH * t.shape[0]!, cols: t.shape[1]! };
};
const [xAll, yAll, labelledAll] = tf.tidy(() => [
  tf.concat([unlabelled.x, labelled.x]),
  tf.concat([tf.zeros([600, K]), yLabelled]),
  tf.concat([tf.zeros([600, 1]), tf.ones([3 * K, 1])]),
]) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
const data = new MatrixBatchSource({ x: matrix(xAll), y: matrix(yAll), labelled: matrix(labelledAll) });
tf.dispose([xAll, yAll, labelledAll]);
const model = { namedVariables: () => collectVariables(Object.entries(modules)), lossTerms };
const before = accuracy();
const history = await fitModel(model, data, {
  epochs: Math.ceil(STEPS / STEPS_PER_EPOCH),
  batchSize: rows,
  learningRate: 2e-2,
  shuffle: false,
});
const last = history.epochs.at(-1)!.loss;
const after = accuracy();
console.log(
  `M2, ${STEPS} full-batch Adam steps with 9 labels of 609: loss ${last.toFixed(3)}; test accuracy of q(y|x) ${(100 * before).toFixed(1)}% → ${(100 * after).toFixed(1)}%`,
);
check(Number.isFinite(last), 'finite loss');
check(after > 0.9, 'the classifier should learn the classes from 9 labels and the unlabelled data');

for (const m of Object.values(modules)) m.dispose();
tf.dispose([unlabelled.x, labelled.x, yLabelled, test.x]);
report({ lastLoss: last, accuracyBefore: before, accuracy: after });
