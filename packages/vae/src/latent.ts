import type * as tf from '@tensorflow/tfjs-core';
import { Deterministic, type Distribution, Independent } from '@varia/distributions';
import {
  collectVariables,
  GaussianMixturePrior,
  HEAD_DISTRIBUTION_OPTIONS,
  type Initializer,
  type LatentPrior,
  type Module,
  NormalHead,
  StandardNormalPrior,
} from '@varia/layers';
import type { ResolvedLatentConfig } from './latent-config.js';

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
  /** Seed of the prior's parameters (a mixture prior's means). */
  priorSeed: number;
}

/**
 * The latent part of a VAE: the posterior head turning the encoder's features h into q(z|h), and the prior p(z).
 * Its variables are named `encoder_head/…` (the head) and `prior/…` (the prior), as in saved models.
 */
export class LatentModule implements Module {
  /** The resolved latent config. */
  readonly config: ResolvedLatentConfig;
  /** The posterior head: h ↦ q(z|h). */
  readonly head: NormalHead;
  /** The prior p(z) (learnable for a mixture). */
  readonly latentPrior: LatentPrior;

  constructor(options: LatentModuleOptions) {
    const { config: c, inputDim, latentDim, init } = options;
    this.config = c;
    this.head = new NormalHead({
      inputDim,
      units: latentDim,
      // a point-mass encoder needs only μ(x)
      scale: c.deterministic ? { fixed: 1 } : 'amortized',
      scaleTransform: c.encoderScaleTransform,
      init,
      seed: options.headSeed,
    });
    try {
      this.latentPrior =
        c.prior === 'standard-normal'
          ? new StandardNormalPrior(latentDim)
          : new GaussianMixturePrior({ latentDim, components: c.prior.mixture, seed: options.priorSeed });
    } catch (e) {
      this.head.dispose();
      throw e;
    }
  }

  /** q(z|h) for encoder features h [n, inputDim]. Lives in the caller's tidy scope. */
  posterior(h: tf.Tensor): Distribution {
    if (this.config.deterministic) {
      // point mass at μ(x): rsample is μ(x) with its gradient; KL to the prior is −log p(μ(x))
      return new Independent(new Deterministic({ loc: this.head.locLayer.apply(h) }, HEAD_DISTRIBUTION_OPTIONS), 1);
    }
    return this.head.apply(h);
  }

  /** The point summary of q(z|h) that `encode` returns: μ(h), without computing the scale. [n, latentDim]. */
  posteriorMean(h: tf.Tensor): tf.Tensor2D {
    return this.head.locLayer.apply(h);
  }

  /** The prior p(z) (batch shape [], event shape [d]). Lives in the caller's tidy scope. */
  prior(): Distribution {
    return this.latentPrior.distribution();
  }

  /** The head's and the prior's variables, named `encoder_head/…` and `prior/…`. */
  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return collectVariables(
      [
        ['encoder_head', this.head],
        ['prior', this.latentPrior],
      ],
      prefix,
    );
  }

  dispose(): void {
    this.head.dispose();
    this.latentPrior.dispose();
  }
}
