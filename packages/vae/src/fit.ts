import type { Matrix, VariaError } from '@varia/core';
import { assertGradientsRegistered } from '@varia/distributions';
import type { FitCovariates } from './covariates-fit.js';
import { type DataDomain, type DataInput, type DataRules, readData } from './data.js';
import type { FitOptions, History } from './fit-options.js';
import { isRowSource } from './sources/row-batch-source.js';
import { MatrixBatchSource } from './trainer/batch-source.js';
import { runTraining } from './trainer/trainer.js';
import { resolveTrainerOptions } from './trainer/trainer-options.js';
import { type VaeLike, vaeTrainable } from './vae-trainable.js';

export type { BatchInfo, EpochLog, FitOptions, History } from './fit-options.js';
export type { TrainingState } from './trainer/training-state.js';

/** What {@link trainModel} needs from a model (the `VAE` class). */
export interface FittableModel extends VaeLike {
  readonly config: { inputDim: number; likelihood: string; deterministic?: boolean };
  readonly likelihood: { domain: DataDomain; validate?(m: Matrix): void };
  /** Called once with the validated training data (the part left after a validation split), before training. */
  onTrainingData?(train: Matrix): void;
}

export { assertGradientsRegistered };

/**
 * `VAE.fit` on the Trainer: checks the options, then the data (type, width, likelihood domain) at the boundary before
 * any state changes, and trains the VAE's {@link vaeTrainable} adapter on an in-memory source of the rows `x` (plus
 * `fields`, e.g. `covariates`, row-aligned with the data and already checked by the caller).
 */
export async function trainModel(
  model: FittableModel,
  data: DataInput,
  options: FitOptions = {},
  control: { stopError?(): VariaError | undefined } = {},
  fields: FitCovariates['fields'] = {},
): Promise<History> {
  assertGradientsRegistered();
  const o = resolveTrainerOptions(options, model.config);
  const rules: DataRules = {
    domain: model.likelihood.domain,
    likelihood: model.config.likelihood,
    validate: model.likelihood.validate,
  };
  const x = readData(data, model.config.inputDim, rules, 'data');
  const v = o.validationData;
  const validationData =
    v === undefined
      ? undefined
      : isRowSource(v) // a sparse, random-access or stream source, checked batch by batch
        ? v.checkedBy(rules, 'validationData', fields.validationSource)
        : new MatrixBatchSource({
            x: readData(v, model.config.inputDim, rules, 'validationData'),
            ...fields.validation,
          });
  return runTraining(
    vaeTrainable(model),
    new MatrixBatchSource({ x, ...fields.train }),
    { ...o, validationData },
    {
      ...control,
      onTrainingData: (train) => model.onTrainingData?.((train as MatrixBatchSource).field('x')),
    },
  ) as Promise<History>;
}
