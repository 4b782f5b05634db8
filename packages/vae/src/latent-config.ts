import { ArgumentError } from '@varia/core';
import { showValue } from './show-value.js';

/** The prior of a VAE: the standard normal, or a learnable mixture of `mixture` Gaussians. */
export type PriorConfig =
  | 'standard-normal'
  | {
      /** Number K of mixture components. */
      mixture: number;
    };

/** The latent part of a VAE config: the posterior q(z|x), the prior p(z) and how q is parameterized. */
export interface LatentConfig {
  /** Parameterization of the encoder's σ: `'exp'` (log-variance output, as in PyTorch VAEs; default) or `'softplus'`. */
  encoderScaleTransform?: 'exp' | 'softplus';
  /**
   * The prior p(z): `'standard-normal'` (default) or `{ mixture: K }`, a learnable mixture of K Gaussians
   * (its KL has no closed form and is estimated by Monte Carlo).
   */
  prior?: PriorConfig;
  /**
   * A deterministic autoencoder: the encoder is a point mass δ(z − μ(x)) and training minimizes −log p(x|z)
   * (plus β·(−log p(z)) when β > 0 — the KL of a point mass is infinite, so β defaults to 0 in this mode).
   * Default false.
   */
  deterministic?: boolean;
}

/** A {@link LatentConfig} with every default filled in. */
export interface ResolvedLatentConfig {
  /** Parameterization of the encoder's σ. */
  encoderScaleTransform: 'exp' | 'softplus';
  /** The prior p(z). */
  prior: PriorConfig;
  /** Whether the encoder is a point mass. */
  deterministic: boolean;
}

/** The latent keys of a VAE config (the config's key check lists them). */
export const LATENT_CONFIG_KEYS = [
  'encoderScaleTransform',
  'prior',
  'deterministic',
] as const satisfies readonly (keyof LatentConfig)[];

/** The most mixture components of the prior (`CONFIG_LIMITS.maxMixtureComponents`). */
export const MAX_MIXTURE_COMPONENTS = 4096;

/**
 * Validates the latent part of a config and fills in its defaults.
 * @throws ArgumentError naming the offending field.
 */
export function resolveLatentConfig(config: LatentConfig): ResolvedLatentConfig {
  const encoderScaleTransform = config.encoderScaleTransform ?? 'exp';
  if (encoderScaleTransform !== 'exp' && encoderScaleTransform !== 'softplus') {
    throw new ArgumentError(
      'encoderScaleTransform',
      `VAE: "encoderScaleTransform" must be exp or softplus, got ${showValue(encoderScaleTransform)}`,
    );
  }
  const prior = config.prior ?? 'standard-normal';
  if (
    prior !== 'standard-normal' &&
    !(typeof prior === 'object' && prior !== null && Number.isInteger(prior.mixture) && prior.mixture >= 1)
  ) {
    throw new ArgumentError(
      'prior',
      `VAE: "prior" must be 'standard-normal' or { mixture: K } with K a positive integer, got ${JSON.stringify(prior)}`,
    );
  }
  if (typeof prior === 'object' && prior.mixture > MAX_MIXTURE_COMPONENTS) {
    throw new ArgumentError(
      'prior',
      `VAE: "prior" has ${prior.mixture} mixture components, above the limit of ${MAX_MIXTURE_COMPONENTS}`,
    );
  }
  const deterministic = config.deterministic ?? false;
  if (typeof deterministic !== 'boolean') {
    throw new ArgumentError('deterministic', `VAE: "deterministic" must be a boolean, got ${showValue(deterministic)}`);
  }
  return {
    encoderScaleTransform,
    prior: typeof prior === 'object' ? { mixture: prior.mixture } : prior,
    deterministic,
  };
}

/** Parameters of the latent module (encoder head and prior) as an upper bound, for `parameterCountBound`. */
export function latentParameterBound(c: { latentDim: number; prior: PriorConfig }, encoderOut: number): number {
  const components = typeof c.prior === 'object' ? c.prior.mixture : 0;
  return 2 * (encoderOut * c.latentDim + c.latentDim) + components * (2 * c.latentDim + 1);
}
