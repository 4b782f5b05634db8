import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import {
  Dirichlet,
  type Distribution,
  Independent,
  MultivariateNormal,
  Poisson,
  RelaxedOneHotCategorical,
} from '@varia/distributions';
import {
  DirichletHead,
  FlowPosteriorHead,
  FullCovarianceNormalHead,
  GaussianMixturePrior,
  HEAD_DISTRIBUTION_OPTIONS,
  type Initializer,
  LogisticNormalHead,
  LowRankNormalHead,
  type Module,
  NormalHead,
  StandardNormalPrior,
} from '@varia/layers';
import {
  dirichletMean,
  flowPointSummary,
  logisticNormalPointSummary,
  logisticNormalPrior,
  PoissonLatentHead,
  RelaxedOneHotHead,
} from './latent-heads.js';
import {
  denseParameters,
  finiteNumber,
  oneOf,
  optionsObject,
  positiveInt,
  positiveNumber,
  widthList,
} from './latent-options.js';

/**
 * The annealed temperature of a relaxed one-hot latent: τ(step) = max(minimum, initial·exp(−rate·step)) (Jang et al.
 * 2017). A number is a constant τ. Outside training (encode, evaluate, sample) the `minimum` is used.
 */
export type TemperatureSchedule = number | { initial?: number; minimum?: number; rate?: number };

/** How the score-function estimator of a Poisson latent reduces its variance (see `@varia/losses` baselines). */
export type PoissonBaseline = 'none' | 'moving-average' | 'learned' | 'leave-one-out';

/**
 * The posterior family q(z|x), as a name or `{ name: options }`:
 * - `'gaussian'`: N(μ(x), diag σ²(x)) (default);
 * - `'fullCovariance'`: N(μ(x), L(x)L(x)ᵀ), L lower-triangular (O(d³) per density);
 * - `{ lowRank: { rank } }`: N(μ(x), W(x)W(x)ᵀ + diag d(x)), W of rank `rank`;
 * - `{ flow: { kind, steps, hiddenUnits } }`: a diagonal Gaussian pushed through `steps` (default 2) inverse
 *   autoregressive flow steps with MADE networks (`kind: 'iaf'`, default) or RealNVP affine couplings
 *   (`'realnvp'`), each with `hiddenUnits` (default [max(16, 2d)]), conditioned on the encoder's features;
 * - `'dirichlet'`: Dir(α(x)) over the d-simplex (implicit reparameterization);
 * - `'logisticNormal'`: StickBreaking(N(μ(x), diag σ²(x))) over the d-simplex (ProdLDA's posterior);
 * - `{ relaxedOneHot: { temperature } }`: Gumbel-softmax over d categories, τ annealed per step
 *   ({@link TemperatureSchedule}, default { initial: 1, minimum: 0.5, rate: 1e-3 });
 * - `{ poisson: { baseline } }`: Πⱼ Poisson(λⱼ(x)) counts, trained with the score-function estimator and a baseline
 *   (`'moving-average'` default, `'learned'` (NVIL), `'leave-one-out'` (needs `samples` ≥ 2) or `'none'`).
 */
export type PosteriorConfig =
  | 'gaussian'
  | 'fullCovariance'
  | 'dirichlet'
  | 'logisticNormal'
  | 'poisson'
  | 'relaxedOneHot'
  | { gaussian: Record<string, never> }
  | { fullCovariance: Record<string, never> }
  | { lowRank: { rank: number } }
  | { flow: { kind?: 'iaf' | 'realnvp'; steps?: number; hiddenUnits?: number[] } }
  | { dirichlet: Record<string, never> }
  | { logisticNormal: Record<string, never> }
  | { relaxedOneHot: { temperature?: TemperatureSchedule } }
  | { poisson: { baseline?: PoissonBaseline } };

/**
 * The prior p(z), as a name or `{ name: options }`: `'standard-normal'` N(0, I) or `{ mixture: K }` (a learnable
 * mixture of K Gaussians) for real latents; `{ dirichlet: { concentration } }` (symmetric, default 1) or
 * `{ logisticNormal: { loc, scale } }` (default 0 and 1) for simplex latents; `{ relaxedOneHot }` (uniform logits, the
 * posterior's temperature) for relaxed one-hot latents; `{ poisson: { rate } }` (λ₀, default 1) for Poisson latents.
 */
export type PriorConfig =
  | 'standard-normal'
  | 'dirichlet'
  | 'logisticNormal'
  | 'relaxedOneHot'
  | 'poisson'
  | { mixture: number }
  | { dirichlet: { concentration?: number } }
  | { logisticNormal: { loc?: number; scale?: number } }
  | { poisson: { rate?: number } };

/** A posterior config with every default filled in (what is saved): a bare name, or `{ name: options }`. */
export type ResolvedPosterior =
  | 'gaussian'
  | 'fullCovariance'
  | 'dirichlet'
  | 'logisticNormal'
  | { lowRank: { rank: number } }
  | { flow: { kind: 'iaf' | 'realnvp'; steps: number; hiddenUnits: number[] } }
  | { relaxedOneHot: { temperature: { initial: number; minimum: number; rate: number } } }
  | { poisson: { baseline: PoissonBaseline } };

/** A prior config with every default filled in (what is saved). */
export type ResolvedPrior =
  | 'standard-normal'
  | 'relaxedOneHot'
  | { mixture: number }
  | { dirichlet: { concentration: number } }
  | { logisticNormal: { loc: number; scale: number } }
  | { poisson: { rate: number } };

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

/** What a posterior head is built from. */
export interface HeadArgs<O> {
  options: O;
  inputDim: number;
  latentDim: number;
  init: Initializer;
  seed: number;
  scaleTransform: 'exp' | 'softplus';
  deterministic: boolean;
}

/** One posterior family: its option check, allowed priors (the first is the default), size bound and head. */
export interface PosteriorFamily<O = unknown> {
  /** Allowed prior names; the first is the default. */
  readonly priors: readonly PriorName[];
  /** `'score-function'` for a family without `rsample` whose training needs the estimator said out loud. */
  readonly estimator?: 'score-function';
  /** The least latentDim (2 for simplex and categorical latents). */
  readonly minLatentDim?: number;
  resolve(options: unknown, latentDim: number): ResolvedPosterior;
  parameterBound(options: O, inputDim: number, latentDim: number): number;
  build(args: HeadArgs<O>): PosteriorHead;
}

/** One prior family. */
export interface PriorFamily<O = unknown> {
  resolve(options: unknown): ResolvedPrior;
  parameterBound(options: O, latentDim: number): number;
  build(options: O, latentDim: number, seed: number, posterior: ResolvedPosterior): PriorModule;
}

/** A head made of a module and two functions. */
function head(
  module: Module,
  posterior: (h: tf.Tensor, step?: number) => Distribution,
  pointSummary: (h: tf.Tensor) => tf.Tensor,
): PosteriorHead {
  return {
    module,
    posterior,
    pointSummary,
    namedVariables: (prefix) => module.namedVariables(prefix),
    dispose: () => module.dispose(),
  };
}

/** A prior without variables, from a distribution factory. */
function fixedPrior(distribution: (step?: number) => Distribution): PriorModule {
  return { distribution, namedVariables: () => new Map(), dispose: () => {} };
}

const noOptions = (name: string) => (options: unknown) => {
  optionsObject(`posterior.${name}`, options, []);
  return name as ResolvedPosterior;
};

/** τ at a step (the minimum outside training). */
export function temperatureAt(t: { initial: number; minimum: number; rate: number }, step?: number): number {
  if (step === undefined) return t.minimum;
  return Math.max(t.minimum, t.initial * Math.exp(-t.rate * step));
}

/** Two dense layers from h (μ and a scale): the Gaussian heads' common bound. */
const twoLayers = (_: unknown, inputDim: number, d: number) => 2 * denseParameters([inputDim, d]);

/** The posterior families, by config name. */
export const POSTERIOR_FAMILIES = {
  gaussian: {
    priors: ['standard-normal', 'mixture'],
    resolve: noOptions('gaussian'),
    parameterBound: twoLayers,
    build: (a) => {
      const m = new NormalHead({
        inputDim: a.inputDim,
        units: a.latentDim,
        // a point-mass encoder needs only μ(x)
        scale: a.deterministic ? { fixed: 1 } : 'amortized',
        scaleTransform: a.scaleTransform,
        init: a.init,
        seed: a.seed,
      });
      return head(
        m,
        (h) => m.apply(h),
        (h) => m.locLayer.apply(h),
      );
    },
  } satisfies PosteriorFamily,
  fullCovariance: {
    priors: ['standard-normal', 'mixture'],
    resolve: noOptions('fullCovariance'),
    parameterBound: (_, inputDim, d) =>
      denseParameters([inputDim, d + (d * (d + 1)) / 2]) + denseParameters([inputDim, d]),
    build: (a) => {
      const m = new FullCovarianceNormalHead({ inputDim: a.inputDim, units: a.latentDim, init: a.init, seed: a.seed });
      return head(
        m,
        (h) => m.apply(h),
        (h) => m.locLayer.apply(h),
      );
    },
  } satisfies PosteriorFamily,
  lowRank: {
    priors: ['standard-normal', 'mixture'],
    resolve: (options) => {
      const o = optionsObject('posterior.lowRank', options, ['rank']);
      return { lowRank: { rank: positiveInt('posterior.lowRank.rank', o.rank, undefined, 1024) } };
    },
    parameterBound: (o: { rank: number }, inputDim, d) => denseParameters([inputDim, d * (o.rank + 2)]),
    build: (a: HeadArgs<{ rank: number }>) => {
      const m = new LowRankNormalHead({
        inputDim: a.inputDim,
        units: a.latentDim,
        rank: a.options.rank,
        init: a.init,
        seed: a.seed,
      });
      return head(
        m,
        (h) => m.apply(h),
        (h) => m.locLayer.apply(h),
      );
    },
  } satisfies PosteriorFamily<{ rank: number }>,
  flow: {
    priors: ['standard-normal', 'mixture'],
    resolve: (options, d) => {
      const o = optionsObject('posterior.flow', options, ['kind', 'steps', 'hiddenUnits']);
      const kind = oneOf('posterior.flow.kind', o.kind, ['iaf', 'realnvp'] as const, 'iaf');
      if (kind === 'realnvp' && d < 2) {
        throw new ArgumentError(
          'latentDim',
          `VAE: a realnvp flow couples halves of z: it needs "latentDim" ≥ 2, got ${d}`,
        );
      }
      return {
        flow: {
          kind,
          steps: positiveInt('posterior.flow.steps', o.steps, 2, 64),
          hiddenUnits: widthList('posterior.flow.hiddenUnits', o.hiddenUnits, [Math.max(16, 2 * d)]),
        },
      };
    },
    parameterBound: (o: FlowOptions, inputDim, d) => {
      const hidden = o.hiddenUnits;
      const context = Math.min(inputDim, Math.max(16, 2 * d));
      return (
        twoLayers(o, inputDim, d) +
        denseParameters([inputDim, context]) +
        o.steps * (denseParameters([d + context, ...hidden, 2 * d]) + d * d)
      );
    },
    build: (a: HeadArgs<FlowOptions>) => {
      const m = new FlowPosteriorHead({
        inputDim: a.inputDim,
        units: a.latentDim,
        flow: a.options.kind === 'iaf' ? 'iaf' : 'affine-coupling',
        steps: a.options.steps,
        hiddenUnits: a.options.hiddenUnits,
        init: a.init,
        seed: a.seed,
      });
      return head(
        m,
        (h) => m.apply(h),
        (h) => flowPointSummary(m, h),
      );
    },
  } satisfies PosteriorFamily<FlowOptions>,
  dirichlet: {
    priors: ['dirichlet'],
    minLatentDim: 2,
    resolve: noOptions('dirichlet'),
    parameterBound: (_, inputDim, d) => denseParameters([inputDim, d]),
    build: (a) => {
      const m = new DirichletHead({ inputDim: a.inputDim, units: a.latentDim, init: a.init, seed: a.seed });
      return head(
        m,
        (h) => m.apply(h),
        (h) => dirichletMean(m, h),
      );
    },
  } satisfies PosteriorFamily,
  logisticNormal: {
    priors: ['logisticNormal', 'dirichlet'],
    minLatentDim: 2,
    resolve: noOptions('logisticNormal'),
    parameterBound: twoLayers,
    build: (a) => {
      const m = new LogisticNormalHead({ inputDim: a.inputDim, units: a.latentDim, init: a.init, seed: a.seed });
      return head(
        m,
        (h) => m.apply(h),
        (h) => logisticNormalPointSummary(m, h),
      );
    },
  } satisfies PosteriorFamily,
  relaxedOneHot: {
    priors: ['relaxedOneHot'],
    minLatentDim: 2,
    resolve: (options) => {
      const o = optionsObject('posterior.relaxedOneHot', options, ['temperature']);
      return { relaxedOneHot: { temperature: resolveTemperature(o.temperature) } };
    },
    parameterBound: (_, inputDim, d) => denseParameters([inputDim, d]),
    build: (a: HeadArgs<RelaxedOptions>) => {
      const m = new RelaxedOneHotHead({ inputDim: a.inputDim, units: a.latentDim, init: a.init, seed: a.seed });
      return head(
        m,
        (h, step) => m.apply(h, temperatureAt(a.options.temperature, step)),
        (h) => tf.softmax(m.layer.apply(h)),
      );
    },
  } satisfies PosteriorFamily<RelaxedOptions>,
  poisson: {
    priors: ['poisson'],
    estimator: 'score-function',
    resolve: (options) => {
      const o = optionsObject('posterior.poisson', options, ['baseline']);
      return {
        poisson: {
          baseline: oneOf(
            'posterior.poisson.baseline',
            o.baseline,
            ['none', 'moving-average', 'learned', 'leave-one-out'] as const,
            'moving-average',
          ),
        },
      };
    },
    parameterBound: (_, inputDim, d) => denseParameters([inputDim, d]),
    build: (a) => {
      const m = new PoissonLatentHead({ inputDim: a.inputDim, units: a.latentDim, init: a.init, seed: a.seed });
      return head(
        m,
        (h) => m.apply(h),
        (h) => tf.exp(m.logRate(h)),
      );
    },
  } satisfies PosteriorFamily,
} as const;

type FlowOptions = { kind: 'iaf' | 'realnvp'; steps: number; hiddenUnits: number[] };
type RelaxedOptions = { temperature: { initial: number; minimum: number; rate: number } };

/** The temperatures a relaxed latent accepts: below 0.01 the float32 Gumbel-softmax underflows to one-hot (NaN log q). */
const TEMPERATURE_RANGE = [0.01, 100] as const;

function temperatureValue(field: string, v: unknown, fallback: number): number {
  const t = positiveNumber(field, v, fallback);
  if (t < TEMPERATURE_RANGE[0] || t > TEMPERATURE_RANGE[1]) {
    throw new ArgumentError(
      field,
      `VAE: "${field}" must be in [${TEMPERATURE_RANGE[0]}, ${TEMPERATURE_RANGE[1]}] (float32 Gumbel-softmax), got ${t}`,
    );
  }
  return t;
}

function resolveTemperature(v: unknown): RelaxedOptions['temperature'] {
  const field = 'posterior.relaxedOneHot.temperature';
  if (typeof v === 'number') {
    const t = temperatureValue(field, v, 1);
    return { initial: t, minimum: t, rate: 0 };
  }
  const o = optionsObject(field, v, ['initial', 'minimum', 'rate']);
  const initial = temperatureValue(`${field}.initial`, o.initial, 1);
  const minimum = temperatureValue(`${field}.minimum`, o.minimum, Math.min(0.5, initial));
  if (minimum > initial) {
    throw new ArgumentError(field, `VAE: "${field}.minimum" (${minimum}) must not exceed "initial" (${initial})`);
  }
  return { initial, minimum, rate: positiveNumber(`${field}.rate`, o.rate, 1e-3, true) };
}

/** The prior families, by config name. */
export const PRIOR_FAMILIES = {
  'standard-normal': {
    resolve: (options) => {
      optionsObject('prior.standard-normal', options, []);
      return 'standard-normal';
    },
    parameterBound: () => 0,
    build: (_, d, _seed, posterior) => {
      // N(0, I) in the posterior's own family, so that the analytic KL pair applies: a MultivariateNormal for the
      // full-covariance and low-rank posteriors (KL(N(μ, Σ) ‖ N(0, I)) in closed form), else Independent(Normal)
      if (posterior === 'fullCovariance' || (typeof posterior === 'object' && 'lowRank' in posterior)) {
        return fixedPrior(
          () => new MultivariateNormal({ loc: new Float32Array(d), scaleTril: tf.eye(d) }, HEAD_DISTRIBUTION_OPTIONS),
        );
      }
      const p = new StandardNormalPrior(d);
      return fixedPrior(() => p.distribution());
    },
  } satisfies PriorFamily,
  mixture: {
    resolve: (options) => ({ mixture: positiveInt('prior.mixture', options, undefined, 4096) }),
    parameterBound: (k: number, d) => k * (2 * d + 1),
    build: (k: number, d, seed) => {
      const p = new GaussianMixturePrior({ latentDim: d, components: k, seed });
      return {
        distribution: () => p.distribution(),
        namedVariables: (prefix) => p.namedVariables(prefix),
        dispose: () => p.dispose(),
      };
    },
  } satisfies PriorFamily<number>,
  dirichlet: {
    resolve: (options) => {
      const o = optionsObject('prior.dirichlet', options, ['concentration']);
      return { dirichlet: { concentration: positiveNumber('prior.dirichlet.concentration', o.concentration, 1) } };
    },
    parameterBound: () => 0,
    build: (o: { concentration: number }, d) =>
      fixedPrior(
        () => new Dirichlet({ concentration: new Float32Array(d).fill(o.concentration) }, HEAD_DISTRIBUTION_OPTIONS),
      ),
  } satisfies PriorFamily<{ concentration: number }>,
  logisticNormal: {
    resolve: (options) => {
      const o = optionsObject('prior.logisticNormal', options, ['loc', 'scale']);
      return {
        logisticNormal: {
          loc: finiteNumber('prior.logisticNormal.loc', o.loc, 0),
          scale: positiveNumber('prior.logisticNormal.scale', o.scale, 1),
        },
      };
    },
    parameterBound: () => 0,
    build: (o: { loc: number; scale: number }, d) => fixedPrior(() => logisticNormalPrior(d, o.loc, o.scale)),
  } satisfies PriorFamily<{ loc: number; scale: number }>,
  relaxedOneHot: {
    resolve: (options) => {
      optionsObject('prior.relaxedOneHot', options, []);
      return 'relaxedOneHot';
    },
    parameterBound: () => 0,
    build: (_, d, _seed, posterior) => {
      const { temperature } = (posterior as { relaxedOneHot: RelaxedOptions }).relaxedOneHot;
      return fixedPrior(
        (step) =>
          new RelaxedOneHotCategorical(
            { temperature: temperatureAt(temperature, step), logits: new Float32Array(d) },
            HEAD_DISTRIBUTION_OPTIONS,
          ),
      );
    },
  } satisfies PriorFamily,
  poisson: {
    resolve: (options) => {
      const o = optionsObject('prior.poisson', options, ['rate']);
      return { poisson: { rate: positiveNumber('prior.poisson.rate', o.rate, 1) } };
    },
    parameterBound: () => 0,
    build: (o: { rate: number }, d) =>
      fixedPrior(
        () =>
          new Independent(
            new Poisson(
              { rate: new Float32Array(d).fill(o.rate) },
              { ...HEAD_DISTRIBUTION_OPTIONS, logProbMethod: 'direct' },
            ),
            1,
          ),
      ),
  } satisfies PriorFamily<{ rate: number }>,
} as const;

/** A posterior family name. */
export type PosteriorName = keyof typeof POSTERIOR_FAMILIES;
/** A prior family name. */
export type PriorName = keyof typeof PRIOR_FAMILIES;

/** The family name and options of a resolved posterior or prior. */
export function familyOf<N extends string>(resolved: ResolvedPosterior | ResolvedPrior): { name: N; options: never } {
  if (typeof resolved === 'string') return { name: resolved as N, options: undefined as never };
  const [name, options] = Object.entries(resolved)[0]!;
  return { name: name as N, options: options as never };
}
