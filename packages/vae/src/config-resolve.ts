// Validation of a VAE config and its defaults: what `new VAE(config)` and `load` run before anything is allocated.
import { ArgumentError } from '@varia/core';
import type { Initializer } from '@varia/layers';
import { assertActivation, HEAD_PARAMETERS } from '@varia/layers';
import type { ResolvedVAEConfig, VAEConfig } from './config.js';
import { orDefault } from './config-default.js';
import { CONFIG_LIMITS, parameterCountBound } from './config-limits.js';
import { resolveCovariates } from './covariates-resolve.js';
import { assertOptions } from './known-keys.js';
import { LATENT_CONFIG_KEYS, resolveLatentConfig } from './latent-config.js';
import { type CustomLikelihood, getLikelihood, likelihoodSpec, listLikelihoods } from './likelihood-registry.js';
import { NETWORK_CONFIG_KEYS, resolveNetworkConfig } from './networks.js';
import { showValue } from './show-value.js';

/** The bounds on a layers-model topology in a config, from {@link CONFIG_LIMITS}. */
const TOPOLOGY_LIMITS = {
  maxLayers: CONFIG_LIMITS.maxLayers,
  maxUnits: CONFIG_LIMITS.maxUnits,
  maxKernelSize: CONFIG_LIMITS.maxKernelSize,
  maxActivationValues: CONFIG_LIMITS.maxActivationValues,
  maxParameters: CONFIG_LIMITS.maxParameters,
  maxDepth: CONFIG_LIMITS.maxNetworkDepth,
};

/** Every key a {@link VAEConfig} may have. */
const CONFIG_KEYS = [
  'inputDim',
  'latentDim',
  'hiddenUnits',
  'encoderUnits',
  'decoderUnits',
  'likelihood',
  'likelihoodHead',
  'activation',
  'observationScale',
  'librarySize',
  'librarySizeMedian',
  'inputTransform',
  ...LATENT_CONFIG_KEYS,
  ...NETWORK_CONFIG_KEYS,
  'init',
  'seed',
  'covariates',
  'encodeCovariates',
  'injectCovariates',
] as const satisfies readonly (keyof VAEConfig)[];
// Every key of VAEConfig is listed above (a compile error names the one missing).
const everyKeyListed: Record<Exclude<keyof VAEConfig, (typeof CONFIG_KEYS)[number]>, never> = {};
void everyKeyListed;

const SCALE_MODES = ['learned-scalar', 'learned-per-feature', 'amortized'] as const;
const INITIALIZERS: readonly Initializer[] = ['torch', 'glorot-uniform', 'he-normal', 'zeros'];

function positiveInteger(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ArgumentError(name, `VAE: "${name}" must be a positive integer, got ${showValue(v)}`);
  }
  return v;
}

function units(name: string, v: unknown): number {
  const u = positiveInteger(name, v);
  if (u > CONFIG_LIMITS.maxUnits) {
    throw new ArgumentError(
      name,
      `VAE: "${name}" is ${u}, above the limit of ${CONFIG_LIMITS.maxUnits} units per layer (CONFIG_LIMITS.maxUnits)`,
    );
  }
  return u;
}

function unitList(name: string, v: unknown): number[] {
  if (!Array.isArray(v))
    throw new ArgumentError(name, `VAE: "${name}" must be an array of positive integers, got ${JSON.stringify(v)}`);
  if (v.length > CONFIG_LIMITS.maxLayers) {
    throw new ArgumentError(
      name,
      `VAE: "${name}" has ${v.length} layers, above the limit of ${CONFIG_LIMITS.maxLayers} (CONFIG_LIMITS.maxLayers)`,
    );
  }
  return v.map((u, i) => units(`${name}[${i}]`, u));
}

/**
 * Validates a config and fills in defaults; an unknown key is an error with a "did you mean" hint, and the size is
 * bounded by {@link CONFIG_LIMITS}.
 * @throws ArgumentError naming the offending field.
 */
export function resolveConfig(config: VAEConfig): ResolvedVAEConfig {
  if (typeof config !== 'object' || config === null)
    throw new ArgumentError('config', 'VAE: a config object is required');
  assertOptions(config, CONFIG_KEYS, 'VAE', 'config');
  const inputDim = units('inputDim', config.inputDim);
  const latentDim = units('latentDim', config.latentDim);
  const hidden =
    config.hiddenUnits === undefined
      ? undefined
      : typeof config.hiddenUnits === 'number'
        ? [units('hiddenUnits', config.hiddenUnits)]
        : unitList('hiddenUnits', config.hiddenUnits);
  const networks = resolveNetworkConfig(config, inputDim, latentDim, TOPOLOGY_LIMITS);
  // the MLP widths of each network: `encoder: [..]` or `encoderUnits`, else hiddenUnits; none for a user network
  const widths = (role: 'encoder' | 'decoder', fallback: number[] | undefined): number[] | undefined => {
    const key = `${role}Units` as const;
    const given = networks[key];
    if (given !== undefined || networks.resolved[`${role}Network`]) {
      // (a saved config lists no widths, [], next to its network)
      const widthsToo = config[key] !== undefined && !(Array.isArray(config[key]) && config[key].length === 0);
      if (widthsToo) throw new ArgumentError(key, `VAE: give "${role}" or "${key}", not both`);
      return given === undefined ? [] : unitList(role, given);
    }
    return config[key] !== undefined ? unitList(key, config[key]) : fallback;
  };
  const encoderUnits = widths('encoder', hidden);
  const decoderUnits = widths('decoder', hidden && [...hidden].reverse());
  if (!encoderUnits || !decoderUnits) {
    throw new ArgumentError(
      'hiddenUnits',
      'VAE: give "hiddenUnits" (or both "encoderUnits" and "decoderUnits", or networks as "encoder" and "decoder")',
    );
  }
  const likelihood = orDefault(config.likelihood, 'gaussian');
  const spec =
    typeof likelihood === 'string'
      ? getLikelihood(likelihood)
      : likelihoodSpec((likelihood as CustomLikelihood)?.name, likelihood);
  const likelihoodHead = orDefault(config.likelihoodHead, 'dense');
  if (!HEAD_PARAMETERS.includes(likelihoodHead)) {
    throw new ArgumentError(
      'likelihoodHead',
      `VAE: "likelihoodHead" must be ${HEAD_PARAMETERS.join(' or ')}, got ${showValue(likelihoodHead)}`,
    );
  }
  if (likelihoodHead === 'direct' && !networks.resolved.decoderNetwork) {
    throw new ArgumentError(
      'likelihoodHead',
      `VAE: "likelihoodHead" 'direct' reads the likelihood's parameters from the decoder's output, so it needs a decoder given as a tf.LayersModel or Network ending in a linear layer; the built-in MLP decoder (decoderUnits) ends in the hidden activation — use the default 'dense' head with it`,
    );
  }
  const activation = orDefault(config.activation, 'relu');
  assertActivation(activation, 'activation');
  const latent = resolveLatentConfig(config, latentDim);
  const inputTransform = orDefault(config.inputTransform, spec.inputTransform);
  if (inputTransform !== 'none' && inputTransform !== 'log1p') {
    throw new ArgumentError(
      'inputTransform',
      `VAE: "inputTransform" must be none or log1p, got ${showValue(inputTransform)}`,
    );
  }
  const observationScale = orDefault(config.observationScale, 'learned-scalar');
  if (typeof observationScale === 'object' && observationScale !== null) {
    const s = (observationScale as { fixed?: unknown }).fixed;
    if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s)) {
      throw new ArgumentError(
        'observationScale',
        `VAE: "observationScale" { fixed } must be a finite number > 0, got ${showValue(s)}`,
      );
    }
  } else if (!(SCALE_MODES as readonly unknown[]).includes(observationScale)) {
    throw new ArgumentError(
      'observationScale',
      `VAE: "observationScale" must be one of ${SCALE_MODES.join(', ')} or { fixed: s }, got ${JSON.stringify(observationScale)}`,
    );
  }
  const librarySize = orDefault(config.librarySize, false);
  if (typeof librarySize !== 'boolean')
    throw new ArgumentError('librarySize', `VAE: "librarySize" must be a boolean, got ${showValue(librarySize)}`);
  if (librarySize && !spec.librarySize) {
    const supporting = listLikelihoods().filter((name) => getLikelihood(name).librarySize);
    throw new ArgumentError(
      'librarySize',
      `VAE: "librarySize" applies to the count likelihoods, those registered with librarySize: true (${supporting.join(', ')}), not ${spec.name}`,
    );
  }
  const librarySizeMedian = config.librarySizeMedian ?? null;
  if (
    librarySizeMedian !== null &&
    (typeof librarySizeMedian !== 'number' || !(librarySizeMedian > 0) || !Number.isFinite(librarySizeMedian))
  ) {
    throw new ArgumentError(
      'librarySizeMedian',
      `VAE: "librarySizeMedian" must be a finite number > 0 or null, got ${showValue(librarySizeMedian)}`,
    );
  }
  const init = orDefault(config.init, 'torch');
  if (!(INITIALIZERS as readonly unknown[]).includes(init)) {
    throw new ArgumentError('init', `VAE: "init" must be one of ${INITIALIZERS.join(', ')}, got ${showValue(init)}`);
  }
  const covariates = resolveCovariates(config.covariates);
  const encodeCovariates = orDefault(config.encodeCovariates, false);
  if (typeof encodeCovariates !== 'boolean') {
    throw new ArgumentError(
      'encodeCovariates',
      `VAE: "encodeCovariates" must be a boolean, got ${showValue(encodeCovariates)}`,
    );
  }
  const injectCovariates = orDefault(config.injectCovariates, 'all');
  if (injectCovariates !== 'first' && injectCovariates !== 'all') {
    throw new ArgumentError(
      'injectCovariates',
      `VAE: "injectCovariates" must be 'first' or 'all', got ${showValue(injectCovariates)}`,
    );
  }
  const parameters =
    parameterCountBound({
      inputDim,
      latentDim,
      encoderUnits,
      decoderUnits,
      prior: latent.prior,
      posterior: latent.posterior,
      covariates,
      encodeCovariates,
      ...networks.resolved,
    }) + networks.parameters;
  if (parameters > CONFIG_LIMITS.maxParameters) {
    throw new ArgumentError(
      'hiddenUnits',
      `VAE: this architecture would have up to ${parameters} parameters, above the limit of ${CONFIG_LIMITS.maxParameters} (CONFIG_LIMITS.maxParameters, 1 GiB of float32 weights); use smaller layers`,
    );
  }
  const seed = orDefault(config.seed, 0);
  if (!Number.isInteger(seed)) throw new ArgumentError('seed', `VAE: "seed" must be an integer, got ${seed}`);
  return {
    inputDim,
    latentDim,
    encoderUnits,
    decoderUnits,
    likelihood: spec.name,
    ...(likelihoodHead === 'direct' ? { likelihoodHead } : {}),
    activation,
    observationScale: typeof observationScale === 'object' ? { fixed: observationScale.fixed } : observationScale,
    librarySize,
    librarySizeMedian,
    inputTransform,
    posterior: latent.posterior,
    prior: latent.prior,
    deterministic: latent.deterministic,
    encoderScaleTransform: latent.encoderScaleTransform,
    init,
    seed,
    covariates,
    encodeCovariates,
    injectCovariates,
    ...networks.resolved,
  };
}
