import { ArgumentError } from '@varia/core';
import type { Activation, DistributionHead, Initializer, ScaleMode } from '@varia/layers';
import { assertActivation } from '@varia/layers';

/** The built-in likelihoods p(x|z). */
export const LIKELIHOODS = ['gaussian', 'bernoulli', 'continuous-bernoulli', 'poisson', 'negative-binomial', 'zinb'] as const;

/**
 * A built-in likelihood name: `gaussian` for real data; `bernoulli` for binary data (or [0,1] intensities as BCE
 * targets); `continuous-bernoulli` for [0,1] intensities (a normalized density); `poisson` for counts;
 * `negative-binomial` for overdispersed counts; `zinb` for overdispersed counts with extra zeros (scVI).
 */
export type LikelihoodName = (typeof LIKELIHOODS)[number];

/**
 * A custom likelihood: builds the decoder's output head from the decoder's last hidden width and the data width.
 * Models with a custom head can be saved only if `name` is registered again before loading.
 */
export interface CustomLikelihood {
  /** A name stored in the config. */
  name: string;
  /** Creates the head. */
  createHead(options: { inputDim: number; units: number; seed: number; init: Initializer }): DistributionHead;
  /** Checks the training data (throw a `DataError` for unusable values); optional. */
  validateData?(values: Float32Array, cols: number): void;
}

/** Configuration of a {@link VAE}; everything needed to rebuild its architecture. Stored as JSON when saved. */
export interface VAEConfig {
  /** Width D of an example. */
  inputDim: number;
  /** Width d of the latent z. */
  latentDim: number;
  /** Hidden widths of the encoder and (reversed) the decoder; a number means one hidden layer. */
  hiddenUnits: number | number[];
  /** Encoder hidden widths (overrides `hiddenUnits`). */
  encoderUnits?: number[];
  /** Decoder hidden widths (overrides `hiddenUnits` reversed). */
  decoderUnits?: number[];
  /** The observation model p(x|z). Default `'gaussian'`. */
  likelihood?: LikelihoodName | CustomLikelihood;
  /** Hidden activation; default `'relu'`. */
  activation?: Activation;
  /**
   * Gaussian likelihood only: where the observation scale σ of p(x|z) = N(g(z), σ²I) comes from. Default
   * `'learned-scalar'` (one σ learned with the network — a proper likelihood, not MSE).
   */
  observationScale?: ScaleMode;
  /** Count likelihoods only: scVI-style library size (rate = proportions × observed total). Default false. */
  librarySize?: boolean;
  /**
   * Transform of x before the encoder: `'log1p'` feeds log(1 + x) (scVI's default for counts, keeps large counts from
   * saturating the encoder), `'none'` feeds x. Default: `'log1p'` for count likelihoods, `'none'` otherwise.
   */
  inputTransform?: 'none' | 'log1p';
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
  /** Weight initialisation; default `'torch'` (PyTorch nn.Linear). */
  init?: Initializer;
  /** Seed of the initialisation. Default 0. */
  seed?: number;
}

/** The prior of a VAE: the standard normal, or a learnable mixture of `mixture` Gaussians. */
export type PriorConfig =
  | 'standard-normal'
  | {
      /** Number K of mixture components. */
      mixture: number;
    };

/** A {@link VAEConfig} with every default filled in (what is saved). */
export interface ResolvedVAEConfig {
  /** Width D of an example. See {@link VAEConfig.inputDim}. */
  inputDim: number;
  /** Width d of the latent z. See {@link VAEConfig.latentDim}. */
  latentDim: number;
  /** Encoder hidden widths. See {@link VAEConfig.encoderUnits}. */
  encoderUnits: number[];
  /** Decoder hidden widths. See {@link VAEConfig.decoderUnits}. */
  decoderUnits: number[];
  /** The likelihood: a built-in name, or the `name` of a custom likelihood. See {@link VAEConfig.likelihood}. */
  likelihood: LikelihoodName | string;
  /** Hidden activation. See {@link VAEConfig.activation}. */
  activation: Activation;
  /** Where the Gaussian likelihood's σ comes from. See {@link VAEConfig.observationScale}. */
  observationScale: ScaleMode;
  /** Whether count likelihoods use the library size. See {@link VAEConfig.librarySize}. */
  librarySize: boolean;
  /** Transform of x before the encoder. See {@link VAEConfig.inputTransform}. */
  inputTransform: 'none' | 'log1p';
  /** The prior p(z). See {@link VAEConfig.prior}. */
  prior: PriorConfig;
  /** Whether the encoder is a point mass (a deterministic autoencoder). See {@link VAEConfig.deterministic}. */
  deterministic: boolean;
  /** Parameterization of the encoder's σ. See {@link VAEConfig.encoderScaleTransform}. */
  encoderScaleTransform: 'exp' | 'softplus';
  /** Weight initialisation. See {@link VAEConfig.init}. */
  init: Initializer;
  /** Seed of the initialisation. See {@link VAEConfig.seed}. */
  seed: number;
}

const SCALE_MODES = ['learned-scalar', 'learned-per-feature', 'amortized'] as const;
const INITIALIZERS: readonly Initializer[] = ['torch', 'glorot-uniform', 'he-normal', 'zeros'];

function positiveInteger(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ArgumentError(name, `VAE: "${name}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function unitList(name: string, v: unknown): number[] {
  if (!Array.isArray(v)) throw new ArgumentError(name, `VAE: "${name}" must be an array of positive integers, got ${JSON.stringify(v)}`);
  return v.map((u, i) => positiveInteger(`${name}[${i}]`, u));
}

/** Validates a config and fills in defaults. @throws ArgumentError naming the offending field. */
export function resolveConfig(config: VAEConfig): ResolvedVAEConfig {
  if (typeof config !== 'object' || config === null) throw new ArgumentError('config', 'VAE: a config object is required');
  const inputDim = positiveInteger('inputDim', config.inputDim);
  const latentDim = positiveInteger('latentDim', config.latentDim);
  const hidden =
    config.hiddenUnits === undefined
      ? undefined
      : typeof config.hiddenUnits === 'number'
        ? [positiveInteger('hiddenUnits', config.hiddenUnits)]
        : unitList('hiddenUnits', config.hiddenUnits);
  const encoderUnits = config.encoderUnits !== undefined ? unitList('encoderUnits', config.encoderUnits) : hidden;
  const decoderUnits = config.decoderUnits !== undefined ? unitList('decoderUnits', config.decoderUnits) : hidden && [...hidden].reverse();
  if (!encoderUnits || !decoderUnits) {
    throw new ArgumentError('hiddenUnits', 'VAE: give "hiddenUnits" (or both "encoderUnits" and "decoderUnits")');
  }
  const likelihood = config.likelihood ?? 'gaussian';
  if (typeof likelihood === 'string' && !(LIKELIHOODS as readonly string[]).includes(likelihood)) {
    throw new ArgumentError('likelihood', `VAE: "likelihood" must be one of ${LIKELIHOODS.join(', ')} or a custom likelihood, got ${JSON.stringify(likelihood)}`);
  }
  if (typeof likelihood === 'object' && (typeof likelihood.name !== 'string' || typeof likelihood.createHead !== 'function')) {
    throw new ArgumentError('likelihood', 'VAE: a custom "likelihood" needs a string "name" and a "createHead" function');
  }
  const activation = config.activation ?? 'relu';
  assertActivation(activation, 'activation');
  const encoderScaleTransform = config.encoderScaleTransform ?? 'exp';
  if (encoderScaleTransform !== 'exp' && encoderScaleTransform !== 'softplus') {
    throw new ArgumentError('encoderScaleTransform', `VAE: "encoderScaleTransform" must be exp or softplus, got ${JSON.stringify(encoderScaleTransform)}`);
  }
  const countLikelihood = likelihood === 'poisson' || likelihood === 'negative-binomial' || likelihood === 'zinb';
  const inputTransform = config.inputTransform ?? (countLikelihood ? 'log1p' : 'none');
  if (inputTransform !== 'none' && inputTransform !== 'log1p') {
    throw new ArgumentError('inputTransform', `VAE: "inputTransform" must be none or log1p, got ${JSON.stringify(inputTransform)}`);
  }
  const observationScale = config.observationScale ?? 'learned-scalar';
  if (typeof observationScale === 'object' && observationScale !== null) {
    const s = (observationScale as { fixed?: unknown }).fixed;
    if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s)) {
      throw new ArgumentError('observationScale', `VAE: "observationScale" { fixed } must be a finite number > 0, got ${JSON.stringify(s)}`);
    }
  } else if (!(SCALE_MODES as readonly unknown[]).includes(observationScale)) {
    throw new ArgumentError(
      'observationScale',
      `VAE: "observationScale" must be one of ${SCALE_MODES.join(', ')} or { fixed: s }, got ${JSON.stringify(observationScale)}`,
    );
  }
  const librarySize = config.librarySize ?? false;
  if (typeof librarySize !== 'boolean') throw new ArgumentError('librarySize', `VAE: "librarySize" must be a boolean, got ${JSON.stringify(librarySize)}`);
  const init = config.init ?? 'torch';
  if (!(INITIALIZERS as readonly unknown[]).includes(init)) {
    throw new ArgumentError('init', `VAE: "init" must be one of ${INITIALIZERS.join(', ')}, got ${JSON.stringify(init)}`);
  }
  const prior = config.prior ?? 'standard-normal';
  if (
    prior !== 'standard-normal' &&
    !(typeof prior === 'object' && prior !== null && Number.isInteger(prior.mixture) && prior.mixture >= 1)
  ) {
    throw new ArgumentError('prior', `VAE: "prior" must be 'standard-normal' or { mixture: K } with K a positive integer, got ${JSON.stringify(prior)}`);
  }
  const deterministic = config.deterministic ?? false;
  if (typeof deterministic !== 'boolean') {
    throw new ArgumentError('deterministic', `VAE: "deterministic" must be a boolean, got ${JSON.stringify(deterministic)}`);
  }
  const seed = config.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ArgumentError('seed', `VAE: "seed" must be an integer, got ${seed}`);
  return {
    inputDim,
    latentDim,
    encoderUnits,
    decoderUnits,
    likelihood: typeof likelihood === 'string' ? likelihood : likelihood.name,
    activation,
    observationScale: typeof observationScale === 'object' ? { fixed: observationScale.fixed } : observationScale,
    librarySize,
    inputTransform,
    prior: typeof prior === 'object' ? { mixture: prior.mixture } : prior,
    deterministic,
    encoderScaleTransform,
    init,
    seed,
  };
}
