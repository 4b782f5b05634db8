import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import type { Distribution } from '@varia/distributions';
import {
  DirichletHead,
  FlowPosteriorHead,
  FullCovarianceNormalHead,
  LogisticNormalHead,
  LowRankNormalHead,
  type Module,
  NormalHead,
} from '@varia/layers';
import {
  dirichletMean,
  flowPointSummary,
  logisticNormalPointSummary,
  PoissonLatentHead,
  RelaxedOneHotHead,
} from './latent-heads.js';
import { denseParameters, oneOf, optionsObject, positiveInt, positiveNumber, widthList } from './latent-options.js';
import type { FlowOptions, PosteriorHead, ResolvedPosterior, TemperatureAnnealing } from './latent-types.js';

import type { HeadArgs, PosteriorFamily } from './latent-registry.js';

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

const noOptions = (name: string) => (options: unknown) => {
  optionsObject(`posterior.${name}`, options, []);
  return name as ResolvedPosterior;
};

/** τ at a step (the minimum outside training). */
export function temperatureAt(t: TemperatureAnnealing, step?: number): number {
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

export type RelaxedOptions = { temperature: TemperatureAnnealing };

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
