import type * as tf from '@tensorflow/tfjs-core';
import type { Matrix, SparseMatrix } from '@varia/core';
import type { Distribution } from '@varia/distributions';
import type { DistributionHead, MLP, Module } from '@varia/layers';
import type { LatentVariableModel, VariationalInputs } from '@varia/losses';
import { type ResolvedVAEConfig, resolveConfig, type VAEConfig } from './config.js';
import { fitCovariates } from './covariates-fit.js';
import type { ConditionedMLP, CovariateFeatures } from './covariates-network.js';
import type { DataInput } from './data.js';
import { type FitOptions, type History, trainModel } from './fit.js';
import {
  checkInferenceOptions,
  type DecodeOptions,
  type EncodeOptions,
  type EvaluateOptions,
  type GenerateOptions,
  type InterpolateOptions,
  medianRowTotal,
  type ReconstructOptions,
} from './inference-options.js';
import type { LatentModule } from './latent.js';
import type { PriorModule } from './latent-types.js';
import { type CustomLikelihood, type LikelihoodSpec, likelihoodSpec } from './likelihood-registry.js';
import { loadModel, type ModelLocation, saveModel } from './model-io.js';
import type { NetworkMode, SuppliedNetwork } from './networks.js';
import type { ModelArtifacts } from './serialization.js';
import { isRowSource, type RowBatchSource } from './sources/row-batch-source.js';
import { encodeSource, evaluateSource, trainOnSource } from './sources/source-inference.js';
import { assertBackendRegistered } from '@varia/distributions';
import { type Evaluation, evaluateMatrix } from './vae-evaluate.js';
import { markReplayable } from './fused-step/builtin-methods.js';
import { likelihoodOf, posteriorOf, variationalInputsOf } from './vae-forward.js';
import { decodeLatents, encodeMatrix, generate, interpolateRows, reconstructRows } from './vae-inference.js';
import { buildVaeParts, disposeParts, partStateVariables, partVariables } from './vae-parts.js';
import { VaeLifecycle } from './vae-lifecycle.js';
import { type LoadOptions, modelArtifacts, modelFromArtifacts } from './vae-persistence.js';

export type { Evaluation } from './vae-evaluate.js';
export type { LoadOptions } from './vae-persistence.js';

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
  /** The training flag of user networks (dropout, batch normalization); see {@link VAE.setTraining}. */
  private readonly networkMode: NetworkMode = { training: false };
  /** Alive, training or disposed; frees the parts on `dispose()`. */
  private readonly life = new VaeLifecycle(() => disposeParts(this));

  constructor(config: VAEConfig) {
    assertBackendRegistered();
    this.config = resolveConfig(config);
    const custom = typeof config.likelihood === 'object' ? (config.likelihood as CustomLikelihood) : undefined;
    this.likelihood = likelihoodSpec(this.config.likelihood, custom);
    const parts = buildVaeParts(config, this.config, this.likelihood, this.networkMode);
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
    return partVariables(this, prefix);
  }

  /**
   * Non-trainable variables that training updates, by stable name: batch normalization's moving statistics in the
   * user's networks (`encoder/1/moving_mean`) and a score-function baseline's running average. Saved with the model
   * and checkpointed; not given to the optimizer.
   */
  stateVariables(prefix?: string): Map<string, tf.Variable> {
    this.assertAlive();
    return partStateVariables(this, prefix);
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
    return posteriorOf(this, x, covariates);
  }

  /**
   * p(x|z) — p(x|z, c) for a model with covariates — for latents z [m, latentDim]; `logLibrarySize` [m, 1] for
   * library-size count models; `covariates` [m, C] raw covariates (already valid).
   */
  likelihoodFor(z: tf.Tensor, logLibrarySize?: tf.Tensor, covariates?: tf.Tensor): Distribution {
    this.assertAlive();
    return likelihoodOf(this, z, logLibrarySize, covariates);
  }

  /**
   * q(z|x), p(z) and p(x|z) for the batch x, as the objectives in `@varia/losses` take them; `covariates` [n, C] are
   * the batch's raw covariates for a conditional model (values already valid: level indices, finite values); `step`
   * is the training step (it anneals a relaxed latent's temperature; absent: the final temperature); `sparseInput`
   * runs the encoder's first layer from x's non-zeros where the encoder and backend can (`fit`'s `sparseInput`).
   */
  variationalInputs(
    x: tf.Tensor,
    options: { covariates?: tf.Tensor; step?: number; sparseInput?: boolean } = {},
  ): VariationalInputs {
    this.assertAlive();
    return variationalInputsOf(this, x, options);
  }

  /**
   * Encodes x [n, inputDim] to z [n, latentDim]: the posterior mean μ(x), or a sample with `{ sample: true }`.
   * x may be a CSR `SparseMatrix` (e.g. from `loadMatrixMarket`): the first layer then reads only its stored entries
   * (see {@link EncodeOptions.sparseInput}). The caller owns the returned tensor.
   */
  encode(x: DataInput | tf.Tensor | SparseMatrix, options?: EncodeOptions): tf.Tensor2D;
  /**
   * The latents of every row of a source ({@link SparseBatchSource}, {@link RandomAccessSource},
   * {@link StreamSource}), computed 512 rows at a time: resolves with a host matrix `[n, latentDim]`. Covariate rows
   * (where the encoder reads them) come alongside, one per example, or with the source's batches.
   */
  encode(x: RowBatchSource, options?: EncodeOptions): Promise<Matrix>;
  encode(
    x: DataInput | tf.Tensor | SparseMatrix | RowBatchSource,
    options: EncodeOptions = {},
  ): tf.Tensor2D | Promise<Matrix> {
    this.assertAlive();
    checkInferenceOptions('encode', options);
    if (isRowSource(x)) return encodeSource(this, x, options, (m, o) => this.encode(m, o));
    return encodeMatrix(this, x, options);
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
    return decodeLatents(this, z, options);
  }

  /**
   * The reconstruction E[x | z = μ(x)]: the decoder's mean at the posterior mean (with the rows' `covariates` for a
   * conditional model). x may be a CSR `SparseMatrix`, as for `encode`. The caller owns the tensor.
   */
  reconstruct(x: DataInput | tf.Tensor | SparseMatrix, options: ReconstructOptions = {}): tf.Tensor2D {
    this.assertAlive();
    return reconstructRows(this, x, options);
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
    return generate(this, n, options);
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
    return interpolateRows(this, a, b, steps, options);
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
    return evaluateMatrix(this, x, options);
  }

  /**
   * Trains by minimizing the negative ELBO with Adam. See {@link FitOptions}. Resolves with the per-epoch history.
   * @throws DataError for data that does not fit the likelihood; DivergenceError when a step's loss, the loss after an
   *   epoch's last step, or a weight becomes non-finite (the weights are restored to the end of the last epoch that
   *   passed these checks; nothing broken is returned or checkpointed).
   */
  async fit(data: DataInput | RowBatchSource, options: FitOptions = {}): Promise<History> {
    this.assertAlive();
    return this.life.train(async (control) => {
      // a sparse, random-access or stream source trains batch by batch, checked as it comes
      // (a conditional model's covariates alongside, `{ covariates }`, or carried by the source's batches)
      if (isRowSource(data)) return await trainOnSource(this, data, options, control);
      // a conditional model's covariate rows ride along with their examples (batch field `covariates`)
      const split = fitCovariates(this.config, data, options);
      return await trainModel(this, data, split.options, control, split.fields);
    });
  }

  /** Called by the training loop with the validated training data: records the default library size. */
  onTrainingData(train: { data: Float32Array; rows: number; cols: number }): void {
    if (this.config.librarySize) this.config.librarySizeMedian = medianRowTotal(train.data, train.rows, train.cols);
  }

  /** The model as in-memory artifacts (JSON config + weight bytes): what `save` writes; works in the browser. */
  async toArtifacts(): Promise<ModelArtifacts> {
    this.assertAlive();
    return modelArtifacts(this);
  }

  /**
   * Rebuilds a model from artifacts, validating the config and every weight's name, shape and byte size first.
   * @throws SerializationError for anything corrupt, truncated or mismatched; nothing is left allocated.
   */
  static async fromArtifacts(artifacts: ModelArtifacts, options: LoadOptions = {}): Promise<VAE> {
    assertBackendRegistered();
    return modelFromArtifacts(artifacts, options, (config) => new VAE(config));
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
    this.life.dispose();
  }

  /** Whether {@link VAE.dispose} was called. */
  get isDisposed(): boolean {
    return this.life.isDisposed;
  }

  private assertAlive(): void {
    this.life.assertAlive();
  }
}

// the fused training step replays this forward pass; an override of it (subclass or instance) takes the taped path
markReplayable(VAE.prototype.variationalInputs);
