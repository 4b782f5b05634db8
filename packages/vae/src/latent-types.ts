import type * as tf from '@tensorflow/tfjs-core';
import type { Distribution } from '@varia/distributions';
import type { Module } from '@varia/layers';

/** A relaxed latent's annealing: τ(step) = max(minimum, initial·exp(−rate·step)) (Jang et al. 2017). */
export interface TemperatureAnnealing {
  /** τ at step 0; default 1. */
  initial: number;
  /** The floor τ reaches, and the τ used outside training; default min(0.5, initial). */
  minimum: number;
  /** Decay rate per training step; default 1e-3 (0: constant). */
  rate: number;
}

/**
 * The temperature of a relaxed one-hot latent: a constant τ, or an annealing schedule (any field may be left out).
 * Temperatures lie in [0.01, 100] (below, float32 Gumbel-softmax underflows to one-hot).
 */
export type TemperatureSchedule = number | Partial<TemperatureAnnealing>;

/** How the score-function estimator of a Poisson latent reduces its variance (see `@varia/losses` baselines). */
export type PoissonBaseline = 'none' | 'moving-average' | 'learned' | 'leave-one-out';

/** Options of the low-rank Gaussian posterior. */
export interface LowRankOptions {
  /** Rank R of the covariance factor W (1–1024). */
  rank: number;
}

/** Options of the normalizing-flow posterior. */
export interface FlowOptions {
  /** `'iaf'`: inverse autoregressive flow steps with MADE networks (default); `'realnvp'`: affine couplings. */
  kind: 'iaf' | 'realnvp';
  /** Number of flow steps (1–64); default 2. */
  steps: number;
  /** Hidden widths of each step's network (1–16 layers); default [max(16, 2·latentDim)]. */
  hiddenUnits: number[];
}

/** Options of the relaxed one-hot posterior. */
export interface RelaxedOneHotOptions {
  /** The temperature; default { initial: 1, minimum: 0.5, rate: 1e-3 }. */
  temperature: TemperatureSchedule;
}

/** Options of the Poisson posterior. */
export interface PoissonPosteriorOptions {
  /** The score-function baseline; default `'moving-average'`. */
  baseline: PoissonBaseline;
}

/**
 * The posterior family q(z|x), as a name or `{ name: options }`:
 * - `'gaussian'`: N(μ(x), diag σ²(x)) (default);
 * - `'fullCovariance'`: N(μ(x), L(x)L(x)ᵀ), L lower-triangular (O(d³) per density);
 * - `{ lowRank: { rank } }`: N(μ(x), W(x)W(x)ᵀ + diag d(x)), W of rank `rank`;
 * - `{ flow: { kind, steps, hiddenUnits } }`: a diagonal Gaussian pushed through `steps` inverse autoregressive flow
 *   steps with MADE networks (`kind: 'iaf'`) or RealNVP affine couplings (`'realnvp'`), conditioned on x;
 * - `'dirichlet'`: Dir(α(x)) over the d-simplex (implicit reparameterization);
 * - `'logisticNormal'`: StickBreaking(N(μ(x), diag σ²(x))) over the d-simplex (ProdLDA's posterior);
 * - `{ relaxedOneHot: { temperature } }`: Gumbel-softmax over d categories, τ annealed per training step;
 * - `'poisson'` or `{ poisson: { baseline } }`: Πⱼ Poisson(λⱼ(x)) counts, trained with the score-function estimator.
 */
export type PosteriorConfig =
  | 'gaussian'
  | 'fullCovariance'
  | 'dirichlet'
  | 'logisticNormal'
  | 'poisson'
  | 'relaxedOneHot'
  | {
      /** The low-rank Gaussian's options. */
      lowRank: LowRankOptions;
    }
  | {
      /** The flow's options. */
      flow: Partial<FlowOptions>;
    }
  | {
      /** The relaxed one-hot latent's options. */
      relaxedOneHot: Partial<RelaxedOneHotOptions>;
    }
  | {
      /** The Poisson latent's options. */
      poisson: Partial<PoissonPosteriorOptions>;
    };

/** Options of the Dirichlet prior. */
export interface DirichletPriorOptions {
  /** The symmetric concentration α₀ > 0 of Dir(α₀·1); default 1. */
  concentration: number;
}

/** Options of the logistic-normal prior: StickBreaking(N(loc, scale²)) in each of the K − 1 coordinates. */
export interface LogisticNormalPriorOptions {
  /** μ of the underlying normals; default 0. */
  loc: number;
  /** σ > 0 of the underlying normals; default 1. */
  scale: number;
}

/** Options of the Poisson prior. */
export interface PoissonPriorOptions {
  /** The rate λ₀ > 0 of each latent count; default 1. */
  rate: number;
}

/**
 * The prior p(z), as a name or `{ name: options }`: `'standard-normal'` N(0, I) or `{ mixture: K }` (a learnable
 * mixture of K Gaussians) for real latents; `'dirichlet'`/`{ dirichlet }` or `'logisticNormal'`/`{ logisticNormal }`
 * for simplex latents; `'relaxedOneHot'` (uniform logits, the posterior's temperature) for relaxed one-hot latents;
 * `'poisson'`/`{ poisson }` for Poisson latents.
 */
export type PriorConfig =
  | 'standard-normal'
  | 'dirichlet'
  | 'logisticNormal'
  | 'relaxedOneHot'
  | 'poisson'
  | {
      /** Number K of mixture components (1–4096). */
      mixture: number;
    }
  | {
      /** The Dirichlet prior's options. */
      dirichlet: Partial<DirichletPriorOptions>;
    }
  | {
      /** The logistic-normal prior's options. */
      logisticNormal: Partial<LogisticNormalPriorOptions>;
    }
  | {
      /** The Poisson prior's options. */
      poisson: Partial<PoissonPriorOptions>;
    };

/** A posterior config with every default filled in (what is saved): a bare name, or `{ name: options }`. */
export type ResolvedPosterior =
  | 'gaussian'
  | 'fullCovariance'
  | 'dirichlet'
  | 'logisticNormal'
  | {
      /** The low-rank Gaussian's options. */
      lowRank: LowRankOptions;
    }
  | {
      /** The flow's options. */
      flow: FlowOptions;
    }
  | {
      /** The relaxed one-hot latent's options (the temperature as an annealing). */
      relaxedOneHot: {
        /** The temperature's annealing (a constant τ has rate 0). */
        temperature: TemperatureAnnealing;
      };
    }
  | {
      /** The Poisson latent's options. */
      poisson: PoissonPosteriorOptions;
    };

/** A prior config with every default filled in (what is saved). */
export type ResolvedPrior =
  | 'standard-normal'
  | 'relaxedOneHot'
  | {
      /** Number K of mixture components. */
      mixture: number;
    }
  | {
      /** The Dirichlet prior's options. */
      dirichlet: DirichletPriorOptions;
    }
  | {
      /** The logistic-normal prior's options. */
      logisticNormal: LogisticNormalPriorOptions;
    }
  | {
      /** The Poisson prior's options. */
      poisson: PoissonPriorOptions;
    };

/** What a posterior family builds: h ↦ q(z|h), and its point summary for `encode`. */
export interface PosteriorHead extends Module {
  /** The head's layers (a `NormalHead`, `FlowPosteriorHead`, `DirichletHead`, …). */
  readonly module: Module;
  /** q(z|h) for features h [n, width]; `step` is the training step (annealed temperatures), absent outside training. */
  posterior(h: tf.Tensor, step?: number): Distribution;
  /** The point summary `encode` returns, [n, d]: the mean where it has a closed form, else the image of the base mean. */
  pointSummary(h: tf.Tensor): tf.Tensor;
}

/** What a prior family builds: p(z) (batch shape [], event shape [d]), possibly learnable. */
export interface PriorModule extends Module {
  /** p(z); `step` as for {@link PosteriorHead.posterior}. Lives in the caller's tidy scope. */
  distribution(step?: number): Distribution;
}
