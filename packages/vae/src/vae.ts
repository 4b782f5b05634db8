import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, mulberry32, nextSeed } from '@varia/core';
import { type Distribution, Independent, Normal } from '@varia/distributions';
import { collectVariables, type DistributionHead, MLP, type Module, NormalHead } from '@varia/layers';
import { type ElboOptions, elbo, iwaeBound, type LatentVariableModel, type VariationalInputs } from '@varia/losses';
import { type CustomLikelihood, type ResolvedVAEConfig, resolveConfig, type VAEConfig } from './config.js';
import { type DataInput, toMatrix, validateDomain } from './data.js';
import { type FitOptions, type History, trainModel } from './fit.js';
import { likelihoodSpec, type LikelihoodSpec } from './likelihoods.js';
import { loadArtifacts, type ModelArtifacts, modelToArtifacts, readModelDir, writeModelDir } from './serialization.js';

/** Options of {@link VAE.encode}. */
export interface EncodeOptions {
  /** Return a sample z ~ q(z|x) instead of the posterior mean (default false). */
  sample?: boolean;
  /** Seed of the sample. */
  seed?: number;
}

/** Options of {@link VAE.sample}. */
export interface GenerateOptions {
  /** Return the decoder's mean E[x|z] instead of a draw x ~ p(x|z) (default false). */
  mean?: boolean;
  /** Seed. */
  seed?: number;
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
  /** The encoder's hidden layers. */
  readonly encoder: MLP;
  /** The encoder's Gaussian head producing q(z|x). */
  readonly encoderHead: NormalHead;
  /** The decoder's hidden layers. */
  readonly decoder: MLP;
  /** The decoder's likelihood head producing p(x|z). */
  readonly likelihoodHead: DistributionHead;
  /** The likelihood's data rules. */
  readonly likelihood: LikelihoodSpec;
  private disposed = false;

  constructor(config: VAEConfig) {
    this.config = resolveConfig(config);
    const custom = typeof config.likelihood === 'object' ? (config.likelihood as CustomLikelihood) : undefined;
    this.likelihood = likelihoodSpec(this.config.likelihood, custom);
    const c = this.config;
    const rng = mulberry32(c.seed);
    this.encoder = new MLP({ inputDim: c.inputDim, hiddenUnits: c.encoderUnits, activation: c.activation, init: c.init, seed: nextSeed(rng) });
    this.encoderHead = new NormalHead({
      inputDim: this.encoder.outputDim,
      units: c.latentDim,
      scale: 'amortized',
      scaleTransform: c.encoderScaleTransform,
      init: c.init,
      seed: nextSeed(rng),
    });
    this.decoder = new MLP({ inputDim: c.latentDim, hiddenUnits: c.decoderUnits, activation: c.activation, init: c.init, seed: nextSeed(rng) });
    this.likelihoodHead = this.likelihood.createHead(c, this.decoder.outputDim, nextSeed(rng));
  }

  /** All trainable variables by stable name (`encoder/0/kernel`, `likelihood/loc/bias`, …). */
  namedVariables(prefix?: string): Map<string, tf.Variable> {
    this.assertAlive();
    return collectVariables(
      [
        ['encoder', this.encoder],
        ['encoder_head', this.encoderHead],
        ['decoder', this.decoder],
        ['likelihood', this.likelihoodHead],
      ],
      prefix,
    );
  }

  /** The prior p(z) = N(0, I) over ℝᵈ (batch shape [], event shape [d]). Lives in the caller's tidy scope. */
  prior(): Distribution {
    const d = this.config.latentDim;
    return new Independent(new Normal({ loc: tf.zeros([d]), scale: tf.ones([d]) }, { validateArgs: false }), 1);
  }

  /** q(z|x) for a batch x [n, inputDim] (a tensor). Lives in the caller's tidy scope. */
  posterior(x: tf.Tensor): Distribution {
    this.assertAlive();
    const input = this.config.inputTransform === 'log1p' ? tf.log1p(x) : x;
    return this.encoderHead.apply(this.encoder.apply(input));
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

  private input(x: DataInput | tf.Tensor, argument = 'x'): tf.Tensor2D {
    if (x instanceof tf.Tensor) {
      if (x.rank !== 2 || x.shape[1] !== this.config.inputDim) {
        toMatrix(x as tf.Tensor2D, this.config.inputDim, argument); // throws the typed error
      }
      return x as tf.Tensor2D;
    }
    const m = toMatrix(x, this.config.inputDim, argument);
    return tf.tensor2d(m.data, [m.rows, m.cols], 'float32');
  }

  /**
   * Encodes x [n, inputDim] to z [n, latentDim]: the posterior mean μ(x), or a sample with `{ sample: true }`.
   * The caller owns the returned tensor.
   */
  encode(x: DataInput | tf.Tensor, options: EncodeOptions = {}): tf.Tensor2D {
    this.assertAlive();
    return tf.tidy(() => {
      const q = this.posterior(this.input(x));
      return (options.sample ? q.sample([], { seed: options.seed }) : q.mean()) as tf.Tensor2D;
    });
  }

  /**
   * The likelihood p(x|z) for z [n, latentDim] (given as a tensor or rows). Its tensors belong to the caller:
   * use it inside `tf.tidy` or call `dispose()` on it. For library-size models pass `librarySize` per row.
   */
  decode(z: DataInput | tf.Tensor, librarySize?: number[]): Distribution {
    this.assertAlive();
    const zt = z instanceof tf.Tensor ? z : (() => {
      const m = toMatrix(z, this.config.latentDim, 'z');
      return tf.tensor2d(m.data, [m.rows, m.cols]);
    })();
    if (zt.rank !== 2 || zt.shape[1] !== this.config.latentDim) toMatrix(zt as tf.Tensor2D, this.config.latentDim, 'z');
    const logLib = this.config.librarySize
      ? tf.log(tf.tensor2d(librarySize ?? new Array<number>(zt.shape[0]!).fill(1), [zt.shape[0]!, 1]))
      : undefined;
    return this.likelihoodFor(zt, logLib);
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

  /** Generates n examples: z ~ p(z), then x ~ p(x|z) (or E[x|z] with `{ mean: true }`). [n, inputDim]. */
  sample(n: number, options: GenerateOptions = {}): tf.Tensor2D {
    this.assertAlive();
    if (!Number.isInteger(n) || n < 1) throw new ArgumentError('n', `VAE.sample: "n" must be a positive integer, got ${n}`);
    return tf.tidy(() => {
      const z = this.prior().sample([n], { seed: options.seed });
      const p = this.decode(z, this.config.librarySize ? new Array<number>(n).fill(1) : undefined);
      return (options.mean ? p.mean() : p.sample([], { seed: options.seed === undefined ? undefined : options.seed + 1 })) as tf.Tensor2D;
    });
  }

  /**
   * Decodes `steps` points on the straight line between the posterior means of a and b (each one example, [1, D] or
   * a row): returns the decoder means [steps, inputDim].
   */
  interpolate(a: DataInput | tf.Tensor, b: DataInput | tf.Tensor, steps: number): tf.Tensor2D {
    this.assertAlive();
    if (!Number.isInteger(steps) || steps < 2) throw new ArgumentError('steps', `VAE.interpolate: "steps" must be an integer >= 2, got ${steps}`);
    return tf.tidy(() => {
      const za = this.encode(a);
      const zb = this.encode(b);
      const t = tf.reshape(tf.linspace(0, 1, steps), [steps, 1]);
      const z = tf.add(tf.mul(tf.sub(1, t), za), tf.mul(t, zb));
      const lib = this.config.librarySize ? new Array<number>(steps).fill(1) : undefined;
      return this.decode(z, lib).mean() as tf.Tensor2D;
    });
  }

  /**
   * Averages of the ELBO terms over x (and the IWAE bound with `iwaeK` samples), evaluated in batches.
   * @throws DataError / ShapeError for data that does not fit the model.
   */
  async evaluate(x: DataInput, options: { iwaeK?: number; batchSize?: number; seed?: number } = {}): Promise<Evaluation> {
    this.assertAlive();
    const m = toMatrix(x, this.config.inputDim, 'x');
    validateDomain(m, this.likelihood.domain, this.config.likelihood, 'x');
    const batchSize = options.batchSize ?? 256;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ArgumentError('batchSize', `VAE.evaluate: "batchSize" must be a positive integer, got ${batchSize}`);
    }
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
   * @throws DataError for data that does not fit the likelihood; DivergenceError on a non-finite loss (the weights
   *   are restored to the last epoch that ended finite).
   */
  async fit(data: DataInput, options: FitOptions = {}): Promise<History> {
    this.assertAlive();
    return trainModel(this, data, options);
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
    return loadArtifacts(artifacts, (config) => {
      const c = options.likelihood ? { ...config, likelihood: options.likelihood } : config;
      return new VAE(c as VAEConfig);
    });
  }

  /** Saves to directory `dir` (Node): `model.json` (config, versions, weight manifest) and `weights.bin`, atomically. */
  async save(dir: string): Promise<void> {
    await writeModelDir(dir, await this.toArtifacts());
  }

  /** Loads a model saved with {@link VAE.save}. @throws SerializationError (nothing half-loaded). */
  static async load(dir: string, options: { likelihood?: CustomLikelihood } = {}): Promise<VAE> {
    return VAE.fromArtifacts(await readModelDir(dir), options);
  }

  /** Frees every variable. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.encoder.dispose();
    this.encoderHead.dispose();
    this.decoder.dispose();
    this.likelihoodHead.dispose();
    this.disposed = true;
  }

  /** Whether {@link VAE.dispose} was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  private assertAlive(): void {
    if (this.disposed) throw new ArgumentError('this', 'VAE: the model was disposed');
  }
}
