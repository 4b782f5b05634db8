import { ArgumentError } from '@varia/core';
import { familyOf, POSTERIOR_FAMILIES, type PosteriorName, PRIOR_FAMILIES, type PriorName } from './latent-registry.js';
import type { PosteriorConfig, PriorConfig, ResolvedPosterior, ResolvedPrior } from './latent-types.js';
import { orDefault } from './config-default.js';
import { showValue } from './show-value.js';

export type { PosteriorConfig, PriorConfig, ResolvedPosterior, ResolvedPrior } from './latent-types.js';

/** The latent part of a VAE config: the posterior q(z|x), the prior p(z) and how q is parameterized. */
export interface LatentConfig {
  /**
   * The family of the posterior q(z|x) (see {@link PosteriorConfig}): `'gaussian'` (diagonal, default),
   * `'full-covariance'`, `{ lowRank: { rank } }`, `{ flow: { kind: 'iaf' | 'realnvp', steps, hiddenUnits } }`,
   * `'dirichlet'`, `'logistic-normal'`, `{ relaxedOneHot: { temperature } }` or `'poisson'`.
   */
  posterior?: PosteriorConfig;
  /** Parameterization of the encoder's σ: `'exp'` (log-variance output, as in PyTorch VAEs; default) or `'softplus'`. */
  encoderScaleTransform?: 'exp' | 'softplus';
  /**
   * The prior p(z) (see {@link PriorConfig}): `'standard-normal'` (default for real latents) or `{ mixture: K }`, a
   * learnable mixture of K Gaussians (its KL has no closed form and is estimated by Monte Carlo); for the other
   * posteriors their own families (`{ dirichlet }`, `{ logisticNormal }`, `{ poisson }`, `'uniform-categorical'`).
   */
  prior?: PriorConfig;
  /**
   * A deterministic autoencoder: the encoder is a point mass δ(z − μ(x)) and training minimizes −log p(x|z)
   * (plus β·(−log p(z)) when β > 0 — the KL of a point mass is infinite, so β defaults to 0 in this mode).
   * Gaussian posterior only. Default false.
   */
  deterministic?: boolean;
}

/** A {@link LatentConfig} with every default filled in. */
export interface ResolvedLatentConfig {
  /** The posterior family and its options. */
  posterior: ResolvedPosterior;
  /** Parameterization of the encoder's σ (Gaussian posteriors). */
  encoderScaleTransform: 'exp' | 'softplus';
  /** The prior p(z). */
  prior: ResolvedPrior;
  /** Whether the encoder is a point mass. */
  deterministic: boolean;
}

/** The latent keys of a VAE config (the config's key check lists them). */
export const LATENT_CONFIG_KEYS = [
  'posterior',
  'encoderScaleTransform',
  'prior',
  'deterministic',
] as const satisfies readonly (keyof LatentConfig)[];

/** The most mixture components of the prior (`CONFIG_LIMITS.maxMixtureComponents`). */
export const MAX_MIXTURE_COMPONENTS = 4096;

/** `{ name: options }` or `'name'` as [name, options]; anything else is an ArgumentError naming `field`. */
function keyed(field: string, v: unknown, names: readonly string[]): [string, unknown] {
  if (typeof v === 'string') return [v, undefined];
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1) return [keys[0]!, (v as Record<string, unknown>)[keys[0]!]];
  }
  throw new ArgumentError(
    field,
    `VAE: "${field}" must be one of ${names.map((n) => `'${n}'`).join(', ')} or { <name>: options }, got ${JSON.stringify(v) ?? showValue(v)}`,
  );
}

function unknownName(field: string, name: string, names: readonly string[]): never {
  throw new ArgumentError(field, `VAE: "${field}" must be one of ${names.join(', ')}, got ${JSON.stringify(name)}`);
}

/**
 * Validates the latent part of a config and fills in its defaults: the posterior family's options, a prior that fits
 * it (its default prior when none is given), and the deterministic mode (Gaussian only).
 * @throws ArgumentError naming the offending field.
 */
export function resolveLatentConfig(config: LatentConfig, latentDim: number): ResolvedLatentConfig {
  const encoderScaleTransform = orDefault(config.encoderScaleTransform, 'exp');
  if (encoderScaleTransform !== 'exp' && encoderScaleTransform !== 'softplus') {
    throw new ArgumentError(
      'encoderScaleTransform',
      `VAE: "encoderScaleTransform" must be exp or softplus, got ${showValue(encoderScaleTransform)}`,
    );
  }
  const posteriorNames = Object.keys(POSTERIOR_FAMILIES);
  const [posteriorName, posteriorOptions] = keyed(
    'posterior',
    orDefault<unknown>(config.posterior, 'gaussian'),
    posteriorNames,
  );
  if (!Object.hasOwn(POSTERIOR_FAMILIES, posteriorName)) unknownName('posterior', posteriorName, posteriorNames);
  const family = POSTERIOR_FAMILIES[posteriorName as PosteriorName];
  const posterior = family.resolve(posteriorOptions, latentDim);
  const minLatentDim = 'minLatentDim' in family ? family.minLatentDim : 1;
  if (latentDim < minLatentDim) {
    throw new ArgumentError(
      'latentDim',
      `VAE: the ${posteriorName} posterior needs "latentDim" ≥ ${minLatentDim} (the number of categories), got ${latentDim}`,
    );
  }

  const priorNames = Object.keys(PRIOR_FAMILIES);
  const [priorName, priorOptions] = keyed('prior', orDefault<unknown>(config.prior, family.priors[0]), priorNames);
  if (!Object.hasOwn(PRIOR_FAMILIES, priorName)) unknownName('prior', priorName, priorNames);
  if (!(family.priors as readonly string[]).includes(priorName)) {
    throw new ArgumentError(
      'prior',
      `VAE: the ${posteriorName} posterior takes the prior ${family.priors.join(' or ')}, got ${JSON.stringify(priorName)}`,
    );
  }
  const prior = PRIOR_FAMILIES[priorName as PriorName].resolve(priorOptions);

  const deterministic = orDefault(config.deterministic, false);
  if (typeof deterministic !== 'boolean') {
    throw new ArgumentError('deterministic', `VAE: "deterministic" must be a boolean, got ${showValue(deterministic)}`);
  }
  if (deterministic && posteriorName !== 'gaussian') {
    throw new ArgumentError(
      'deterministic',
      `VAE: "deterministic" (a point-mass encoder) needs the gaussian posterior, got ${posteriorName}`,
    );
  }
  return { posterior, encoderScaleTransform, prior, deterministic };
}

/** Parameters of the latent module (posterior head and prior) as an upper bound, for `parameterCountBound`. */
export function latentParameterBound(
  c: { latentDim: number; prior: ResolvedPrior; posterior?: ResolvedPosterior },
  encoderOut: number,
): number {
  const posterior = familyOf<PosteriorName>(c.posterior ?? 'gaussian');
  const prior = familyOf<PriorName>(c.prior);
  return (
    POSTERIOR_FAMILIES[posterior.name].parameterBound(posterior.options, encoderOut, c.latentDim) +
    PRIOR_FAMILIES[prior.name].parameterBound(prior.options, c.latentDim)
  );
}
