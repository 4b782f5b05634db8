// Models written as a user would, against the TrainableModel interface, for the Trainer's tests.
import * as tf from '@tensorflow/tfjs-core';
import { Bernoulli, Independent, Normal } from '@varia/distributions';
import { MovingAverageBaseline, negativeElbo, type VariationalInputs } from '@varia/losses';
import type { Batch, StepContext, TrainableModel } from '../trainer/trainable-model.js';

const FAST = { validateArgs: false } as const;

/** A variable initialised N(0, scale²) from a seed. */
function randomVariable(shape: number[], seed: number, scale = 0.1): tf.Variable {
  const init = tf.randomNormal(shape, 0, scale, 'float32', seed);
  const v = tf.variable(init, true);
  init.dispose();
  return v;
}

/** A model with one weight row w [1, D] and loss mean_n ‖xₙ − w‖²: its minimum is the column means of the data. */
export class MeanModel implements TrainableModel {
  readonly w: tf.Variable;
  /** Every context the model's loss saw (training steps and evaluations). */
  readonly seen: StepContext[] = [];
  /** Calls of setTraining. */
  readonly modes: boolean[] = [];
  /** Returns NaN as the loss at this global step (training only). */
  nanAtStep?: number;

  constructor(dim: number) {
    const zeros = tf.zeros([1, dim]);
    this.w = tf.variable(zeros, true);
    zeros.dispose();
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map([['w', this.w]]);
  }

  lossTerms(batch: Batch, ctx: StepContext) {
    this.seen.push(ctx);
    const loss = tf.mean(tf.sum(tf.square(tf.sub(batch.x!, this.w)), 1)) as tf.Scalar;
    if (ctx.training && ctx.step === this.nanAtStep) return { loss: tf.mul(loss, Number.NaN) as tf.Scalar };
    return { loss };
  }

  setTraining(training: boolean): void {
    this.modes.push(training);
  }

  dispose(): void {
    this.w.dispose();
  }
}

/**
 * A VAE written by hand: q(z|x) = N(x·Wₑ + bₑ, softplus(s)²), p(z) = N(0, I), p(x|z) = N(z·W_d + b_d, I), trained on
 * −ELBO (`negativeElbo` with the step's β, samples, free bits and seed).
 */
export class LinearGaussianVae implements TrainableModel {
  private readonly vars: Map<string, tf.Variable>;

  constructor(dim: number, latent: number, seed: number) {
    this.vars = new Map([
      ['encoder/kernel', randomVariable([dim, latent], seed)],
      ['encoder/bias', randomVariable([latent], seed + 1)],
      ['encoder/scale', randomVariable([latent], seed + 2)],
      ['decoder/kernel', randomVariable([latent, dim], seed + 3)],
      ['decoder/bias', randomVariable([dim], seed + 4)],
    ]);
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map(this.vars);
  }

  private v(name: string): tf.Variable {
    return this.vars.get(name)!;
  }

  inputs(x: tf.Tensor): VariationalInputs {
    const loc = tf.add(tf.matMul(x, this.v('encoder/kernel')), this.v('encoder/bias'));
    const scale = tf.add(tf.mul(tf.onesLike(loc), tf.softplus(this.v('encoder/scale'))), 1e-3);
    return {
      x,
      posterior: new Independent(new Normal({ loc, scale }, FAST), 1),
      prior: new Independent(new Normal({ loc: tf.zerosLike(loc), scale: tf.onesLike(loc) }, FAST), 1),
      decode: (z) => {
        const mean = tf.add(tf.matMul(z, this.v('decoder/kernel')), this.v('decoder/bias'));
        return new Independent(new Normal({ loc: mean, scale: tf.onesLike(mean) }, FAST), 1);
      },
    };
  }

  lossTerms(batch: Batch, ctx: StepContext) {
    return negativeElbo(this.inputs(batch.x!), {
      beta: ctx.beta,
      samples: ctx.samples,
      freeBits: ctx.freeBits,
      seed: ctx.seed,
    });
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
  }
}

/**
 * A binary-latent model: q(z|x) = ∏ Bernoulli(σ(x·Wₑ + bₑ)), p(z) = ∏ Bernoulli(½), p(x|z) = N(z·W_d + b_d, I). No
 * `rsample`: trained with the score-function estimator and a moving-average baseline, whose state the Trainer keeps.
 */
export class BinaryLatentModel implements TrainableModel {
  private readonly vars: Map<string, tf.Variable>;
  readonly baseline = new MovingAverageBaseline({ decay: 0.8 });

  constructor(dim: number, latent: number, seed: number) {
    this.vars = new Map([
      ['encoder/kernel', randomVariable([dim, latent], seed)],
      ['encoder/bias', randomVariable([latent], seed + 1)],
      ['decoder/kernel', randomVariable([latent, dim], seed + 2)],
      ['decoder/bias', randomVariable([dim], seed + 3)],
    ]);
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map(this.vars);
  }

  stateVariables(): Map<string, tf.Variable> {
    return new Map([...this.baseline.stateVariables()].map(([k, v]) => [`baseline/${k}`, v]));
  }

  lossTerms(batch: Batch, ctx: StepContext) {
    const x = batch.x!;
    const logits = tf.add(tf.matMul(x, this.vars.get('encoder/kernel')!), this.vars.get('encoder/bias')!);
    const inputs: VariationalInputs = {
      x,
      posterior: new Independent(new Bernoulli({ logits }, FAST), 1),
      prior: new Independent(new Bernoulli({ logits: tf.zerosLike(logits) }, FAST), 1),
      decode: (z) => {
        const mean = tf.add(tf.matMul(z, this.vars.get('decoder/kernel')!), this.vars.get('decoder/bias')!);
        return new Independent(new Normal({ loc: mean, scale: tf.onesLike(mean) }, FAST), 1);
      },
    };
    return negativeElbo(inputs, {
      beta: ctx.beta,
      samples: ctx.samples,
      seed: ctx.seed,
      estimator: 'score-function',
      baseline: this.baseline,
    });
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.baseline.dispose();
  }
}

/** Every weight and state value of a model by name (plain copies). */
export function modelValues(model: TrainableModel): Map<string, Float32Array> {
  const all = new Map([...model.namedVariables(), ...(model.stateVariables?.() ?? [])]);
  return new Map([...all].map(([name, v]) => [name, Float32Array.from(v.dataSync())]));
}

/** Rows of a seeded Gaussian cloud [n, dim] with per-column means 1, 2, …, dim. */
export function gaussianRows(n: number, dim: number, seed: number): { data: Float32Array; rows: number; cols: number } {
  const t = tf.tidy(() => tf.add(tf.randomNormal([n, dim], 0, 1, 'float32', seed), tf.range(1, dim + 1)));
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return { data: Float32Array.from(data), rows: n, cols: dim };
}
