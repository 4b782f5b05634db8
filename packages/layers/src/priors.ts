import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DisposedError, mulberry32, standardNormal } from '@varia/core';
import { Categorical, type Distribution, Independent, MixtureSameFamily, Normal } from '@varia/distributions';
import { HEAD_DISTRIBUTION_OPTIONS } from './heads.js';
import { makeVariable } from './initializers.js';
import { type Module, scopedName } from './module.js';

/** A prior p(z) over ℝᵈ, possibly with trainable parameters. */
export interface LatentPrior extends Module {
  /** Latent width d. */
  readonly latentDim: number;
  /** The prior as a distribution with batch shape [] and event shape [d]; lives in the caller's tidy scope. */
  distribution(): Distribution;
}

/** The standard normal prior p(z) = N(0, I). No trainable variables. */
export class StandardNormalPrior implements LatentPrior {
  readonly latentDim: number;
  constructor(latentDim: number) {
    if (!Number.isInteger(latentDim) || latentDim < 1) {
      throw new ArgumentError(
        'latentDim',
        `StandardNormalPrior: "latentDim" must be a positive integer, got ${latentDim}`,
      );
    }
    this.latentDim = latentDim;
  }
  distribution(): Distribution {
    // host values, not tensors: the Normal then knows it is N(0, 1) (knownConstant), and the analytic KL against it
    // skips the division by σ = 1 and the subtraction of μ = 0 in every training step
    const d = this.latentDim;
    return new Independent(
      new Normal({ loc: new Float32Array(d), scale: new Float32Array(d).fill(1) }, HEAD_DISTRIBUTION_OPTIONS),
      1,
    );
  }
  namedVariables(): Map<string, tf.Variable> {
    return new Map();
  }
  dispose(): void {}
}

/** Options of {@link GaussianMixturePrior}. */
export interface GaussianMixturePriorOptions {
  /** Latent width d. */
  latentDim: number;
  /** Number K of components. */
  components: number;
  /** Seed of the initial component means (drawn from N(0, I)). Default 0. */
  seed?: number;
}

/**
 * A learnable mixture-of-Gaussians prior p(z) = Σₖ πₖ N(z; μₖ, diag σₖ²) with π = softmax(logits),
 * σ = softplus(u) + 1e-4. Initialised with equal weights, means drawn from N(0, I) and σ = 1. The KL against it has
 * no closed form: objectives estimate it by Monte Carlo.
 */
export class GaussianMixturePrior implements LatentPrior {
  readonly latentDim: number;
  /** Number of components K. */
  readonly components: number;
  /** Mixture logits [K]. */
  readonly logits: tf.Variable;
  /** Component means [K, d]. */
  readonly locs: tf.Variable;
  /** Unconstrained component scales [K, d]. */
  readonly rawScales: tf.Variable;

  constructor(options: GaussianMixturePriorOptions) {
    const { latentDim, components } = options;
    if (!Number.isInteger(latentDim) || latentDim < 1) {
      throw new ArgumentError(
        'latentDim',
        `GaussianMixturePrior: "latentDim" must be a positive integer, got ${latentDim}`,
      );
    }
    if (!Number.isInteger(components) || components < 1) {
      throw new ArgumentError(
        'components',
        `GaussianMixturePrior: "components" must be a positive integer, got ${components}`,
      );
    }
    this.latentDim = latentDim;
    this.components = components;
    const rng = mulberry32(options.seed ?? 0);
    const locs = new Float32Array(components * latentDim);
    for (let i = 0; i < locs.length; i++) locs[i] = standardNormal(rng);
    // softplus(u) + 1e-4 = 1  ⇔  u = log(e^(1 − 1e-4) − 1)
    const u = Math.log(Math.expm1(1 - 1e-4));
    this.logits = makeVariable(new Float32Array(components), [components], 'prior_logits');
    this.locs = makeVariable(locs, [components, latentDim], 'prior_locs');
    this.rawScales = makeVariable(
      new Float32Array(components * latentDim).fill(u),
      [components, latentDim],
      'prior_raw_scales',
    );
  }

  /** The mixture p(z). @throws DisposedError after {@link GaussianMixturePrior.dispose}. */
  distribution(): Distribution {
    if (this.logits.isDisposed) throw new DisposedError('GaussianMixturePrior');
    const mixture = new Categorical({ logits: this.logits }, HEAD_DISTRIBUTION_OPTIONS);
    const scale = tf.add(tf.softplus(this.rawScales), 1e-4);
    const components = new Independent(new Normal({ loc: this.locs, scale }, HEAD_DISTRIBUTION_OPTIONS), 1);
    return new MixtureSameFamily({ mixture, components }, HEAD_DISTRIBUTION_OPTIONS);
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return new Map([
      [scopedName(prefix, 'logits'), this.logits],
      [scopedName(prefix, 'locs'), this.locs],
      [scopedName(prefix, 'raw_scales'), this.rawScales],
    ]);
  }

  dispose(): void {
    this.logits.dispose();
    this.locs.dispose();
    this.rawScales.dispose();
  }
}
