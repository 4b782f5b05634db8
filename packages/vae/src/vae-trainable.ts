import type * as tf from '@tensorflow/tfjs-core';
import { negativeElbo, type VariationalInputs } from '@varia/losses';
import { configFingerprint } from './resume-fingerprint.js';
import type { TrainableModel } from './trainer/trainable-model.js';

/** What the adapter needs from a VAE (the `VAE` class has it). */
export interface VaeLike {
  readonly config: object;
  namedVariables(): Map<string, tf.Variable>;
  /** q(z|x), p(z) and p(x|z) of a batch; `covariates` when the model is conditional. */
  variationalInputs(x: tf.Tensor, options?: { covariates?: tf.Tensor }): VariationalInputs;
}

/**
 * The VAE as a {@link TrainableModel}: the batch's `x` (and `covariates`, when the batch has them) go to
 * `variationalInputs`, and the loss is `negativeElbo` with the step's β, samples, free bits and seed — the loss,
 * reconstruction, KL and estimator the history records. Checkpoints are tied to the model's config.
 */
export function vaeTrainable(vae: VaeLike): TrainableModel {
  return {
    namedVariables: () => vae.namedVariables(),
    lossTerms: (batch, ctx) => {
      const x = batch.x!;
      const inputs = batch.covariates
        ? vae.variationalInputs(x, { covariates: batch.covariates })
        : vae.variationalInputs(x);
      return negativeElbo(inputs, { beta: ctx.beta, samples: ctx.samples, freeBits: ctx.freeBits, seed: ctx.seed });
    },
    fingerprint: () => configFingerprint(vae.config),
  };
}
