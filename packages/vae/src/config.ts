import type { Activation, HeadParameters, Initializer, ScaleMode } from '@varia/layers';
import { BUILTIN_LIKELIHOODS } from './builtin-likelihoods.js';
import type { CovariateInjection, CovariateSpec, ResolvedCovariate } from './covariates.js';
import type { LatentConfig, ResolvedLatentConfig } from './latent-config.js';
import type { CustomLikelihood, InputTransform } from './likelihood-registry.js';
import type { NetworkConfig, ResolvedNetworkConfig } from './networks.js';

export type { PriorConfig } from './latent-config.js';
export type { CustomLikelihood } from './likelihood-registry.js';
export { CONFIG_LIMITS, parameterCountBound } from './config-limits.js';
export { resolveConfig } from './config-resolve.js';

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
 *
 * A field that is absent (or `undefined`) takes its default. `null` is not absent: it is refused like any other wrong
 * value, with an `ArgumentError` naming the field (`{ librarySize: null }` is an error, not `false`), as the options
 * of `fit` are. The one field whose values include `null` is `librarySizeMedian`.
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
  /**
   * How the decoder's output becomes the likelihood's parameters. `'dense'` (default): a dense layer per parameter
   * block maps the decoder's features to them (θₖ = hWₖ + bₖ). `'direct'`: the decoder's output *is* the unconstrained
   * parameter block, as a Pyro decoder returning `loc, scale` or TFP's `IndependentBernoulli` after a conv stack —
   * P values per feature (Bernoulli logits, Poisson log rate: P = 1; Gaussian loc, plus the raw σ when
   * `observationScale` is `'amortized'`; NB log μ (+ log θ when amortized); ZINB + the gate's logits), through the
   * same link functions as the dense head. The decoder's output is then [n, inputDim·P] with column j·P + k holding
   * parameter k of feature j: a conv output [n, H, W, P] flattened (tfjs's channel-last order). Needs a decoder
   * given as a `tf.LayersModel` or a `Network` (the built-in MLP's last layer has the hidden activation).
   */
  likelihoodHead?: HeadParameters;
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
  /** `'direct'` when the decoder outputs the likelihood's parameters; absent for the dense head. See {@link VAEConfig.likelihoodHead}. */
  likelihoodHead?: 'direct';
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
