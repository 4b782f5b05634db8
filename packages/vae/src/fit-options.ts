import type { CovariateInput } from './covariates.js';
import type { DataInput } from './data.js';
import type { RowBatchSource } from './sources/row-batch-source.js';
import type { BatchLogs, TrainingLog } from './trainer/callback.js';
import type { TrainingHistory } from './trainer/trainer.js';
import { TRAINER_OPTION_NAMES, type TrainerOptions } from './trainer/trainer-options.js';

/** One epoch's metrics of `VAE.fit` (nats per example, averaged over the epoch's examples). */
export interface EpochLog extends TrainingLog {
  /** Mean E_q[log p(x|z)] on the training batches. */
  reconstruction: number;
  /** Mean KL(q(z|x) ‖ p(z)) on the training batches. */
  kl: number;
  /** The gradient estimator of the ELBO's expectation (`'reparam'` for the Gaussian posterior). */
  estimator: string;
}

/** Progress after each batch of `VAE.fit` (no tensor reads: cheap). */
export interface BatchInfo extends BatchLogs {
  /** Batches per epoch. */
  batches: number;
}

/**
 * Options of `VAE.fit`: the Trainer's options ({@link TrainerOptions}) with the validation data given as rows, a
 * matrix or a tensor (checked like the training data), and the covariate rows of a conditional model.
 */
export interface FitOptions extends TrainerOptions<EpochLog, DataInput | RowBatchSource, BatchInfo> {
  /**
   * Conditional models: the covariate rows of the training data, one per example (see {@link CovariateInput}).
   * They travel with their rows through shuffling and `validationSplit` (batch field `covariates`). With a
   * `SparseBatchSource` or `RandomAccessSource`: one per example of the source, or none when its batches carry them.
   */
  covariates?: CovariateInput;
  /** Conditional models: the covariate rows of `validationData`, one per example. */
  validationCovariates?: CovariateInput;
}

/** The result of `VAE.fit`. */
export interface History extends TrainingHistory<EpochLog> {}

/** Every option `fit` knows (an unknown key is an ArgumentError with a "did you mean" hint). */
export const FIT_OPTION_NAMES = [...TRAINER_OPTION_NAMES, 'covariates', 'validationCovariates'] as const;
