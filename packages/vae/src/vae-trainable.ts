import type * as tf from '@tensorflow/tfjs-core';
import { negativeElbo, type VariationalInputs } from '@varia/losses';
import { isReplayable } from './fused-step/builtin-methods.js';
import { denseKernelsDirect } from './fused-step/dense-chain.js';
import { KernelRunner } from './fused-step/kernel-runner.js';
import { mlpVaeLayout } from './fused-step/mlp-vae-layout.js';
import { FUSED_STEP_KERNELS, fusedMlpVaeStep } from './fused-step/mlp-vae-step.js';
import type { LatentModule } from './latent.js';
import { configFingerprint } from './resume-fingerprint.js';
import { sparseInputStep } from './sparse-input-training.js';
import type { Batch, StepContext, TrainableModel } from './trainer/trainable-model.js';

/** What the adapter needs from a VAE (the `VAE` class has it). */
export interface VaeLike {
  /** The model's config: a checkpoint is tied to it (without what `fit` records from the data). */
  readonly config: object;
  /** The trained variables by stable name. */
  namedVariables(): Map<string, tf.Variable>;
  /**
   * q(z|x), p(z) and p(x|z) of a batch; `covariates` when the model is conditional; `step` anneals temperatures;
   * `sparseInput` (given only where the encoder is the built-in MLP and the backend has the kernels) runs the
   * encoder's first layer from x's non-zeros, as `VAE.variationalInputs` does — the step then reports that it did.
   */
  variationalInputs(
    x: tf.Tensor,
    options?: { covariates?: tf.Tensor; step?: number; sparseInput?: boolean },
  ): VariationalInputs;
  /** The latent part: its objective options (a Poisson latent's estimator and baseline) and baseline state. */
  readonly latent?: Pick<LatentModule, 'objectiveOptions' | 'stateVariables'>;
  /** All non-trainable state (batch-norm moving statistics of user networks, the latent's baseline state). */
  stateVariables?(): Map<string, tf.Variable>;
  /** Training/inference mode of user networks (dropout, batch normalization). */
  setTraining?(training: boolean): void;
  /** The encoder network: when it is the built-in MLP (with the decoder), training steps may run fused. */
  readonly encoder?: unknown;
  /** The decoder's hidden network. */
  readonly decoder?: unknown;
  /** The likelihood head p(x|z) (its σ parameterization decides whether a Gaussian likelihood's steps run fused). */
  readonly likelihoodHead?: unknown;
}

/**
 * The tape-free training step of a built-in MLP VAE (see {@link mlpVaeLayout} for which ones) and its forward pass
 * alone (the loss), or undefined. They run where the active backend has the native dense kernels
 * (`@varia/native-kernels`: wasm-native) and fall back to the generic path, step by step, everywhere else.
 */
function fusedStepOf(vae: VaeLike): Pick<TrainableModel, 'fusedGradients' | 'fusedLoss'> | undefined {
  const layout = mlpVaeLayout(vae);
  if (!layout) return undefined;
  // a runner per step: it looks the kernels up as registered now (native kernels may be enabled or disabled between
  // steps), once each, which costs a map look-up per kernel name
  const step = (batch: Batch, ctx: StepContext, lossOnly: boolean) => {
    // the VAE's own forward pass: an override (subclass or instance) takes the taped path, which calls it
    if (!isReplayable(vae.variationalInputs)) return undefined;
    const runner = denseKernelsDirect() ? KernelRunner.forKernels(FUSED_STEP_KERNELS) : undefined;
    if (!runner) return undefined;
    // the zero-skipping kernels are needed only for a step that runs them (sparseInputStep checks they are there)
    const sparse = sparseInputStep(vae.encoder, batch.x, ctx.sparseInput);
    return fusedMlpVaeStep(layout, batch, ctx, runner, sparse, lossOnly);
  };
  return {
    fusedGradients: (batch, ctx) => step(batch, ctx, false),
    fusedLoss: (batch, ctx) => step(batch, ctx, true)?.terms.loss,
  };
}

/**
 * The VAE as a {@link TrainableModel}: the batch's `x` (and `covariates`, when the batch has them) go to
 * `variationalInputs`, and the loss is `negativeElbo` with the step's β, samples, free bits and seed — the loss,
 * reconstruction, KL and estimator the history records. Checkpoints are tied to the model's config. A built-in MLP VAE
 * also gets `fusedGradients` and `fusedLoss`: the same steps and losses, bit for bit, without the tape (off with
 * `fit`'s `fusedStep: false`).
 * A training step whose context carries `sparseInput` (`fit`'s option) runs the encoder's first layer from the batch's
 * non-zeros where the encoder and backend can, on either path, and its terms say `sparseInput: true`.
 */
export function vaeTrainable(vae: VaeLike): TrainableModel {
  const state = vae.stateVariables?.() ?? vae.latent?.stateVariables();
  const fused = fusedStepOf(vae);
  return {
    ...fused,
    namedVariables: () => vae.namedVariables(),
    lossTerms: (batch, ctx) => {
      const x = batch.x!;
      const sparse = sparseInputStep(vae.encoder, x, ctx.sparseInput);
      const options = { step: ctx.step, ...(sparse ? { sparseInput: true } : {}) };
      const inputs = batch.covariates
        ? vae.variationalInputs(x, { covariates: batch.covariates, ...options })
        : vae.variationalInputs(x, options);
      const terms = negativeElbo(inputs, {
        beta: ctx.beta,
        samples: ctx.samples,
        freeBits: ctx.freeBits,
        seed: ctx.seed,
        // the latent's estimator and (in training steps) its score-function baseline; {} for reparameterized latents
        ...vae.latent?.objectiveOptions(ctx.training),
      });
      return sparse ? { ...terms, sparseInput: true } : terms;
    },
    // a score-function baseline's moving average: checkpointed, restored on resume, rolled back by the guard
    ...(state && state.size > 0 ? { stateVariables: () => state } : {}),
    fingerprint: () => configFingerprint(vae.config),
    ...(vae.setTraining ? { setTraining: (training: boolean) => vae.setTraining?.(training) } : {}),
  };
}
