import * as tf from '@tensorflow/tfjs-core';
import {
  Dirichlet,
  type Distribution,
  Independent,
  MultivariateNormal,
  Poisson,
  RelaxedOneHotCategorical,
} from '@varia/distributions';
import { GaussianMixturePrior, HEAD_DISTRIBUTION_OPTIONS, StandardNormalPrior } from '@varia/layers';
import { logisticNormalPrior } from './latent-heads.js';
import { finiteNumber, optionsObject, positiveInt, positiveNumber } from './latent-options.js';
import type { PriorModule } from './latent-types.js';

import type { PriorFamily } from './latent-registry.js';
import { type RelaxedOptions, temperatureAt } from './latent-posteriors.js';

/** A prior without variables, from a distribution factory. */
function fixedPrior(distribution: (step?: number) => Distribution): PriorModule {
  return { distribution, namedVariables: () => new Map(), dispose: () => {} };
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
