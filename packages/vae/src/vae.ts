import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  DisposedError,
  type Matrix,
  mulberry32,
  nextSeed,
  SerializationError,
  ShapeError,
} from '@varia/core';
import { buildOwned, type Distribution } from '@varia/distributions';
import { collectVariables, type DistributionHead, type MLP, type Module, scopedName } from '@varia/layers';
import { type ElboOptions, elbo, iwaeBound, type LatentVariableModel, type VariationalInputs } from '@varia/losses';
import { type ResolvedVAEConfig, resolveConfig, type VAEConfig } from './config.js';
import { type DataInput, type DataRules, readData } from './data.js';
import { type FitOptions, type History, trainModel } from './fit.js';
import { isRowSource, type RowBatchSource } from './sources/row-batch-source.js';
import { encodeSource, evaluateSource, trainOnSource } from './sources/source-inference.js';
import { LatentModule } from './latent.js';
import type { PriorModule } from './latent-types.js';
import { type CovariateInput, readCovariates } from './covariates.js';
import { fitCovariates } from './covariates-fit.js';
import { applyHidden, type ConditionedMLP, CovariateFeatures, hiddenNetwork } from './covariates-network.js';
import {
  checkInferenceOptions,
  checkOutputSize,
  INFERENCE_LIMITS,
  iwaeBatchSize,
  type DecodeOptions,
  type EncodeOptions,
  type EvaluateOptions,
  type GenerateOptions,
  type InterpolateOptions,
  librarySizes,
  medianRowTotal,
  type ReconstructOptions,
} from './inference-options.js';
import {
  type CustomLikelihood,
  hasLikelihood,
  likelihoodSpec,
  type LikelihoodSpec,
  listLikelihoods,
} from './likelihood-registry.js';
import { loadArtifacts, type ModelArtifacts, modelToArtifacts } from './serialization.js';
import { checkModelJson } from './model-format.js';
import {
  type NetworkLoadOptions,
  type NetworkMode,
  networksForLoad,
  type SuppliedNetwork,
  suppliedNetwork,
} from './networks.js';
import { loadModel, type ModelLocation, saveModel } from './model-io.js';
import { assertBackendRegistered } from './backend-check.js';
import { showValue } from './show-value.js';

export type {
  DecodeOptions,
  EncodeOptions,
  EvaluateOptions,
  GenerateOptions,
  InterpolateOptions,
  LibrarySizeOption,
  ReconstructOptions,
} from './inference-options.js';

/** The rules a latent z must follow in `decode`: finite real values. */
const LATENT_RULES: DataRules = { domain: 'real', likelihood: 'latent', subject: 'a latent z', width: 'latentDim' };

/** Covariate features of a batch and whether they need gradients (embeddings); undefined without covariates. */
type CovariateBlock = { block: tf.Tensor2D; trainable: boolean } | undefined;

/**
 * Options of {@link VAE.load} and {@link VAE.fromArtifacts}: the custom likelihood, and the user-written networks a
 * file cannot hold (`{ encoder }` / `{ decoder }`; a `tf.LayersModel` is rebuilt from its saved topology unless given).
 */
export interface LoadOptions extends NetworkLoadOptions {
  /** The custom likelihood the model was built with. */
  likelihood?: CustomLikelihood;
}

/** Per-example averages returned by {@link VAE.evaluate} (nats per example). */
export interface Evaluation {
  /** Mean ELBO = reconstruction − KL (one posterior sample per example). */
  elbo: number;
  /** Mean E_q[log p(x|z)]. */
  reconstruction: number;
  /** Mean KL(q(z|x) ‖ p(z)). */
  kl: number;
  /** Mean IWAE bound with `iwaeK` samples (when requested). */
  iwae?: number;
  /** Number of examples evaluated. */
  n: number;
}

/**
 * A variational autoencoder: encoder q(z|x) = N(μ(x), diag σ²(x)), decoder p(x|z) from the chosen likelihood
 * (Gaussian, Bernoulli, Poisson, or a custom head), prior p(z) = N(0, I); trained by maximizing the ELBO
 *
 * E_{q(z|x)}[log p(x|z)] − β·KL(q(z|x) ‖ p(z))
 *
 * with the reparameterization trick and Adam.
 *
 * @example
 * ```ts
 * const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 16, likelihood: 'gaussian' });
 * await vae.fit(data.x, { epochs: 20, batchSize: 32, learningRate: 1e-2, seed: 0 });
 * const z = vae.encode(data.x);
 * ```
 */
export class VAE implements Module, LatentVariableModel {
  /** The resolved configuration (what `save` stores). */
  readonly config: ResolvedVAEConfig;
  /**
   * The encoder network: the built-in MLP (a `ConditionedMLP` when it reads covariates), or the user's network or
   * `tf.LayersModel` given as `encoder` (wrapped: it reads x reshaped to `inputShape`).
   */
  readonly encoder: MLP | ConditionedMLP | SuppliedNetwork;
  /** The latent part: the posterior head producing q(z|x) from the encoder's features, and the prior p(z). */
  readonly latent: LatentModule;
  /** The decoder's hidden layers (a `ConditionedMLP` when the model has covariates). */
  readonly decoder: MLP | ConditionedMLP | SuppliedNetwork;
  /** The covariate features (one-hot blocks, embedding tables, continuous values); undefined without covariates. */
  readonly covariateFeatures: CovariateFeatures | undefined;
  /** The decoder's likelihood head producing p(x|z). */
  readonly likelihoodHead: DistributionHead;
  /** The likelihood's data rules. */
  readonly likelihood: LikelihoodSpec;
  private disposed = false;
  /** The training flag of user networks (dropout, batch normalization); see {@link VAE.setTraining}. */
  private readonly networkMode: NetworkMode = { training: false };
  /** Set while `fit` runs; `dispose()` then only requests the disposal, which `fit` carries out as it rejects. */
  private training = false;
  private disposeRequested = false;

  constructor(config: VAEConfig) {
    assertBackendRegistered();
    this.config = resolveConfig(config);
    const custom = typeof config.likelihood === 'object' ? (config.likelihood as CustomLikelihood) : undefined;
    this.likelihood = likelihoodSpec(this.config.likelihood, custom);
    const c = this.config;
    const rng = mulberry32(c.seed);
    // Built inside a tidy: the layers make each variable from an initial tensor that would otherwise stay allocated
    // after dispose(). If a part throws, the parts already built are freed before the error propagates.
    const built: Module[] = [];
    const make = <M extends Module>(create: () => M): M => {
      const m = create();
      built.push(m);
      return m;
    };
    const supplied = {
      encoder: suppliedNetwork('encoder', config.encoder, c.inputShape ?? [c.inputDim], this.networkMode),
      decoder: suppliedNetwork('decoder', config.decoder, [c.latentDim], this.networkMode),
    };
    if (c.covariates.length > 0 && (supplied.decoder || (supplied.encoder && c.encodeCovariates))) {
      throw new ArgumentError(
        'covariates',
        'VAE: covariates reach the built-in MLP encoder and decoder only; with your own network, concatenate them yourself',
      );
    }
    let parts:
      | {
          encoder: MLP | ConditionedMLP | SuppliedNetwork;
          latent: LatentModule;
          decoder: MLP | ConditionedMLP | SuppliedNetwork;
          likelihoodHead: DistributionHead;
          covariateFeatures: CovariateFeatures | undefined;
        }
      | undefined;
    try {
      tf.tidy(() => {
        // the covariates' own seed stream: a model without covariates is initialised exactly as before
        const covariateFeatures =
          c.covariates.length > 0 ? make(() => new CovariateFeatures(c.covariates, c.seed ^ 0x3c6ef372)) : undefined;
        const covariateWidth = covariateFeatures?.width ?? 0;
        const inject = c.injectCovariates;
        // a network the user gives joins the model only once it is built (a failed build leaves it to the user)
        const encoder =
          supplied.encoder ??
          make(() =>
            hiddenNetwork({
              inputDim: c.inputDim,
              covariateWidth: c.encodeCovariates ? covariateWidth : 0,
              inject,
              hiddenUnits: c.encoderUnits,
              activation: c.activation,
              init: c.init,
              seed: nextSeed(rng),
            }),
          );
        const headSeed = nextSeed(rng);
        const decoder =
          supplied.decoder ??
          make(() =>
            hiddenNetwork({
              inputDim: c.latentDim,
              covariateWidth,
              inject,
              hiddenUnits: c.decoderUnits,
              activation: c.activation,
              init: c.init,
              seed: nextSeed(rng),
            }),
          );
        const likelihoodHead = make(() =>
          this.likelihood.createHead({
            inputDim: decoder.outputDim,
            units: c.inputDim,
            seed: nextSeed(rng),
            init: c.init,
            config: c,
          }),
        );
        const priorSeed = nextSeed(rng);
        const latent = make(
          () =>
            new LatentModule({
              config: c,
              inputDim: encoder.outputDim,
              latentDim: c.latentDim,
              init: c.init,
              headSeed,
              priorSeed,
              // what a learned score-function baseline reads: x as the encoder sees it
              data: { width: c.inputDim, transform: (x) => (c.inputTransform === 'log1p' ? tf.log1p(x) : x) },
            }),
        );
        parts = { encoder, latent, decoder, likelihoodHead, covariateFeatures };
      });
    } catch (e) {
      for (const m of built) m.dispose();
      throw e;
    }
    if (!parts) throw new Error('unreachable: the VAE parts were not built');
    this.encoder = parts.encoder;
    this.latent = parts.latent;
    this.decoder = parts.decoder;
    this.likelihoodHead = parts.likelihoodHead;
    this.covariateFeatures = parts.covariateFeatures;
  }

  /** The prior module p(z) (learnable for a mixture); part of {@link VAE.latent}. */
  get latentPrior(): PriorModule {
    return this.latent.latentPrior;
  }

  /** All trainable variables by stable name (`encoder/0/kernel`, `likelihood/loc/bias`, …). */
  namedVariables(prefix?: string): Map<string, tf.Variable> {
    this.assertAlive();
    return collectVariables(
      [
        ['encoder', this.encoder],
        ['encoder_head', this.latent.head],
        ['decoder', this.decoder],
        ['likelihood', this.likelihoodHead],
        ['prior', this.latent.latentPrior],
        ['covariates', this.covariateFeatures],
        ['latent_baseline', this.latent.baseline],
      ],
      prefix,
    );
  }

  /**
   * Non-trainable variables that training updates, by stable name: batch normalization's moving statistics in the
   * user's networks (`encoder/1/moving_mean`) and a score-function baseline's running average. Saved with the model
   * and checkpointed; not given to the optimizer.
   */
  stateVariables(prefix?: string): Map<string, tf.Variable> {
    this.assertAlive();
    const out = new Map<string, tf.Variable>();
    for (const [k, v] of this.latent.stateVariables()) out.set(scopedName(prefix, k), v);
    for (const [name, network] of [
      ['encoder', this.encoder],
      ['decoder', this.decoder],
    ] as const) {
      if (!('stateVariables' in network)) continue;
      for (const [k, v] of network.stateVariables(scopedName(prefix, name))) out.set(k, v);
    }
    return out;
  }

  /**
   * Switches the user's networks between training mode (dropout active; batch normalization on the batch's
   * statistics, updating its moving ones) and inference mode, the default. The Trainer turns it on for its training
   * steps and off for everything else; `encode`, `evaluate`, … always see the mode it is in (inference, outside
   * `fit`). The built-in MLP behaves the same in both.
   */
  setTraining(training: boolean): void {
    this.networkMode.training = training;
  }

  /**
   * The prior p(z) (batch shape [], event shape [d]); `step` anneals a relaxed latent's temperature (absent: its
   * final value). Lives in the caller's tidy scope.
   */
  prior(step?: number): Distribution {
    return this.latent.prior(step);
  }

  /**
   * q(z|x) — or q(z|x, c) for a model with `encodeCovariates` — for a batch x [n, inputDim] (a tensor) and its raw
   * covariates [n, C] (level indices and values, already valid). Lives in the caller's tidy scope.
   * @throws ArgumentError / ShapeError when covariates are missing, unexpected or not [n, C].
   */
  posterior(x: tf.Tensor, covariates?: tf.Tensor): Distribution {
    this.assertAlive();
    // an encoder that does not read covariates ignores them (a model without covariates refuses them)
    const reads = this.config.encodeCovariates || !this.covariateFeatures;
    return this.posteriorFrom(x, reads ? this.covariateBlock(covariates, x.shape[0]!, 'VAE.posterior') : undefined);
  }

  /**
   * The point summary of q(z|x) that `encode` returns (see `LatentModule.posteriorMean`: μ(x) for Gaussians, the
   * image of the base mean for a flow, …), for x [n, inputDim] and its raw covariates.
   */
  private posteriorPoint(x: tf.Tensor, covariates?: tf.Tensor): tf.Tensor2D {
    const reads = this.config.encodeCovariates || !this.covariateFeatures;
    const features = reads ? this.covariateBlock(covariates, x.shape[0]!, 'VAE.posterior') : undefined;
    const input = this.config.inputTransform === 'log1p' ? tf.log1p(x) : x;
    return this.latent.posteriorMean(applyHidden(this.encoder, input, features));
  }

  private posteriorFrom(x: tf.Tensor, features: CovariateBlock, step?: number): Distribution {
    const input = this.config.inputTransform === 'log1p' ? tf.log1p(x) : x;
    // the data needs no gradient: the first layer skips dx (one large matMul per step)
    return this.latent.posterior(applyHidden(this.encoder, input, features, { constantInput: true }), step);
  }

  /**
   * p(x|z) — p(x|z, c) for a model with covariates — for latents z [m, latentDim]; `logLibrarySize` [m, 1] for
   * library-size count models; `covariates` [m, C] raw covariates (already valid).
   */
  likelihoodFor(z: tf.Tensor, logLibrarySize?: tf.Tensor, covariates?: tf.Tensor): Distribution {
    this.assertAlive();
    return this.likelihoodFrom(z, logLibrarySize, this.covariateBlock(covariates, z.shape[0]!, 'VAE.likelihoodFor'));
  }

  private likelihoodFrom(z: tf.Tensor, logLibrarySize: tf.Tensor | undefined, features: CovariateBlock): Distribution {
    return this.likelihoodHead.apply(applyHidden(this.decoder, z, features), { logLibrarySize });
  }

  /**
   * The covariate features c [rows, F] of raw covariates [rows, C] (undefined for a model without covariates).
   * Checks presence and shape only: the values were validated where they entered (`readCovariates`).
   */
  private covariateBlock(raw: tf.Tensor | undefined, rows: number, where: string): CovariateBlock {
    const features = this.covariateFeatures;
    if (!features) {
      if (raw !== undefined) throw new ArgumentError('covariates', `${where}: this model declares no covariates`);
      return undefined;
    }
    const names = this.config.covariates.map((c) => c.name).join(', ');
    if (raw === undefined) {
      throw new ArgumentError('covariates', `${where}: this model is conditioned on covariates (${names}): pass them`);
    }
    if (raw.rank !== 2 || raw.shape[0] !== rows || raw.shape[1] !== this.config.covariates.length) {
      throw new ShapeError(
        'covariates',
        `${where}: "covariates" must be [${rows}, ${this.config.covariates.length}] (${names}), got [${raw.shape.join(', ')}]`,
      );
    }
    return { block: features.apply(raw), trainable: features.trainable };
  }

  /**
   * q(z|x), p(z) and p(x|z) for the batch x, as the objectives in `@varia/losses` take them; `covariates` [n, C] are
   * the batch's raw covariates for a conditional model (values already valid: level indices, finite values); `step`
   * is the training step (it anneals a relaxed latent's temperature; absent: the final temperature).
   */
  variationalInputs(x: tf.Tensor, options: { covariates?: tf.Tensor; step?: number } = {}): VariationalInputs {
    this.assertAlive();
    const n = x.shape[0]!;
    const logLib = this.config.librarySize ? tf.log(tf.maximum(tf.sum(x, 1, true), 1)) : undefined;
    const features = this.covariateBlock(options.covariates, n, 'VAE.variationalInputs');
    return {
      x,
      posterior: this.posteriorFrom(x, features, options.step),
      prior: this.prior(options.step),
      decode: (z) => {
        const m = z.shape[0]!;
        const ctx = logLib && m !== n ? tf.tile(logLib, [m / n, 1]) : logLib;
        const block = features && m !== n ? { ...features, block: tf.tile(features.block, [m / n, 1]) } : features;
        return this.likelihoodFrom(z, ctx, block);
      },
    };
  }

  /** The data rules of this model's likelihood (what fit, encode, reconstruct and evaluate accept). */
  private get dataRules(): DataRules {
    return { domain: this.likelihood.domain, likelihood: this.config.likelihood, validate: this.likelihood.validate };
  }

  /** x checked like `fit` checks its data (type, width, domain), as a float32 tensor (the caller's when it is one). */
  private input(
    x: DataInput | tf.Tensor,
    argument = 'x',
    rules = this.dataRules,
    width = this.config.inputDim,
  ): tf.Tensor2D {
    const m = readData(x as DataInput, width, rules, argument);
    if (x instanceof tf.Tensor && x.dtype === 'float32') return x as tf.Tensor2D;
    return tf.tensor2d(m.data, [m.rows, m.cols], 'float32');
  }

  /**
   * Encodes x [n, inputDim] to z [n, latentDim]: the posterior mean μ(x), or a sample with `{ sample: true }`.
   * The caller owns the returned tensor.
   */
  encode(x: DataInput | tf.Tensor, options?: EncodeOptions): tf.Tensor2D;
  /**
   * The latents of every row of a source ({@link SparseBatchSource}, {@link RandomAccessSource},
   * {@link StreamSource}), computed 512 rows at a time: resolves with a host matrix `[n, latentDim]`. Covariate rows
   * (where the encoder reads them) come alongside, one per example, or with the source's batches.
   */
  encode(x: RowBatchSource, options?: EncodeOptions): Promise<Matrix>;
  encode(x: DataInput | tf.Tensor | RowBatchSource, options: EncodeOptions = {}): tf.Tensor2D | Promise<Matrix> {
    this.assertAlive();
    checkInferenceOptions('encode', options);
    if (isRowSource(x)) return encodeSource(this, x, options, (m, o) => this.encode(m, o));
    return tf.tidy(() => {
      const xt = this.input(x);
      const rows = xt.shape[0];
      // required only where the encoder reads them (encodeCovariates), checked whenever given
      const needed = this.config.encodeCovariates;
      const cov =
        needed || options.covariates !== undefined
          ? this.covariateRows(options.covariates, rows, 'VAE.encode')
          : undefined;
      const features = needed ? this.covariateBlock(cov, rows, 'VAE.encode') : undefined;
      if (!options.sample) {
        const input = this.config.inputTransform === 'log1p' ? tf.log1p(xt) : xt;
        return this.latent.posteriorMean(applyHidden(this.encoder, input, features));
      }
      return this.posteriorFrom(xt, features).sample([], { seed: options.seed }) as tf.Tensor2D;
    });
  }

  /**
   * The covariate rows of a call as a float32 tensor [rows, C] (undefined for a model without covariates): validated
   * by `readCovariates` (values, width, rows; one row is repeated for all with `broadcast`).
   */
  private covariateRows(
    input: CovariateInput | undefined,
    rows: number,
    where: string,
    broadcast = false,
  ): tf.Tensor2D | undefined {
    const m = readCovariates(this.config.covariates, input, rows, where, { broadcast });
    return m && tf.tensor2d(m.data, [m.rows, m.cols], 'float32');
  }

  /**
   * The likelihood p(x|z) for z [n, latentDim] (given as a tensor or rows). It belongs to the caller and owns the
   * tensors it was built from: call `dispose()` on it, or use it inside `tf.tidy` (see the ownership rule in the
   * memory guide). z stays the caller's.
   * Library-size models decode with `librarySize` (one number or one per row; default the median row total of the
   * training data, recorded by `fit` as `config.librarySizeMedian`). An array as second argument is the per-row
   * library size (the form before `DecodeOptions`).
   * A conditional model decodes with `covariates`: one row per row of z, or one row for all.
   * @throws ShapeError when z is not [n, latentDim]; DataError for a z that is not finite; ArgumentError for a bad
   *   `librarySize`, or none on a library-size model that was never fitted; the errors of the covariate rows
   *   (missing on a conditional model, given to an unconditional one, a wrong width, a bad level or value).
   */
  decode(z: DataInput | tf.Tensor, options: DecodeOptions | ArrayLike<number> = {}): Distribution {
    this.assertAlive();
    const opts: DecodeOptions =
      typeof options === 'object' && options !== null && 'length' in options
        ? { librarySize: options as ArrayLike<number> }
        : (options as DecodeOptions);
    checkInferenceOptions('decode', opts);
    const m = readData(z as DataInput, this.config.latentDim, LATENT_RULES, 'z');
    const rows = m.rows;
    const sizes = librarySizes('VAE.decode', this.config, rows, opts.librarySize);
    const cov = readCovariates(this.config.covariates, opts.covariates, rows, 'VAE.decode', { broadcast: true });
    // The distribution owns what it is built from (docs/memory.md): its dispose() frees the tensors made here, and
    // an enclosing tidy frees them too. z is cloned (free: it shares the data): dispose() never frees the caller's z.
    return buildOwned(() => {
      const zt = z instanceof tf.Tensor && z.dtype === 'float32' ? tf.clone(z) : tf.tensor2d(m.data, [m.rows, m.cols]);
      const logLib = sizes ? tf.log(tf.tensor2d(sizes, [rows, 1])) : undefined;
      return this.likelihoodFor(zt, logLib, cov && tf.tensor2d(cov.data, [cov.rows, cov.cols], 'float32'));
    });
  }

  /**
   * The reconstruction E[x | z = μ(x)]: the decoder's mean at the posterior mean (with the rows' `covariates` for a
   * conditional model). The caller owns the tensor.
   */
  reconstruct(x: DataInput | tf.Tensor, options: ReconstructOptions = {}): tf.Tensor2D {
    this.assertAlive();
    checkInferenceOptions('reconstruct', options);
    return tf.tidy(() => {
      const xt = this.input(x);
      const covariates = this.covariateRows(options.covariates, xt.shape[0], 'VAE.reconstruct');
      const inputs = this.variationalInputs(xt, { covariates });
      // the point summary of q(z|x) (not posterior.mean(): flows and relaxed latents have no closed-form mean)
      return inputs.decode(this.posteriorPoint(xt, covariates)).mean() as tf.Tensor2D;
    });
  }

  /**
   * Generates n examples: z ~ p(z), then x ~ p(x|z) (or E[x|z] with `{ mean: true }`). [n, inputDim]. A
   * conditional model generates from p(x|z, c) with `covariates`: one row per example, or one row for all (e.g.
   * `sample(100, { covariates: { digit: [7] } })`).
   * @throws ArgumentError for an n that is not a positive integer, or n × inputDim above
   *   {@link INFERENCE_LIMITS}.maxOutputValues (2²⁸); the errors of the covariate rows (see `decode`).
   */
  sample(n: number, options: GenerateOptions = {}): tf.Tensor2D {
    this.assertAlive();
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw new ArgumentError('n', `VAE.sample: "n" must be a positive integer, got ${showValue(n)}`);
    }
    checkOutputSize('VAE.sample', 'n', n, this.config.inputDim);
    checkInferenceOptions('sample', options);
    const sizes = librarySizes('VAE.sample', this.config, n, options.librarySize);
    const covariates = readCovariates(this.config.covariates, options.covariates, n, 'VAE.sample', {
      broadcast: true,
    });
    return tf.tidy(() => {
      const z = this.prior().sample([n], { seed: options.seed });
      const p = this.decode(z, { ...(sizes && { librarySize: sizes }), ...(covariates && { covariates }) });
      return (
        options.mean ? p.mean() : p.sample([], { seed: options.seed === undefined ? undefined : options.seed + 1 })
      ) as tf.Tensor2D;
    });
  }

  /**
   * Decodes `steps` points on the straight line between the posterior means of a and b (each one example, [1, D] or
   * a row): returns the decoder means [steps, inputDim]. The ends are the reconstructions of a and b. For
   * library-size models the library size is interpolated geometrically between the totals of a and b. A conditional
   * model interpolates with one row of `covariates`, used for both ends and every step.
   * @throws ShapeError when a or b is not exactly one example of width inputDim; ArgumentError for `steps` < 2, above
   *   {@link INFERENCE_LIMITS}.maxInterpolationSteps (2²⁰), or steps × inputDim above
   *   {@link INFERENCE_LIMITS}.maxOutputValues (2²⁸).
   */
  interpolate(
    a: DataInput | tf.Tensor,
    b: DataInput | tf.Tensor,
    steps: number,
    options: InterpolateOptions = {},
  ): tf.Tensor2D {
    this.assertAlive();
    checkInferenceOptions('interpolate', options);
    if (!Number.isInteger(steps) || steps < 2)
      throw new ArgumentError('steps', `VAE.interpolate: "steps" must be an integer >= 2, got ${showValue(steps)}`);
    if (steps > INFERENCE_LIMITS.maxInterpolationSteps) {
      throw new ArgumentError(
        'steps',
        `VAE.interpolate: "steps" is ${steps}, above the limit of ${INFERENCE_LIMITS.maxInterpolationSteps} (INFERENCE_LIMITS.maxInterpolationSteps)`,
      );
    }
    checkOutputSize('VAE.interpolate', 'steps', steps, this.config.inputDim);
    const cov = readCovariates(this.config.covariates, options.covariates, 1, 'VAE.interpolate');
    return tf.tidy(() => {
      const c1 = cov && tf.tensor2d(cov.data, [1, cov.cols], 'float32');
      const ends = (
        [
          [a, 'a'],
          [b, 'b'],
        ] as const
      ).map(([x, name]) => {
        const xt = this.input(x, name);
        if (xt.shape[0] !== 1) {
          throw new ShapeError(
            name,
            `VAE.interpolate: "${name}" must be one example [1, ${this.config.inputDim}], got ${xt.shape[0]} rows`,
          );
        }
        return xt;
      });
      const [xa, xb] = ends as [tf.Tensor2D, tf.Tensor2D];
      const t = tf.reshape(tf.linspace(0, 1, steps), [steps, 1]);
      const along = (ua: tf.Tensor, ub: tf.Tensor) => tf.add(tf.mul(tf.sub(1, t), ua), tf.mul(t, ub));
      const z = along(this.posteriorPoint(xa, c1), this.posteriorPoint(xb, c1));
      const logLibrary = (x: tf.Tensor) => tf.log(tf.maximum(tf.sum(x, 1, true), 1));
      const logLib = this.config.librarySize ? along(logLibrary(xa), logLibrary(xb)) : undefined;
      return this.likelihoodFor(z, logLib, c1 && tf.tile(c1, [steps, 1])).mean() as tf.Tensor2D;
    });
  }

  /**
   * Averages of the ELBO terms over x (and the IWAE bound with `iwaeK` samples), evaluated in batches.
   * With `iwaeK`, a batch holds at most {@link INFERENCE_LIMITS}.maxIwaeValues decoded values (iwaeK × rows × the
   * widest decoder layer): `batchSize` shrinks to fit.
   * A conditional model evaluates with the rows' `covariates` (one row per example).
   * @throws DataError / ShapeError for data that does not fit the model; ArgumentError for a bad `iwaeK` or
   *   `batchSize`, an `iwaeK` above {@link INFERENCE_LIMITS}.maxIwaeK (10000), or one whose single row is above
   *   {@link INFERENCE_LIMITS}.maxIwaeValues; the errors of the covariate rows (see `decode`).
   */
  async evaluate(x: DataInput | RowBatchSource, options: EvaluateOptions = {}): Promise<Evaluation> {
    this.assertAlive();
    checkInferenceOptions('evaluate', options);
    // a source: the same batches and seeds, one matrix batch at a time
    if (isRowSource(x)) return evaluateSource(this, x, options, (m, o) => this.evaluate(m, o));
    const m = readData(x, this.config.inputDim, this.dataRules, 'x');
    const cov = readCovariates(this.config.covariates, options.covariates, m.rows, 'VAE.evaluate');
    const batchSize = iwaeBatchSize('VAE.evaluate', options.batchSize ?? 256, options.iwaeK, this.config);
    const seed = options.seed ?? 0;
    const sums = { elbo: 0, reconstruction: 0, kl: 0, iwae: 0 };
    for (let start = 0; start < m.rows; start += batchSize) {
      const rows = Math.min(batchSize, m.rows - start);
      const part = tf.tidy(() => {
        const xb = tf.tensor2d(m.data.subarray(start * m.cols, (start + rows) * m.cols), [rows, m.cols]);
        const covariates =
          cov && tf.tensor2d(cov.data.subarray(start * cov.cols, (start + rows) * cov.cols), [rows, cov.cols]);
        const inputs = this.variationalInputs(xb, { covariates });
        const t = elbo(inputs, { seed: seed + start } satisfies ElboOptions);
        const out = [tf.sum(t.elbo), tf.sum(t.reconstruction), tf.sum(t.kl)];
        if (options.iwaeK) out.push(tf.sum(iwaeBound(inputs, { k: options.iwaeK, seed: seed + start + 1 })));
        return tf.stack(out);
      });
      const v = await part.data();
      part.dispose();
      sums.elbo += v[0]!;
      sums.reconstruction += v[1]!;
      sums.kl += v[2]!;
      if (options.iwaeK) sums.iwae += v[3]!;
    }
    const n = m.rows;
    const result: Evaluation = { elbo: sums.elbo / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n, n };
    if (options.iwaeK) result.iwae = sums.iwae / n;
    return result;
  }

  /**
   * Trains by minimizing the negative ELBO with Adam. See {@link FitOptions}. Resolves with the per-epoch history.
   * @throws DataError for data that does not fit the likelihood; DivergenceError when a step's loss, the loss after an
   *   epoch's last step, or a weight becomes non-finite (the weights are restored to the end of the last epoch that
   *   passed these checks; nothing broken is returned or checkpointed).
   */
  async fit(data: DataInput | RowBatchSource, options: FitOptions = {}): Promise<History> {
    this.assertAlive();
    if (this.training) {
      throw new ArgumentError(
        'this',
        'VAE.fit: this model is already training: await the running fit() before starting another',
      );
    }
    this.training = true;
    try {
      const control = {
        stopError: () =>
          this.disposeRequested
            ? new DisposedError('VAE', 'VAE.fit: the model was disposed during training')
            : undefined,
      };
      // a sparse, random-access or stream source trains batch by batch, checked as it comes
      // (a conditional model's covariates alongside, `{ covariates }`, or carried by the source's batches)
      if (isRowSource(data)) return await trainOnSource(this, data, options, control);
      // a conditional model's covariate rows ride along with their examples (batch field `covariates`)
      const split = fitCovariates(this.config, data, options);
      return await trainModel(this, data, split.options, control, split.fields);
    } finally {
      this.training = false;
      if (this.disposeRequested) this.dispose();
    }
  }

  /** Called by the training loop with the validated training data: records the default library size. */
  onTrainingData(train: { data: Float32Array; rows: number; cols: number }): void {
    if (this.config.librarySize) this.config.librarySizeMedian = medianRowTotal(train.data, train.rows, train.cols);
  }

  /** The model as in-memory artifacts (JSON config + weight bytes): what `save` writes; works in the browser. */
  async toArtifacts(): Promise<ModelArtifacts> {
    this.assertAlive();
    const artifacts = await modelToArtifacts(
      this.config,
      new Map([...this.namedVariables(), ...this.stateVariables()]),
    );
    // a tf.LayersModel's topology must pass what load checks (supported layers, limits): fail now, not at load time
    if (this.config.encoderNetwork || this.config.decoderNetwork) checkModelJson(artifacts.modelJson, 'VAE.save');
    return artifacts;
  }

  /**
   * Rebuilds a model from artifacts, validating the config and every weight's name, shape and byte size first.
   * @throws SerializationError for anything corrupt, truncated or mismatched; nothing is left allocated.
   */
  static async fromArtifacts(artifacts: ModelArtifacts, options: LoadOptions = {}): Promise<VAE> {
    assertBackendRegistered();
    return loadArtifacts(artifacts, async (config) => {
      const custom = options.likelihood;
      if (custom && config?.likelihood !== custom.name) {
        throw new SerializationError(
          `the model was saved with likelihood ${JSON.stringify(config?.likelihood)}, but the custom likelihood passed is named ${JSON.stringify(custom.name)}`,
        );
      }
      if (!custom && typeof config?.likelihood === 'string' && !hasLikelihood(config.likelihood)) {
        throw new SerializationError(
          `the model was saved with likelihood ${JSON.stringify(config.likelihood)}, which is not registered (registered: ${listLikelihoods().join(', ')}); call registerLikelihood(${JSON.stringify(config.likelihood)}, …) before loading, or pass { likelihood }`,
        );
      }
      // user networks: the caller's (required for user-written ones), or layers models rebuilt from their topology
      const networks = await networksForLoad(config, options);
      const c = custom ? { ...config, likelihood: custom } : config;
      try {
        return new VAE({ ...c, ...networks } as VAEConfig);
      } catch (e) {
        for (const role of ['encoder', 'decoder'] as const) {
          if (networks[role] !== options[role]) networks[role]?.dispose();
        }
        throw e;
      }
    });
  }

  /**
   * Saves the model to `destination`: a directory (Node; `model.json` and `weights-<hash>.bin`, crash-safe), a
   * `file://` URL, or a tfjs URL or IOHandler (`indexeddb://name`, `localstorage://name`, `downloads://name` in the
   * browser, `http(s)://` POST). See {@link ModelLocation}.
   * @throws ArgumentError naming the destination when it cannot be written; SerializationError for other failures.
   */
  async save(destination: ModelLocation): Promise<void> {
    await saveModel(destination, await this.toArtifacts());
  }

  /**
   * Loads a model saved with {@link VAE.save} from a directory, a `model.json` path, a `file://` or `http(s)://` URL,
   * a tfjs URL (`indexeddb://`, `localstorage://`) or a tfjs IOHandler (e.g. `tf.io.browserFiles`).
   * @throws SerializationError (nothing half-loaded).
   */
  static async load(source: ModelLocation, options: LoadOptions = {}): Promise<VAE> {
    assertBackendRegistered();
    return VAE.fromArtifacts(await loadModel(source), options);
  }

  /**
   * Frees every variable. The model cannot be used afterwards. During `fit`, the model is freed as soon as the running
   * step ends, and that `fit` rejects with a DisposedError.
   */
  dispose(): void {
    if (this.disposed) return;
    if (this.training) {
      this.disposeRequested = true;
      return;
    }
    this.encoder.dispose();
    this.covariateFeatures?.dispose();
    this.latent.dispose();
    this.decoder.dispose();
    this.likelihoodHead.dispose();
    this.disposed = true;
  }

  /** Whether {@link VAE.dispose} was called. */
  get isDisposed(): boolean {
    return this.disposed || this.disposeRequested;
  }

  private assertAlive(): void {
    // variables stay alive until a running fit unwinds: the training loop may still use them after dispose()
    if (this.disposed || (this.disposeRequested && !this.training))
      throw new DisposedError('VAE', 'VAE: the model was disposed (dispose() was called): it cannot be used');
  }
}
