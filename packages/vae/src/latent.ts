import type * as tf from '@tensorflow/tfjs-core';
import { Deterministic, type Distribution, Independent } from '@varia/distributions';
import { collectVariables, HEAD_DISTRIBUTION_OPTIONS, type Initializer, type Module } from '@varia/layers';
import type { BaselineOption, GradientEstimator } from '@varia/losses';
import { LatentBaseline } from './latent-baseline.js';
import type { ResolvedLatentConfig } from './latent-config.js';
import { familyOf, POSTERIOR_FAMILIES, type PosteriorName, PRIOR_FAMILIES, type PriorName } from './latent-registry.js';
import type { PosteriorHead, PriorModule } from './latent-types.js';

/** What {@link LatentModule} is built from: the resolved latent config, the widths and the seeds. */
export interface LatentModuleOptions {
  /** The resolved latent part of the config (posterior, prior, deterministic mode). */
  config: ResolvedLatentConfig;
  /** Width of the encoder's last hidden layer h (the head's input). */
  inputDim: number;
  /** Width d of the latent z. */
  latentDim: number;
  /** Weight initialisation of the head. */
  init: Initializer;
  /** Seed of the posterior head. */
  headSeed: number;
  /** Seed of the prior's parameters (a mixture prior's means) and of a learned baseline. */
  priorSeed: number;
  /** What a learned score-function baseline reads: x's width and the encoder's input transform. */
  data?: LatentDataInput;
}

/** The data a learned score-function baseline reads (see {@link LatentModuleOptions.data}). */
export interface LatentDataInput {
  /** Width of x. */
  width: number;
  /** The encoder's input transform of x (e.g. log(1 + x) for counts). */
  transform: (x: tf.Tensor) => tf.Tensor;
}

/** The objective options a latent needs: its gradient estimator and (while training) its baseline. */
export interface LatentObjectiveOptions {
  /** `'score-function'` for latents without `rsample` (Poisson); absent: the objective's `'auto'`. */
  estimator?: GradientEstimator;
  /** The score-function control variate (training only; evaluation uses none, which leaves the ELBO's value as is). */
  baseline?: BaselineOption;
}

/**
 * The latent part of a VAE: the posterior head turning the encoder's features h into q(z|h), the prior p(z), and
 * for score-function latents the baseline. Families come from the latent registry (`POSTERIOR_FAMILIES`,
 * `PRIOR_FAMILIES`). Variables are named `encoder_head/…` (the head), `prior/…` (the prior) and `latent_baseline/…`
 * (a learned baseline's network), as in saved models.
 */
export class LatentModule implements Module {
  /** The resolved latent config. */
  readonly config: ResolvedLatentConfig;
  /** The posterior head: h ↦ q(z|h). */
  readonly head: PosteriorHead;
  /** The prior p(z) (learnable for a mixture). */
  readonly latentPrior: PriorModule;
  /**
   * The score-function baseline's module (Poisson latents with a moving-average or learned baseline): a learned
   * baseline's network variables (`latent_baseline/…`); its running average is in {@link LatentModule.stateVariables}.
   */
  get baseline(): Module | undefined {
    return this.latentBaseline;
  }
  private readonly latentBaseline?: LatentBaseline;
  private readonly estimator?: GradientEstimator;
  private readonly baselineOption?: BaselineOption;

  constructor(options: LatentModuleOptions) {
    const { config: c, inputDim, latentDim, init } = options;
    this.config = c;
    const posterior = familyOf<PosteriorName>(c.posterior);
    const family = POSTERIOR_FAMILIES[posterior.name];
    const prior = familyOf<PriorName>(c.prior);
    const built: Module[] = [];
    try {
      this.head = family.build({
        options: posterior.options,
        inputDim,
        latentDim,
        init,
        seed: options.headSeed,
        scaleTransform: c.encoderScaleTransform,
        deterministic: c.deterministic,
      });
      built.push(this.head);
      this.latentPrior = PRIOR_FAMILIES[prior.name].build(prior.options, latentDim, options.priorSeed, c.posterior);
      built.push(this.latentPrior);
      if ('estimator' in family) {
        this.estimator = family.estimator;
        const kind = (posterior.options as { baseline: 'none' | 'moving-average' | 'learned' | 'leave-one-out' })
          .baseline;
        if (kind === 'moving-average' || kind === 'learned') {
          const data = options.data ?? { width: inputDim, transform: (x: tf.Tensor) => x };
          this.latentBaseline = new LatentBaseline({
            kind,
            dataDim: data.width,
            transform: data.transform,
            init,
            seed: options.priorSeed + 1,
          });
          this.baselineOption = this.latentBaseline.baseline;
        } else this.baselineOption = kind;
      }
    } catch (e) {
      for (const m of built) m.dispose();
      throw e;
    }
  }

  /**
   * q(z|h) for encoder features h [n, inputDim]; `step` anneals a relaxed latent's temperature (absent outside
   * training). Lives in the caller's tidy scope.
   */
  posterior(h: tf.Tensor, step?: number): Distribution {
    if (this.config.deterministic) {
      // point mass at μ(x): rsample is μ(x) with its gradient; KL to the prior is −log p(μ(x))
      return new Independent(new Deterministic({ loc: this.head.pointSummary(h) }, HEAD_DISTRIBUTION_OPTIONS), 1);
    }
    return this.head.posterior(h, step);
  }

  /**
   * The point summary of q(z|h) that `encode` returns, [n, latentDim]: the mean μ(h) for Gaussians (without the
   * scale), α/Σα for a Dirichlet, softmax(ℓ) for a relaxed one-hot, λ for a Poisson, and the image of the base mean
   * for a flow or a logistic normal.
   */
  posteriorMean(h: tf.Tensor): tf.Tensor2D {
    return this.head.pointSummary(h) as tf.Tensor2D;
  }

  /** The prior p(z) (batch shape [], event shape [d]); `step` as for `posterior`. Lives in the caller's tidy scope. */
  prior(step?: number): Distribution {
    return this.latentPrior.distribution(step);
  }

  /**
   * The ELBO options this latent needs (pass them to `negativeElbo`/`elbo`): the score-function estimator for a
   * Poisson latent, with its baseline while `training` (none in evaluation: a stateful baseline must not move there).
   */
  objectiveOptions(training: boolean): LatentObjectiveOptions {
    if (!this.estimator) return {};
    return { estimator: this.estimator, baseline: training ? this.baselineOption : 'none' };
  }

  /** The head's, the prior's and a learned baseline's variables: `encoder_head/…`, `prior/…`, `latent_baseline/…`. */
  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return collectVariables(
      [
        ['encoder_head', this.head],
        ['prior', this.latentPrior],
        ['latent_baseline', this.latentBaseline],
      ],
      prefix,
    );
  }

  /** Non-trainable state training changes (a baseline's moving average): `latent_baseline/average`, `…/updates`. */
  stateVariables(): Map<string, tf.Variable> {
    return this.latentBaseline ? this.latentBaseline.stateVariables('latent_baseline') : new Map();
  }

  dispose(): void {
    this.head.dispose();
    this.latentPrior.dispose();
    this.latentBaseline?.dispose();
  }
}
