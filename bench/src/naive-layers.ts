/**
 * The naive baseline: the VAE as most tfjs tutorials write it — `tf.layers.dense` models (their gradients are tfjs's
 * defaults: matMuls with transpose flags), `tf.train.adam`, a per-step `tf.tensor1d(indices)` + `tf.gather` to
 * build the batch, and the loss read once per epoch (so it is not penalized for synchronous reads).
 */
import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '@varia/core';
import { mulberry32, permutation } from '@varia/core';
import { type VaeShape, poissonLogNormalizer, vaeNegativeElbo } from './hand-written.js';

/** The tf.layers VAE. */
export class NaiveLayersVae {
  readonly shape: VaeShape;
  readonly encoder: tf.Sequential;
  readonly decoder: tf.Sequential;
  private readonly rawScale?: tf.Variable;

  constructor(shape: VaeShape) {
    this.shape = shape;
    const { inputDim: D, hidden: H, latentDim: d } = shape;
    this.encoder = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [D], units: H, activation: 'relu' }), tf.layers.dense({ units: 2 * d })],
    });
    this.decoder = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [d], units: H, activation: 'relu' }), tf.layers.dense({ units: D })],
    });
    if (shape.likelihood === 'gaussian') this.rawScale = tf.variable(tf.scalar(Math.log(Math.expm1(1 - 1e-4))));
  }

  variables(): tf.Variable[] {
    const weights = [...this.encoder.trainableWeights, ...this.decoder.trainableWeights].map(
      (w) => w.read() as tf.Variable,
    );
    return this.rawScale ? [...weights, this.rawScale] : weights;
  }

  private input(x: tf.Tensor2D): tf.Tensor2D {
    return this.shape.likelihood === 'poisson' ? tf.log1p(x) : x;
  }

  /** Posterior mean μ(x). */
  encode(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const stats = this.encoder.predict(this.input(x), { batchSize: x.shape[0] }) as tf.Tensor2D;
      return tf.slice(stats, [0, 0], [-1, this.shape.latentDim]);
    });
  }

  loss(x: tf.Tensor2D, seed: number, logNormalizer?: tf.Tensor1D): tf.Scalar {
    const d = this.shape.latentDim;
    const stats = this.encoder.apply(this.input(x)) as tf.Tensor2D;
    const mu = tf.slice(stats, [0, 0], [-1, d]);
    const logVar = tf.slice(stats, [0, d], [-1, d]);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), tf.randomNormal(mu.shape, 0, 1, 'float32', seed)));
    const o = this.decoder.apply(z) as tf.Tensor2D;
    return vaeNegativeElbo(this.shape.likelihood, x, o, mu, logVar, this.rawScale, logNormalizer);
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.rawScale?.dispose();
  }
}

/** Adam over `epochs`, batches gathered per step; `maxExamples` stops an epoch early (for slow baselines). */
export async function trainNaive(
  model: NaiveLayersVae,
  data: Matrix,
  options: { epochs: number; batchSize: number; learningRate: number; seed: number; maxExamples?: number },
): Promise<{ examples: number; loss: number }> {
  const n = data.rows;
  const optimizer = tf.train.adam(options.learningRate, 0.9, 0.999, 1e-8);
  const varList = model.variables();
  const xAll = tf.tensor2d(data.data, [n, data.cols], 'float32');
  const normAll = model.shape.likelihood === 'poisson' ? tf.tensor1d(poissonLogNormalizer(data)) : undefined;
  const rng = mulberry32(options.seed);
  let examples = 0;
  let loss = NaN;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const order = permutation(n, rng);
      const limit = Math.min(n, options.maxExamples ?? n);
      const losses: tf.Tensor[] = [];
      for (let start = 0; start < limit; start += options.batchSize) {
        const idx = order.subarray(start, Math.min(limit, start + options.batchSize));
        const indices = tf.tensor1d(idx, 'int32');
        const stepSeed = Math.floor(rng() * 2 ** 31);
        const cost = optimizer.minimize(
          () => {
            const xb = tf.gather(xAll, indices) as tf.Tensor2D;
            const nb = normAll ? (tf.gather(normAll, indices) as tf.Tensor1D) : undefined;
            return model.loss(xb, stepSeed, nb);
          },
          true,
          varList,
        )!;
        indices.dispose();
        losses.push(tf.mul(cost, idx.length));
        cost.dispose();
        examples += idx.length;
      }
      const total = tf.addN(losses);
      loss = (await total.data())[0]! / limit;
      tf.dispose([total, ...losses]);
    }
  } finally {
    xAll.dispose();
    normAll?.dispose();
    optimizer.dispose();
  }
  return { examples, loss };
}
