// A two-layer hierarchical VAE written as a user would — its own variables from @varia/layers (MLP + heads), its own
// loss — trained by varia's Trainer with a validation split, early stopping and crash-safe checkpoints:
//   p(z₂) = N(0, I),  p(z₁|z₂) = N(μ(z₂), σ²(z₂)),  p(x|z₁) = Bernoulli(logits(z₁))
//   q(z₁|x) = N(μ(x), σ²(x)),  q(z₂|z₁) = N(μ(z₁), σ²(z₁))
//   −ELBO = −E_q[log p(x|z₁)] + E_q[log q(z₁|x) − log p(z₁|z₂)] + E_q[log q(z₂|z₁) − log p(z₂)]
// on MNIST digits (a small subset here; set VARIA_EXAMPLE_ROWS / VARIA_EXAMPLE_EPOCHS for more).
// Run: pnpm --filter @varia/examples build && node examples/dist/hierarchical-vae.js
// Bench size (`pnpm bench --only hierarchical-vae`): VARIA_EXAMPLE_ROWS=8000 VARIA_EXAMPLE_EPOCHS=20
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { mnist } from '@varia/datasets';
import { Independent, Normal } from '@varia/distributions';
import { BernoulliHead, collectVariables, MLP, NormalHead } from '@varia/layers';
import {
  type Batch,
  EarlyStopping,
  fitModel,
  MatrixBatchSource,
  ModelCheckpoint,
  ProgressLogger,
  type StepContext,
  type TrainableModel,
} from '@varia/vae';
import { check, report } from './report.js';

await tf.ready();
const ROWS = Number(process.env.VARIA_EXAMPLE_ROWS ?? 500);
const EPOCHS = Number(process.env.VARIA_EXAMPLE_EPOCHS ?? 4);
const D = 784;
const Z1 = 16;
const Z2 = 4;

class HierarchicalVae implements TrainableModel {
  readonly encoder1 = new MLP({ inputDim: D, hiddenUnits: [128], seed: 1 });
  readonly q1 = new NormalHead({ inputDim: 128, units: Z1, seed: 2 });
  readonly encoder2 = new MLP({ inputDim: Z1, hiddenUnits: [32], seed: 3 });
  readonly q2 = new NormalHead({ inputDim: 32, units: Z2, seed: 4 });
  readonly priorNet = new MLP({ inputDim: Z2, hiddenUnits: [32], seed: 5 });
  readonly p1 = new NormalHead({ inputDim: 32, units: Z1, seed: 6 });
  readonly decoder = new MLP({ inputDim: Z1, hiddenUnits: [128], seed: 7 });
  readonly px = new BernoulliHead({ inputDim: 128, units: D, seed: 8 });
  private readonly parts = {
    encoder1: this.encoder1,
    q1: this.q1,
    encoder2: this.encoder2,
    q2: this.q2,
    prior_net: this.priorNet,
    p1: this.p1,
    decoder: this.decoder,
    px: this.px,
  };

  namedVariables(): Map<string, tf.Variable> {
    return collectVariables(Object.entries(this.parts));
  }

  lossTerms(batch: Batch, ctx: StepContext) {
    const x = batch.x!;
    const qz1 = this.q1.apply(this.encoder1.apply(x, { constantInput: true }));
    const z1 = qz1.rsample([], { seed: ctx.seed });
    const qz2 = this.q2.apply(this.encoder2.apply(z1));
    const z2 = qz2.rsample([], { seed: ctx.seed + 1 });
    const pz2 = new Independent(
      new Normal({ loc: tf.zerosLike(z2), scale: tf.onesLike(z2) }, { validateArgs: false }),
      1,
    );
    const pz1 = this.p1.apply(this.priorNet.apply(z2));
    const reconstruction = tf.mean(this.px.apply(this.decoder.apply(z1)).logProb(x)) as tf.Scalar;
    const kl = tf.add(
      tf.mean(tf.sub(qz1.logProb(z1), pz1.logProb(z1))),
      tf.mean(tf.sub(qz2.logProb(z2), pz2.logProb(z2))),
    ) as tf.Scalar;
    return { loss: tf.sub(tf.mul(kl, ctx.beta), reconstruction) as tf.Scalar, reconstruction, kl };
  }

  dispose(): void {
    for (const part of Object.values(this.parts)) part.dispose();
  }
}

const all = mnist({ split: 'train' }).x;
const x = { data: all.data.subarray(0, ROWS * D), rows: ROWS, cols: D };
const dir = await mkdtemp(join(tmpdir(), 'varia-hvae-'));
const model = new HierarchicalVae();
const history = await fitModel(model, new MatrixBatchSource({ x }), {
  epochs: EPOCHS,
  batchSize: 100,
  learningRate: 2e-3,
  seed: 0,
  validationSplit: 0.2,
  klWarmupEpochs: 2,
  callbacks: [
    new EarlyStopping({ patience: 2, minDelta: 0.1 }),
    new ModelCheckpoint({ dir, every: 1 }),
    new ProgressLogger({ digits: 2 }),
  ],
});
const first = history.epochs[0]!;
const best = history.epochs[history.bestEpoch - 1]!;
const files = await readdir(dir);
console.log(
  `two-layer hierarchical VAE ${D}-128-${Z1}-32-${Z2} on ${ROWS} MNIST digits: validation −ELBO ${first.valLoss!.toFixed(2)} → ${best.valLoss!.toFixed(2)} nats (best epoch ${history.bestEpoch}, ${history.stopReason}); checkpoint ${files.includes('checkpoint.json') ? 'written' : 'missing'}`,
);
check(best.valLoss! < first.valLoss!, 'the validation −ELBO should fall');
check(files.includes('checkpoint.json'), 'ModelCheckpoint should have written checkpoint.json');
model.dispose();
await rm(dir, { recursive: true, force: true });
report({
  firstValLoss: first.valLoss!,
  bestValLoss: best.valLoss!,
  bestEpoch: history.bestEpoch,
  epochs: history.epochs.length,
});
