import { ArgumentError, type Matrix, takeRows } from '@varia/core';
import type { ResolvedCovariate } from '../covariates.js';
import { readCovariates } from '../covariates-rows.js';
import { matrixHash } from '../resume-fingerprint.js';

/*
 * How the batches of a sparse, random-access or stream source get their covariate rows (scVI's batch_key on data
 * larger than memory). Two ways, never both: rows held in memory alongside the source (aligned with its examples by
 * index, validated once up front, as `fit(x, { covariates })` does), or the rows each `rows(indices)` call or stream
 * block carries (`{ matrix, covariates }`), validated as they come and named by their row in the whole data. Internal.
 */

/** Reads the covariate rows a batch or block carries: validated [rows, C], or undefined when it has none. */
export type CovariateReader = (
  raw: unknown,
  rows: number,
  rowAt: (k: number) => number,
  what?: string,
) => Matrix | undefined;

/** The covariates of one source for one model (what the checked batches of a source carry). */
export interface SourceCovariates {
  /** The model's declarations (empty for a model without covariates). */
  readonly declarations: readonly ResolvedCovariate[];
  /** Rows held in memory, [source length, C], validated; undefined: from the batches, if any. */
  readonly memory?: Matrix;
  /** Whether every batch needs covariate rows (training a conditional model; encode only when it encodes them). */
  readonly required: boolean;
  /** The option that gives them in memory (`covariates`, `validationCovariates`), named in messages. */
  readonly argument: string;
  /** The caller named in messages (`VAE.fit`, `VAE.encode`, …). */
  readonly where: string;
}

/**
 * Binds a model's covariate declarations to a source: `input` (the in-memory rows given with the source, or
 * undefined) is validated now, one row per example of the source.
 * @throws ArgumentError for rows given with a source without random access (a stream: its blocks carry them) or to
 *   a model without covariates, or none given where they are required and the batches cannot carry them (a sparse
 *   matrix); ShapeError / DataError of `readCovariates` (wrong width or row count, a bad level or
 *   value, naming the covariate and row).
 */
export function bindCovariates(
  source: { readonly length?: number; subset?: unknown; readonly carriesCovariates: boolean; constructor: unknown },
  declarations: readonly ResolvedCovariate[],
  input: unknown,
  options: { required: boolean; argument: string; where: string },
): SourceCovariates {
  const binding = { declarations, ...options };
  if (input === undefined && options.required && !source.carriesCovariates) {
    throw new ArgumentError(
      options.argument,
      `${options.where}: this model is conditioned on covariates (${declarations.map((d) => d.name).join(', ')}), and the batches of a ${(source.constructor as { name: string }).name} carry none: pass { ${options.argument} } with one row per example of the source`,
    );
  }
  if (input === undefined) return binding;
  if (source.length === undefined || source.subset === undefined) {
    throw new ArgumentError(
      options.argument,
      `${options.where}: "${options.argument}" cannot be given with a StreamSource (its order is the stream's): let each block carry its rows, { matrix, covariates }`,
    );
  }
  const memory = readCovariates(declarations, input, source.length, options.where, { argument: options.argument });
  return memory ? { ...binding, memory } : binding;
}

/** The covariates of the examples `rows` of the source (a subset, e.g. of `validationSplit`): rows and covariates stay aligned. */
export function subsetCovariates(c: SourceCovariates, rows: Int32Array): SourceCovariates {
  return c.memory ? { ...c, memory: takeRows(c.memory, rows) } : c;
}

/** A hash of the in-memory covariate rows (a checkpoint is tied to them), or '' when there are none. */
export function covariatesFingerprint(c: SourceCovariates | undefined): string {
  return c?.memory ? `,covariates:${matrixHash(c.memory)}` : '';
}

/**
 * Reads what a callback or block carries: validated against the declarations (messages name `what`, or the block the
 * source names, and the row in
 * the whole data); rows carried while rows are held in memory, and batches without rows where they are required, are
 * refused.
 * @throws ArgumentError for covariates given twice, given to a model without covariates, or missing where required;
 *   ShapeError / DataError of `readCovariates`.
 */
export function covariateReader(c: SourceCovariates, what: string): CovariateReader {
  return (raw, rows, rowAt, block = what) => {
    if (raw === undefined) {
      if (c.required && !c.memory) {
        const names = c.declarations.map((d) => d.name).join(', ');
        throw new ArgumentError(
          c.argument,
          `${c.where}: this model is conditioned on covariates (${names}), but ${block} gave rows without them: return { matrix, covariates }, or pass { ${c.argument} } with one row per example of the source`,
        );
      }
      return undefined;
    }
    if (c.memory) {
      throw new ArgumentError(
        c.argument,
        `${c.where}: covariates given twice: as "${c.argument}" and by ${block}; give them one way`,
      );
    }
    return readCovariates(c.declarations, raw, rows, `${c.where}: ${block}`, { argument: 'covariates', rowAt });
  };
}

/** Copies the in-memory covariate rows at `positions` (rows of the source) into `out` ([positions.length, C]). */
export function gatherCovariates(memory: Matrix, positions: Int32Array, out: Float32Array): Float32Array {
  const cols = memory.cols;
  const data = out.subarray(0, positions.length * cols);
  for (let k = 0; k < positions.length; k++) {
    const i = positions[k]!;
    data.set(memory.data.subarray(i * cols, (i + 1) * cols), k * cols);
  }
  return data;
}
