import { ArgumentError } from '@varia/core';
import type { Activation, Initializer, ScaleMode } from '@varia/layers';
import { assertActivation } from '@varia/layers';
import { BUILTIN_LIKELIHOODS } from './builtin-likelihoods.js';
import {
  type CovariateInjection,
  type CovariateSpec,
  covariateParameterBound,
  type ResolvedCovariate,
  resolveCovariates,
} from './covariates.js';
import { assertOptions } from './known-keys.js';
import {
  NETWORK_CONFIG_KEYS,
  type NetworkConfig,
  type ResolvedNetworkConfig,
  resolveNetworkConfig,
} from './networks.js';
import {
  LATENT_CONFIG_KEYS,
  type LatentConfig,
  latentParameterBound,
  MAX_MIXTURE_COMPONENTS,
  type ResolvedLatentConfig,
  resolveLatentConfig,
} from './latent-config.js';
export type { PriorConfig } from './latent-config.js';
export type { CustomLikelihood } from './likelihood-registry.js';
import {
  type CustomLikelihood,
  getLikelihood,
  type InputTransform,
  likelihoodSpec,
  listLikelihoods,
} from './likelihood-registry.js';
import { showValue } from './show-value.js';

/**
 * A built-in likelihood name: `gaussian` for real data; `bernoulli` for binary data (or [0,1] intensities as BCE
 * targets); `continuous-bernoulli` for [0,1] intensities (a normalized density); `poisson` for counts;
 * `negative-binomial` for overdispersed counts; `zinb` for overdispersed counts with extra zeros (scVI). More can be
 * added with `registerLikelihood`.
 */
export type LikelihoodName =
  | 'gaussian'
  | 'bernoulli'
  | 'continuous-bernoulli'
  | 'poisson'
  | 'negative-binomial'
  | 'zinb';

/** The built-in likelihoods p(x|z) (`listLikelihoods()` lists these and every registered one). */
export const LIKELIHOODS: readonly LikelihoodName[] = Object.freeze(
  Object.keys(BUILTIN_LIKELIHOODS) as LikelihoodName[],
);

/**
 * Configuration of a {@link VAE}; everything needed to rebuild its architecture. Stored as JSON when saved. The
 * latent options (posterior, prior, deterministic mode) are those of {@link LatentConfig}.
 */
export interface VAEConfig extends LatentConfig, NetworkConfig {
  /** Width D of an example. */
  inputDim: number;
  /** Width d of the latent z. */
  latentDim: number;
  /**
   * Hidden widths of the built-in MLP encoder and (reversed) decoder; a number means one hidden layer. Required
   * unless both networks are given otherwise (`encoderUnits`/`decoderUnits`, or `encoder`/`decoder`).
   */
  hiddenUnits?: number | number[];
  /** Encoder hidden widths (overrides `hiddenUnits`). */
  encoderUnits?: number[];
  /** Decoder hidden widths (overrides `hiddenUnits` reversed). */
  decoderUnits?: number[];
  /**
   * The observation model p(x|z): a registered name (the built-ins, or one added with `registerLikelihood`) or an
   * inline {@link CustomLikelihood}. Default `'gaussian'`.
   */
  likelihood?: LikelihoodName | (string & {}) | CustomLikelihood;
  /** Hidden activation; default `'relu'`. */
  activation?: Activation;
  /**
   * Gaussian likelihood only: where the observation scale σ of p(x|z) = N(g(z), σ²I) comes from. Default
   * `'learned-scalar'` (one σ learned with the network — a proper likelihood, not MSE).
   */
  observationScale?: ScaleMode;
  /**
   * Likelihoods registered with `librarySize: true` only (the count likelihoods): scVI-style library size (rate =
   * proportions × observed total). Default false.
   */
  librarySize?: boolean;
  /**
   * Library-size models: the default library size of `sample` and `decode` (the median row total of the training
   * data). `fit` records it; give it only to rebuild a saved model. Default none (then `sample`/`decode` need one).
   */
  librarySizeMedian?: number | null;
  /**
   * Transform of x before the encoder: `'log1p'` feeds log(1 + x) (scVI's default for counts, keeps large counts from
   * saturating the encoder), `'none'` feeds x. Default: the likelihood's registered `inputTransform` (`'log1p'` for
   * the count likelihoods, `'none'` otherwise).
   */
  inputTransform?: InputTransform;
  /** Weight initialisation; default `'torch'` (PyTorch nn.Linear). */
  init?: Initializer;
  /** Seed of the initialisation. Default 0. */
  seed?: number;
  /**
   * Covariates the model is conditioned on (a conditional VAE): categorical (one-hot or embedded) and continuous,
   * declared once, in the column order of the covariate rows every call then takes (`fit`, `encode`, `decode`,
   * `sample`, … with `{ covariates }`). Default none.
   */
  covariates?: CovariateSpec[];
  /**
   * Also feed the covariates to the encoder, q(z|x, c) (scVI's `encode_covariates`; default false: q(z|x), and only
   * the decoder p(x|z, c) sees them).
   */
  encodeCovariates?: boolean;
  /**
   * Where the covariates enter a network that reads them: `'all'` hidden layers (default, scVI's
   * `deeply_inject_covariates`) or the `'first'` layer only (a classic CVAE's input concatenation).
   */
  injectCovariates?: CovariateInjection;
}

/** A {@link VAEConfig} with every default filled in (what is saved). */
export interface ResolvedVAEConfig extends ResolvedLatentConfig, ResolvedNetworkConfig {
  /** Width D of an example. See {@link VAEConfig.inputDim}. */
  inputDim: number;
  /** Width d of the latent z. See {@link VAEConfig.latentDim}. */
  latentDim: number;
  /** Encoder hidden widths. See {@link VAEConfig.encoderUnits}. */
  encoderUnits: number[];
  /** Decoder hidden widths. See {@link VAEConfig.decoderUnits}. */
  decoderUnits: number[];
  /** The likelihood: a registered name, or the `name` of a custom likelihood. See {@link VAEConfig.likelihood}. */
  likelihood: LikelihoodName | (string & {});
  /** Hidden activation. See {@link VAEConfig.activation}. */
  activation: Activation;
  /** Where the Gaussian likelihood's σ comes from. See {@link VAEConfig.observationScale}. */
  observationScale: ScaleMode;
  /** Whether count likelihoods use the library size. See {@link VAEConfig.librarySize}. */
  librarySize: boolean;
  /** The median row total of the training data (library-size models, after `fit`), else null. See {@link VAEConfig.librarySizeMedian}. */
  librarySizeMedian: number | null;
  /** Transform of x before the encoder. See {@link VAEConfig.inputTransform}. */
  inputTransform: InputTransform;
  /** Weight initialisation. See {@link VAEConfig.init}. */
  init: Initializer;
  /** Seed of the initialisation. See {@link VAEConfig.seed}. */
  seed: number;
  /** The covariates, defaults filled in (empty: an unconditional model). See {@link VAEConfig.covariates}. */
  covariates: ResolvedCovariate[];
  /** Whether the encoder reads the covariates. See {@link VAEConfig.encodeCovariates}. */
  encodeCovariates: boolean;
  /** Where the covariates enter the networks. See {@link VAEConfig.injectCovariates}. */
  injectCovariates: CovariateInjection;
}

/**
 * Size limits of a VAE, checked by the constructor (and so by `load`) before anything is allocated: a typo such as
 * `hiddenUnits: 300000000` is an ArgumentError instead of gigabytes of weights and a crash.
 */
export const CONFIG_LIMITS = {
  /** The widest layer (inputDim, latentDim, each hidden width): 2²⁰ units. */
  maxUnits: 2 ** 20,
  /** The most hidden layers in the encoder or the decoder. */
  maxLayers: 256,
  /** The most mixture components of the prior. */
  maxMixtureComponents: MAX_MIXTURE_COMPONENTS,
  /**
   * The most parameters (weights and biases of every layer and head, counted as an upper bound): 2²⁸, 1 GiB of
   * float32 weights (training holds about four times that: Adam's two moments and the gradients).
   */
  maxParameters: 2 ** 28,
  /** A user network's topology (a `tf.LayersModel` in a saved config): the largest kernel, stride or pool size. */
  maxKernelSize: 64,
  /** A user network's topology: the most values one example occupies at any layer's output (2²⁴). */
  maxActivationValues: 2 ** 24,
  /** A user network's topology: the deepest nesting of models inside models. */
  maxNetworkDepth: 4,
} as const;

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

/** Weights and biases of a dense layer chain `sizes[0] → sizes[1] → …`. */
function denseParameters(sizes: number[]): number {
  let total = 0;
  for (let i = 1; i < sizes.length; i++) total += sizes[i - 1]! * sizes[i]! + sizes[i]!;
  return total;
}

/**
 * An upper bound on the parameter count of a resolved config: encoder and decoder MLPs, the encoder head's μ and σ
 * layers, up to three output layers of the likelihood head (ZINB's μ, θ and gate) plus a per-feature scale, and the
 * mixture prior's means, scales and weights.
 */
export function parameterCountBound(
  c: Pick<ResolvedVAEConfig, 'inputDim' | 'latentDim' | 'encoderUnits' | 'decoderUnits' | 'prior'> &
    Partial<Pick<ResolvedVAEConfig, 'covariates' | 'encodeCovariates' | 'posterior'>> &
    Pick<ResolvedNetworkConfig, 'encoderNetwork' | 'decoderNetwork'>,
): number {
  // a user network's own weights are not counted here (a saved topology's are, by resolveConfig)
  const encoderOut = c.encoderNetwork?.outputDim ?? c.encoderUnits.at(-1) ?? c.inputDim;
  const decoderOut = c.decoderNetwork?.outputDim ?? c.decoderUnits.at(-1) ?? c.latentDim;
  return (
    denseParameters([c.inputDim, ...c.encoderUnits]) +
    latentParameterBound(c, encoderOut) +
    denseParameters([c.latentDim, ...c.decoderUnits]) +
    3 * denseParameters([decoderOut, c.inputDim]) +
    c.inputDim +
    covariateParameterBound(c)
  );
}

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
  const likelihood = config.likelihood ?? 'gaussian';
  const spec =
    typeof likelihood === 'string'
      ? getLikelihood(likelihood)
      : likelihoodSpec((likelihood as CustomLikelihood)?.name, likelihood);
  const activation = config.activation ?? 'relu';
  assertActivation(activation, 'activation');
  const latent = resolveLatentConfig(config, latentDim);
  const inputTransform = config.inputTransform ?? spec.inputTransform;
  if (inputTransform !== 'none' && inputTransform !== 'log1p') {
    throw new ArgumentError(
      'inputTransform',
      `VAE: "inputTransform" must be none or log1p, got ${showValue(inputTransform)}`,
    );
  }
  const observationScale = config.observationScale ?? 'learned-scalar';
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
  const librarySize = config.librarySize ?? false;
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
  const init = config.init ?? 'torch';
  if (!(INITIALIZERS as readonly unknown[]).includes(init)) {
    throw new ArgumentError('init', `VAE: "init" must be one of ${INITIALIZERS.join(', ')}, got ${showValue(init)}`);
  }
  const covariates = resolveCovariates(config.covariates);
  const encodeCovariates = config.encodeCovariates ?? false;
  if (typeof encodeCovariates !== 'boolean') {
    throw new ArgumentError(
      'encodeCovariates',
      `VAE: "encodeCovariates" must be a boolean, got ${showValue(encodeCovariates)}`,
    );
  }
  const injectCovariates = config.injectCovariates ?? 'all';
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
  const seed = config.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ArgumentError('seed', `VAE: "seed" must be an integer, got ${seed}`);
  return {
    inputDim,
    latentDim,
    encoderUnits,
    decoderUnits,
    likelihood: spec.name,
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
