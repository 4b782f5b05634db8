import type * as tf from '@tensorflow/tfjs-core';
import type { InStepAdam } from '@varia/layers';

/**
 * One training batch: aligned row blocks by field name, e.g. `{ x: [b, D], covariates: [b, C], labels: [b, K] }`.
 * Row i of every field belongs to the same example. The Trainer owns the tensors and disposes them after the step.
 */
export type Batch = Readonly<Record<string, tf.Tensor2D>>;

/** What a step (or an evaluation) tells the model's {@link TrainableModel.lossTerms}. */
export interface StepContext {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based global step (steps completed before this one); during evaluation, the steps completed so far. */
  step: number;
  /** The KL weight β of this step (β × warm-up/annealing schedule); 1 during evaluation. */
  beta: number;
  /** The seed of this step's random draws (a fresh one every step, reproducible from the run's seed). */
  seed: number;
  /** Samples of z per example the loss should average over (the `samples` option); 1 during evaluation. */
  samples: number;
  /** Free bits λ per latent dimension (nats); 0 during evaluation. */
  freeBits: number;
  /** True for a training step, false for validation (dropout off, batch-norm running statistics). */
  training: boolean;
  /**
   * What the run's `sparseInput` option asks of a training step (absent when it is off, and in evaluation): run the
   * first layer of the encoder from the batch's non-zero entries — `true` always, `'auto'` when the batch is sparse
   * enough. A model that does so reports it in {@link LossTerms.sparseInput}; others may ignore it.
   */
  sparseInput?: true | 'auto';
  /**
   * Offered to {@link TrainableModel.fusedGradients} only (absent elsewhere, and where the optimizer or backend cannot
   * do it): this step's Adam update, to apply to a variable as soon as its gradient is known — `update([w], [g])`, or
   * a kernel of the model's own that updates w and its `moments(w)` in place with `numbers`, then `markUpdated([w])`.
   * Adam is elementwise, so the result is the same bits as the Trainer's update after the step, provided nothing the
   * step computes afterwards reads w. A model that uses it names those variables in {@link FusedGradients.updated}.
   */
  inStepAdam?: InStepAdam;
}

/**
 * The per-batch terms a model returns: scalars, means over the batch's examples (nats per example).
 *
 * `loss` is what the optimizer minimizes, typically −ELBO = −reconstruction + β·KL. `reconstruction`
 * (E_q[log p(x|z)]) and `kl` (KL(q‖p)) are reported in the history when given. Every tensor is created inside the
 * Trainer's gradient scope and freed by it: return fresh tensors, keep none.
 */
export interface LossTerms {
  /** The scalar to minimize (its gradient trains every variable of {@link TrainableModel.namedVariables}). */
  loss: tf.Scalar;
  /** Mean E_q[log p(x|z)] over the batch (reported, not differentiated). */
  reconstruction?: tf.Scalar;
  /** Mean KL(q(z|x) ‖ p(z)) over the batch (reported, not differentiated). */
  kl?: tf.Scalar;
  /**
   * The gradient estimator the loss used (`'reparam'`, `'score-function'`, `'enumerate'`; what `@varia/losses`
   * objectives report as `estimator`). Recorded in the history; absent means `'reparam'`.
   */
  estimator?: string;
  /** The score-function baseline used (`'moving-average'`, `'learned'`, `'leave-one-out'`, …), when one is. */
  baseline?: string;
  /** True when the step ran its encoder's first layer from the batch's non-zeros ({@link StepContext.sparseInput}). */
  sparseInput?: boolean;
}

/**
 * What {@link TrainableModel.fusedGradients} returns for a training step: the step's terms and, for every trained
 * variable, either the gradient of `terms.loss` or its name in `updated` (updated during the step through
 * {@link StepContext.inStepAdam}) — exactly one of the two. The Trainer owns every tensor in it and frees them after
 * the update.
 */
export interface FusedGradients {
  /** The step's loss terms, exactly as {@link TrainableModel.lossTerms} would return them for the same batch and ctx. */
  terms: LossTerms;
  /**
   * ∂ terms.loss / ∂θ by the names of {@link TrainableModel.namedVariables}: one for every variable not in `updated`,
   * of its shape.
   */
  grads: ReadonlyMap<string, tf.Tensor>;
  /**
   * The names of the variables the step updated itself through {@link StepContext.inStepAdam} (they take no gradient).
   * Absent or empty when it updated none.
   */
  updated?: ReadonlySet<string>;
}

/**
 * What a model gives the Trainer: its trainable variables and its per-batch loss. Anything that implements it — the
 * built-in VAE, a hierarchical VAE, a semi-supervised M2 model, a model written from scratch — gets validation,
 * early stopping, checkpoints with exact resume, abort, KL warm-up and the divergence guard from `fitModel`.
 *
 * @example
 * ```ts
 * const model: TrainableModel = {
 *   namedVariables: () => new Map([['w', w]]),
 *   lossTerms: (batch, ctx) => {
 *     const out = negativeElbo(myInputs(batch.x), { beta: ctx.beta, samples: ctx.samples, seed: ctx.seed });
 *     return out; // { loss, reconstruction, kl, estimator }
 *   },
 * };
 * ```
 */
export interface TrainableModel {
  /**
   * The variables the optimizer trains, by stable name (names key checkpoints: keep them the same across runs).
   * Asked once per `fitModel` call.
   */
  namedVariables(): Map<string, tf.Variable>;
  /**
   * The loss of one batch. Called inside the optimizer's gradient scope for training steps (`ctx.training` true),
   * inside `tf.tidy` for evaluation. Must be a pure function of the variables, the batch and `ctx` (plus
   * {@link TrainableModel.stateVariables}), so that a run is reproducible from its seed and a resumed run continues
   * the checkpointed one exactly. It may be called more often than once per batch: after each epoch's last step the
   * divergence guard calls it once more on that batch (with the state kept unchanged) to check the weights the step
   * produced, and validation calls it on the validation batches — so count batches in a callback, not here.
   */
  lossTerms(batch: Batch, ctx: StepContext): LossTerms;
  /**
   * Optional: a training step computed without the gradient tape — the same loss terms as `lossTerms(batch, ctx)`
   * and the gradients the tape would give for them, bit for bit (a model typically replays the kernels its generic
   * path runs; the built-in MLP VAE does). Return `undefined` to take the generic path (`lossTerms` under the
   * optimizer's gradient scope) for this step. The Trainer applies the gradients with the optimizer, as `minimize`
   * would, and records the terms as usual. Not called when `fit` is given `fusedStep: false`. Must free everything
   * it makes besides what it returns, also when it throws. The returned tensors must be alive: a Map of gradients
   * built inside `tf.tidy` loses them when the tidy ends (tidy keeps only tensors it can see in its return value, and
   * it does not look into a Map) — build the Map outside, or `tf.keep` each gradient. Where `ctx.inStepAdam` is offered
   * the step may update variables itself as their gradients become known (see {@link StepContext.inStepAdam}); it must
   * then not return `undefined`, and a step that throws after such updates leaves them applied (the fit fails).
   */
  fusedGradients?(batch: Batch, ctx: StepContext): FusedGradients | undefined;
  /**
   * Optional, beside {@link TrainableModel.fusedGradients}: the loss alone of `lossTerms(batch, ctx)` for a training
   * context, computed without the tape and bit for bit the same — what the divergence guard's check after each epoch's
   * last step needs, as a forward pass instead of the generic path's. Return `undefined` to have `lossTerms` compute
   * it. Not called when `fit` is given `fusedStep: false`. The Trainer owns the returned scalar; everything else it
   * makes must be freed, also when it throws.
   */
  fusedLoss?(batch: Batch, ctx: StepContext): tf.Scalar | undefined;
  /** Switches training/inference behaviour (dropout, batch normalization); called around training and evaluation. */
  setTraining?(training: boolean): void;
  /**
   * Non-trainable state that training changes: a score-function baseline's moving average, batch-norm running
   * statistics. Saved in checkpoints, restored on resume and rolled back with the weights when the divergence guard
   * fires. Asked once per `fitModel` call.
   */
  stateVariables?(): Map<string, tf.Variable>;
  /**
   * What identifies the model for resume (its architecture/config as JSON): a checkpoint written by a model with
   * another fingerprint is refused. Default: the names and shapes of the variables.
   */
  fingerprint?(): Record<string, unknown>;
}
