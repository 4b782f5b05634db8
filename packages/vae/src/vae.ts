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
import { collectVariables, type DistributionHead, type LatentPrior, MLP, type Module } from '@varia/layers';
import { type ElboOptions, elbo, iwaeBound, type LatentVariableModel, type VariationalInputs } from '@varia/losses';
import { type ResolvedVAEConfig, resolveConfig, type VAEConfig } from './config.js';
import { type DataInput, type DataRules, readData } from './data.js';
import { type FitOptions, type History, trainModel } from './fit.js';
import { isRowSource, type RowBatchSource } from './sources/row-batch-source.js';
import { encodeSource, evaluateSource, trainOnSource } from './sources/source-inference.js';
import { LatentModule } from './latent.js';
import {
  checkInferenceOptions,
  checkOutputSize,
  INFERENCE_LIMITS,
  iwaeBatchSize,
  type DecodeOptions,
  type EncodeOptions,
  type EvaluateOptions,
  type GenerateOptions,
  librarySizes,
  medianRowTotal,
} from './inference-options.js';
import {
  type CustomLikelihood,
  hasLikelihood,
  likelihoodSpec,
  type LikelihoodSpec,
  listLikelihoods,
} from './likelihood-registry.js';
import { loadArtifacts, type ModelArtifacts, modelToArtifacts } from './serialization.js';
import { loadModel, type ModelLocation, saveModel } from './model-io.js';
import { assertBackendRegistered } from './backend-check.js';
import { showValue } from './show-value.js';

export type {
  DecodeOptions,
  EncodeOptions,
  EvaluateOptions,
  GenerateOptions,
  LibrarySizeOption,
} from './inference-options.js';

/** The rules a latent z must follow in `decode`: finite real values. */
const LATENT_RULES: DataRules = { domain: 'real', likelihood: 'latent', subject: 'a latent z', width: 'latentDim' };

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
  /** The encoder's hidden layers. */
  readonly encoder: MLP;
  /** The latent part: the posterior head producing q(z|x) from the encoder's features, and the prior p(z). */
  readonly latent: LatentModule;
  /** The decoder's hidden layers. */
  readonly decoder: MLP;
  /** The decoder's likelihood head producing p(x|z). */
  readonly likelihoodHead: DistributionHead;
  /** The likelihood's data rules. */
  readonly likelihood: LikelihoodSpec;
  private disposed = false;
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
    let parts:
      | {
          encoder: MLP;
          latent: LatentModule;
          decoder: MLP;
          likelihoodHead: DistributionHead;
        }
      | undefined;
    try {
      tf.tidy(() => {
        const encoder = make(
          () =>
            new MLP({
              inputDim: c.inputDim,
              hiddenUnits: c.encoderUnits,
              activation: c.activation,
              init: c.init,
              seed: nextSeed(rng),
            }),
        );
        const headSeed = nextSeed(rng);
        const decoder = make(
          () =>
            new MLP({
              inputDim: c.latentDim,
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
            }),
        );
        parts = { encoder, latent, decoder, likelihoodHead };
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
  }

  /** The prior module p(z) (learnable for a mixture); part of {@link VAE.latent}. */
  get latentPrior(): LatentPrior {
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
      ],
      prefix,
    );
  }

  /** The prior p(z) over ℝᵈ (batch shape [], event shape [d]). Lives in the caller's tidy scope. */
  prior(): Distribution {
    return this.latent.prior();
  }

  /** q(z|x) for a batch x [n, inputDim] (a tensor). Lives in the caller's tidy scope. */
  posterior(x: tf.Tensor): Distribution {
    this.assertAlive();
    const input = this.config.inputTransform === 'log1p' ? tf.log1p(x) : x;
    // the data needs no gradient: the first layer skips dx (one large matMul per step)
    return this.latent.posterior(this.encoder.apply(input, { constantInput: true }));
  }

  /** p(x|z) for latents z [m, latentDim]; `logLibrarySize` [m, 1] for library-size count models. */
  likelihoodFor(z: tf.Tensor, logLibrarySize?: tf.Tensor): Distribution {
    this.assertAlive();
    return this.likelihoodHead.apply(this.decoder.apply(z), { logLibrarySize });
  }

  /** q(z|x), p(z) and p(x|z) for the batch x, as the objectives in `@varia/losses` take them. */
  variationalInputs(x: tf.Tensor): VariationalInputs {
    const n = x.shape[0]!;
    const logLib = this.config.librarySize ? tf.log(tf.maximum(tf.sum(x, 1, true), 1)) : undefined;
    return {
      x,
      posterior: this.posterior(x),
      prior: this.prior(),
      decode: (z) => {
        const m = z.shape[0]!;
        const ctx = logLib && m !== n ? tf.tile(logLib, [m / n, 1]) : logLib;
        return this.likelihoodFor(z, ctx);
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
   * {@link StreamSource}), computed 512 rows at a time: resolves with a host matrix `[n, latentDim]`.
   */
  encode(x: RowBatchSource, options?: EncodeOptions): Promise<Matrix>;
  encode(x: DataInput | tf.Tensor | RowBatchSource, options: EncodeOptions = {}): tf.Tensor2D | Promise<Matrix> {
    this.assertAlive();
    checkInferenceOptions('encode', options);
    if (isRowSource(x)) return encodeSource(this, x, options, (m, o) => this.encode(m, o));
    return tf.tidy(() => {
      const xt = this.input(x);
      if (!options.sample) return this.posteriorMean(xt);
      return this.posterior(xt).sample([], { seed: options.seed }) as tf.Tensor2D;
    });
  }

  /** μ(x), the mean of q(z|x) (and the point of a deterministic encoder), without computing the scale. */
  private posteriorMean(x: tf.Tensor): tf.Tensor2D {
    const input = this.config.inputTransform === 'log1p' ? tf.log1p(x) : x;
    return this.latent.posteriorMean(this.encoder.apply(input));
  }

  /**
   * The likelihood p(x|z) for z [n, latentDim] (given as a tensor or rows). It belongs to the caller and owns the
   * tensors it was built from: call `dispose()` on it, or use it inside `tf.tidy` (see the ownership rule in the
   * memory guide). z stays the caller's.
   * Library-size models decode with `librarySize` (one number or one per row; default the median row total of the
   * training data, recorded by `fit` as `config.librarySizeMedian`). An array as second argument is the per-row
   * library size (the form before `DecodeOptions`).
   * @throws ShapeError when z is not [n, latentDim]; DataError for a z that is not finite; ArgumentError for a bad
   *   `librarySize`, or none on a library-size model that was never fitted.
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
    // The distribution owns what it is built from (docs/memory.md): its dispose() frees the tensors made here, and
    // an enclosing tidy frees them too. z is cloned (free: it shares the data): dispose() never frees the caller's z.
    return buildOwned(() => {
      const zt = z instanceof tf.Tensor && z.dtype === 'float32' ? tf.clone(z) : tf.tensor2d(m.data, [m.rows, m.cols]);
      const logLib = sizes ? tf.log(tf.tensor2d(sizes, [rows, 1])) : undefined;
      return this.likelihoodFor(zt, logLib);
    });
  }

  /** The reconstruction E[x | z = μ(x)]: the decoder's mean at the posterior mean. The caller owns the tensor. */
  reconstruct(x: DataInput | tf.Tensor): tf.Tensor2D {
    this.assertAlive();
    return tf.tidy(() => {
      const xt = this.input(x);
      const inputs = this.variationalInputs(xt);
      return inputs.decode(inputs.posterior.mean()).mean() as tf.Tensor2D;
    });
  }

  /**
   * Generates n examples: z ~ p(z), then x ~ p(x|z) (or E[x|z] with `{ mean: true }`). [n, inputDim].
   * @throws ArgumentError for an n that is not a positive integer, or n × inputDim above
   *   {@link INFERENCE_LIMITS}.maxOutputValues (2²⁸).
   */
  sample(n: number, options: GenerateOptions = {}): tf.Tensor2D {
    this.assertAlive();
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw new ArgumentError('n', `VAE.sample: "n" must be a positive integer, got ${showValue(n)}`);
    }
    checkOutputSize('VAE.sample', 'n', n, this.config.inputDim);
    checkInferenceOptions('sample', options);
    const sizes = librarySizes('VAE.sample', this.config, n, options.librarySize);
    return tf.tidy(() => {
      const z = this.prior().sample([n], { seed: options.seed });
      const p = this.decode(z, sizes ? { librarySize: sizes } : {});
      return (
        options.mean ? p.mean() : p.sample([], { seed: options.seed === undefined ? undefined : options.seed + 1 })
      ) as tf.Tensor2D;
    });
  }

  /**
   * Decodes `steps` points on the straight line between the posterior means of a and b (each one example, [1, D] or
   * a row): returns the decoder means [steps, inputDim]. The ends are the reconstructions of a and b. For
   * library-size models the library size is interpolated geometrically between the totals of a and b.
   * @throws ShapeError when a or b is not exactly one example of width inputDim; ArgumentError for `steps` < 2, above
   *   {@link INFERENCE_LIMITS}.maxInterpolationSteps (2²⁰), or steps × inputDim above
   *   {@link INFERENCE_LIMITS}.maxOutputValues (2²⁸).
   */
  interpolate(a: DataInput | tf.Tensor, b: DataInput | tf.Tensor, steps: number): tf.Tensor2D {
    this.assertAlive();
    if (!Number.isInteger(steps) || steps < 2)
      throw new ArgumentError('steps', `VAE.interpolate: "steps" must be an integer >= 2, got ${showValue(steps)}`);
    if (steps > INFERENCE_LIMITS.maxInterpolationSteps) {
      throw new ArgumentError(
        'steps',
        `VAE.interpolate: "steps" is ${steps}, above the limit of ${INFERENCE_LIMITS.maxInterpolationSteps} (INFERENCE_LIMITS.maxInterpolationSteps)`,
      );
    }
    checkOutputSize('VAE.interpolate', 'steps', steps, this.config.inputDim);
    return tf.tidy(() => {
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
      const z = along(this.posterior(xa).mean(), this.posterior(xb).mean());
      const logLibrary = (x: tf.Tensor) => tf.log(tf.maximum(tf.sum(x, 1, true), 1));
      const logLib = this.config.librarySize ? along(logLibrary(xa), logLibrary(xb)) : undefined;
      return this.likelihoodFor(z, logLib).mean() as tf.Tensor2D;
    });
  }

  /**
   * Averages of the ELBO terms over x (and the IWAE bound with `iwaeK` samples), evaluated in batches.
   * With `iwaeK`, a batch holds at most {@link INFERENCE_LIMITS}.maxIwaeValues decoded values (iwaeK × rows × the
   * widest decoder layer): `batchSize` shrinks to fit.
   * @throws DataError / ShapeError for data that does not fit the model; ArgumentError for a bad `iwaeK` or
   *   `batchSize`, an `iwaeK` above {@link INFERENCE_LIMITS}.maxIwaeK (10000), or one whose single row is above
   *   {@link INFERENCE_LIMITS}.maxIwaeValues.
   */
  async evaluate(x: DataInput | RowBatchSource, options: EvaluateOptions = {}): Promise<Evaluation> {
    this.assertAlive();
    checkInferenceOptions('evaluate', options);
    // a source: the same batches and seeds, one matrix batch at a time
    if (isRowSource(x)) return evaluateSource(this, x, options, (m, o) => this.evaluate(m, o));
    const m = readData(x, this.config.inputDim, this.dataRules, 'x');
    const batchSize = iwaeBatchSize('VAE.evaluate', options.batchSize ?? 256, options.iwaeK, this.config);
    const seed = options.seed ?? 0;
    const sums = { elbo: 0, reconstruction: 0, kl: 0, iwae: 0 };
    for (let start = 0; start < m.rows; start += batchSize) {
      const rows = Math.min(batchSize, m.rows - start);
      const part = tf.tidy(() => {
        const xb = tf.tensor2d(m.data.subarray(start * m.cols, (start + rows) * m.cols), [rows, m.cols]);
        const inputs = this.variationalInputs(xb);
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
            ? new ArgumentError('this', 'VAE.fit: the model was disposed during training')
            : undefined,
      };
      // a sparse, random-access or stream source trains batch by batch, checked as it comes
      if (isRowSource(data)) return await trainOnSource(this, data, options, control);
      return await trainModel(this, data, options, control);
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
    return modelToArtifacts(this.config, this.namedVariables());
  }

  /**
   * Rebuilds a model from artifacts, validating the config and every weight's name, shape and byte size first.
   * @throws SerializationError for anything corrupt, truncated or mismatched; nothing is left allocated.
   */
  static async fromArtifacts(artifacts: ModelArtifacts, options: { likelihood?: CustomLikelihood } = {}): Promise<VAE> {
    assertBackendRegistered();
    return loadArtifacts(artifacts, (config) => {
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
      const c = custom ? { ...config, likelihood: custom } : config;
      return new VAE(c as VAEConfig);
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
  static async load(source: ModelLocation, options: { likelihood?: CustomLikelihood } = {}): Promise<VAE> {
    assertBackendRegistered();
    return VAE.fromArtifacts(await loadModel(source), options);
  }

  /**
   * Frees every variable. The model cannot be used afterwards. During `fit`, the model is freed as soon as the running
   * step ends, and that `fit` rejects with an ArgumentError.
   */
  dispose(): void {
    if (this.disposed) return;
    if (this.training) {
      this.disposeRequested = true;
      return;
    }
    this.encoder.dispose();
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
