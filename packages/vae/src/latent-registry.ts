import type { Initializer } from '@varia/layers';
import { POSTERIOR_FAMILIES } from './latent-posteriors.js';
import { PRIOR_FAMILIES } from './latent-priors.js';
import type { PosteriorHead, PriorModule, ResolvedPosterior, ResolvedPrior } from './latent-types.js';

export { POSTERIOR_FAMILIES } from './latent-posteriors.js';
export { PRIOR_FAMILIES } from './latent-priors.js';

/** What a posterior head is built from. */
export interface HeadArgs<O> {
  /** The family's resolved options. */
  options: O;
  /** Width of the encoder's features h. */
  inputDim: number;
  /** Width d of z. */
  latentDim: number;
  /** Weight initialisation. */
  init: Initializer;
  /** Seed of the head's weights. */
  seed: number;
  /** The Gaussian head's σ transform. */
  scaleTransform: 'exp' | 'softplus';
  /** A point-mass encoder (Gaussian only). */
  deterministic: boolean;
}

/** One posterior family: its option check, allowed priors (the first is the default), size bound and head. */
export interface PosteriorFamily<O = unknown> {
  /** Allowed prior names; the first is the default. */
  readonly priors: readonly PriorName[];
  /** `'score-function'` for a family without `rsample` whose training needs the estimator said out loud. */
  readonly estimator?: 'score-function';
  /** The least latentDim (2 for simplex and categorical latents). */
  readonly minLatentDim?: number;
  /** Checks the options (ArgumentError naming the field) and fills in their defaults. */
  resolve(options: unknown, latentDim: number): ResolvedPosterior;
  /** An upper bound on the head's parameter count. */
  parameterBound(options: O, inputDim: number, latentDim: number): number;
  /** Builds the head. */
  build(args: HeadArgs<O>): PosteriorHead;
}

/** One prior family. */
export interface PriorFamily<O = unknown> {
  /** Checks the options (ArgumentError naming the field) and fills in their defaults. */
  resolve(options: unknown): ResolvedPrior;
  /** An upper bound on the prior's parameter count. */
  parameterBound(options: O, latentDim: number): number;
  /** Builds the prior (for the posterior it goes with). */
  build(options: O, latentDim: number, seed: number, posterior: ResolvedPosterior): PriorModule;
}

/** A posterior family name. */
export type PosteriorName = keyof typeof POSTERIOR_FAMILIES;
/** A prior family name. */
export type PriorName = keyof typeof PRIOR_FAMILIES;

/** The registered posterior families, by config name (`'gaussian'`, `'flow'`, …). */
export function listPosteriorFamilies(): string[] {
  return Object.keys(POSTERIOR_FAMILIES);
}

/** The registered prior families, by config name (`'standard-normal'`, `'mixture'`, …). */
export function listPriorFamilies(): string[] {
  return Object.keys(PRIOR_FAMILIES);
}

/** The family name and options of a resolved posterior or prior. */
export function familyOf<N extends string>(resolved: ResolvedPosterior | ResolvedPrior): { name: N; options: never } {
  if (typeof resolved === 'string') return { name: resolved as N, options: undefined as never };
  const [name, options] = Object.entries(resolved)[0]!;
  return { name: name as N, options: options as never };
}
