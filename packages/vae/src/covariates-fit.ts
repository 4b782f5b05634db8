import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, type Matrix } from '@varia/core';
import type { ResolvedCovariate } from './covariates.js';
import { readCovariates } from './covariates-rows.js';
import { type DataInput, toMatrix } from './data.js';
import { FIT_OPTION_NAMES, type FitOptions } from './fit-options.js';
import { assertOptions } from './known-keys.js';
import { isRowSource } from './sources/row-batch-source.js';
import { bindCovariates, type SourceCovariates } from './sources/source-covariates.js';

/** The Trainer's options (the covariates taken out) and the covariate matrices that ride along with the rows. */
export interface FitCovariates {
  /** `options` without `covariates` and `validationCovariates`. */
  options: FitOptions;
  /** Extra batch fields: `{ covariates }` of the training and the validation rows (none without covariates). */
  fields: {
    train?: Readonly<Record<string, Matrix>>;
    validation?: Readonly<Record<string, Matrix>>;
    /** The covariates of a `validationData` batch source (in memory as `validationCovariates`, or carried by its batches). */
    validationSource?: SourceCovariates;
  };
}

/** Rows of data, without reading its values (they are checked by the training path). */
function rowCount(data: unknown, width: number, argument: string): number {
  if (data instanceof tf.Tensor && data.rank >= 1) return data.shape[0]!;
  if (typeof data === 'object' && data !== null) {
    const rows = (data as { rows?: unknown }).rows;
    if (typeof rows === 'number' && 'data' in data && 'cols' in data) return rows;
    const length = (data as { length?: unknown }).length;
    if (typeof length === 'number' && !ArrayBuffer.isView(data)) return length;
  }
  return toMatrix(data as DataInput, width, argument).rows; // throws the data's typed error
}

/**
 * Takes `covariates` / `validationCovariates` out of `VAE.fit`'s options and checks them against the model's
 * declarations and the rows of `data` and `validationData` (with `validationSplit`, the split takes the covariates of
 * its rows along).
 * @throws ArgumentError for an unknown option (did-you-mean over the fit options), covariates missing on a conditional
 *   model or given to an unconditional one, `validationCovariates` without `validationData`; ShapeError / DataError
 *   from `readCovariates` (wrong width or rows, a bad level or value, naming the covariate and row).
 */
export function fitCovariates(
  model: { inputDim: number; covariates: readonly ResolvedCovariate[] },
  data: DataInput,
  options: FitOptions,
): FitCovariates {
  // anything but an options object is the Trainer's error to report
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return { options, fields: {} };
  assertOptions(options, FIT_OPTION_NAMES, 'fit');
  const { covariates, validationCovariates, ...rest } = options;
  const train = readCovariates(model.covariates, covariates, rowCount(data, model.inputDim, 'data'), 'fit');
  let validation: Matrix | undefined;
  let validationSource: SourceCovariates | undefined;
  if (isRowSource(rest.validationData)) {
    validationSource = bindCovariates(rest.validationData, model.covariates, validationCovariates, {
      required: model.covariates.length > 0,
      argument: 'validationCovariates',
      where: 'fit',
    });
  } else if (rest.validationData !== undefined) {
    const rows = rowCount(rest.validationData, model.inputDim, 'validationData');
    validation = readCovariates(model.covariates, validationCovariates, rows, 'fit', {
      argument: 'validationCovariates',
    });
  } else if (validationCovariates !== undefined) {
    throw new ArgumentError(
      'validationCovariates',
      'fit: "validationCovariates" belong to "validationData", which is not given (with "validationSplit" the covariates split with their rows)',
    );
  }
  return {
    options: rest,
    fields: {
      ...(train && { train: { covariates: train } }),
      ...(validation && { validation: { covariates: validation } }),
      ...(validationSource && { validationSource }),
    },
  };
}
