// Covariate declarations: their types, size limits, and the feature widths and parameter counts they imply.
import type * as tf from '@tensorflow/tfjs-core';
import type { Matrix } from '@varia/core';

/**
 * How a categorical covariate enters a network: `'one-hot'` (one column per level, scVI's encoding) or
 * `{ embedding: dim }` (a trainable table of `levels × dim` values, saved with the model; one row per level).
 */
export type CategoricalEncoding =
  | 'one-hot'
  | {
      /** Width of the embedding: each level is a trainable vector of this many values. */
      embedding: number;
    };

/**
 * One covariate of a conditional model: a categorical one (an experimental batch, a digit label) whose value in a row
 * is a level index 0 … levels − 1, or a continuous one (a dose, a log library size) whose value is a finite number.
 */
export type CovariateSpec =
  | {
      /** Name of the covariate (unique in the model; a key of the covariate record). */
      name: string;
      /** A categorical covariate. */
      kind: 'categorical';
      /** Number of levels L ≥ 1: a row's value is an integer level 0 … L − 1. */
      levels: number;
      /** One-hot (default) or a learned embedding. See {@link CategoricalEncoding}. */
      encoding?: CategoricalEncoding;
    }
  | {
      /** Name of the covariate (unique in the model; a key of the covariate record). */
      name: string;
      /** A continuous covariate, fed to the networks as it is (standardize it first). */
      kind: 'continuous';
    };

/** A {@link CovariateSpec} with the defaults filled in (what a saved model stores). */
export type ResolvedCovariate =
  | {
      /** Name of the covariate. */
      name: string;
      /** A categorical covariate. */
      kind: 'categorical';
      /** Number of levels L. */
      levels: number;
      /** How it enters the networks. */
      encoding: CategoricalEncoding;
    }
  | {
      /** Name of the covariate. */
      name: string;
      /** A continuous covariate. */
      kind: 'continuous';
    };

/** Where the covariates of a {@link CovariateSpec} list enter the decoder: its first layer, or every hidden layer. */
export type CovariateInjection = 'first' | 'all';

/**
 * The covariates of a batch, one row per example: a matrix [n, C] (a {@link Matrix}, a 2-D tensor or rows of numbers)
 * whose column j holds the j-th declared covariate (a level index for a categorical one, a value for a continuous
 * one), or a record by name `{ batch: [0, 1, …], dose: [0.5, …] }` of one column of n numbers per covariate.
 */
export type CovariateInput =
  | Matrix
  | tf.Tensor2D
  | ArrayLike<ArrayLike<number>>
  | Readonly<Record<string, ArrayLike<number>>>;

/** Size limits of covariate declarations, checked by the model's constructor (and so by `load`). */
export const COVARIATE_LIMITS = {
  /** The most covariates of one model. */
  maxCovariates: 1024,
  /** The most levels of a categorical covariate, and the widest embedding: 2²⁰. */
  maxLevels: 2 ** 20,
  /** The widest covariate feature vector (one-hot levels + embedding widths + continuous covariates): 2²⁰. */
  maxFeatureWidth: 2 ** 20,
  /** The longest covariate name. */
  maxNameLength: 256,
} as const;

/** Columns one covariate adds to a network's input: L (one-hot), the embedding width, or 1 (continuous). */
export function featureWidthOf(c: ResolvedCovariate): number {
  if (c.kind === 'continuous') return 1;
  return c.encoding === 'one-hot' ? c.levels : c.encoding.embedding;
}

/** The width F of the covariate feature vector: the sum of {@link featureWidthOf} over the covariates. */
export function covariateFeatureWidth(covariates: readonly ResolvedCovariate[]): number {
  return covariates.reduce((sum, c) => sum + featureWidthOf(c), 0);
}

/** Parameters of the embedding tables (Σ levels × dim over embedded covariates). */
export function embeddingParameters(covariates: readonly ResolvedCovariate[]): number {
  return covariates.reduce(
    (sum, c) => sum + (c.kind === 'categorical' && c.encoding !== 'one-hot' ? c.levels * c.encoding.embedding : 0),
    0,
  );
}

/**
 * An upper bound on the parameters the covariates add to a model: F extra input rows in every layer that may read
 * them (each hidden layer, the encoder's head — counted for up to four outputs — and the likelihood head's up to three
 * outputs when a network has no hidden layer), plus the embedding tables.
 */
export function covariateParameterBound(c: {
  inputDim: number;
  latentDim: number;
  encoderUnits: readonly number[];
  decoderUnits: readonly number[];
  covariates?: readonly ResolvedCovariate[];
  encodeCovariates?: boolean;
}): number {
  const covariates = c.covariates ?? [];
  const width = covariateFeatureWidth(covariates);
  const sum = (units: readonly number[]) => units.reduce((s, u) => s + u, 0);
  const encoder = c.encodeCovariates ? sum(c.encoderUnits) + 4 * c.latentDim : 0;
  const decoder = sum(c.decoderUnits) + 3 * c.inputDim;
  return width * (encoder + decoder) + embeddingParameters(covariates);
}

/**
 * A lower bound on the weights that covariate declarations read from a file imply, for the size check of untrusted
 * files (before anything is built): the embedding tables plus the F extra input rows of the decoder's first layer
 * (`firstUnits` wide), which every conditional model has. Malformed declarations count 0 (the config check refuses
 * them).
 */
export function savedCovariateWeights(declarations: unknown, firstUnits: number): number {
  if (!Array.isArray(declarations) || declarations.length > COVARIATE_LIMITS.maxCovariates) return 0;
  const count = (v: unknown): number =>
    typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= COVARIATE_LIMITS.maxLevels ? v : 0;
  let width = 0;
  let tables = 0;
  for (const d of declarations as { kind?: unknown; levels?: unknown; encoding?: unknown }[]) {
    if (d?.kind === 'continuous') width += 1;
    if (d?.kind !== 'categorical') continue;
    const levels = count(d.levels);
    const dim =
      typeof d.encoding === 'object' && d.encoding !== null
        ? count((d.encoding as { embedding?: unknown }).embedding)
        : 0;
    width += dim > 0 ? dim : levels;
    tables += levels * dim;
  }
  return width * firstUnits + tables;
}
