import { ArgumentError, type Matrix } from '@varia/core';
import {
  BernoulliHead,
  ContinuousBernoulliHead,
  type DistributionHead,
  type Initializer,
  NegativeBinomialHead,
  NormalHead,
  PoissonHead,
  ZeroInflatedNegativeBinomialHead,
} from '@varia/layers';
import type { CustomLikelihood, LikelihoodName, ResolvedVAEConfig } from './config.js';
import type { DataDomain } from './data.js';

/** How a likelihood builds its decoder head and which data it accepts. */
export interface LikelihoodSpec {
  /** Values the data must have. */
  domain: DataDomain;
  /** Whether it models counts (library size applies). */
  counts: boolean;
  /** Extra checks of the data beyond `domain` (custom likelihoods' `validateData`). */
  validate?(m: Matrix): void;
  /** Builds the decoder output head. */
  createHead(config: ResolvedVAEConfig, inputDim: number, seed: number): DistributionHead;
}

const BUILTIN: Record<LikelihoodName, LikelihoodSpec> = {
  gaussian: {
    domain: 'real',
    counts: false,
    createHead: (c, inputDim, seed) =>
      new NormalHead({ inputDim, units: c.inputDim, scale: c.observationScale, init: c.init, seed }),
  },
  bernoulli: {
    domain: 'unit-interval',
    counts: false,
    createHead: (c, inputDim, seed) => new BernoulliHead({ inputDim, units: c.inputDim, init: c.init, seed }),
  },
  'continuous-bernoulli': {
    domain: 'unit-interval',
    counts: false,
    createHead: (c, inputDim, seed) => new ContinuousBernoulliHead({ inputDim, units: c.inputDim, init: c.init, seed }),
  },
  'negative-binomial': {
    domain: 'counts',
    counts: true,
    createHead: (c, inputDim, seed) =>
      new NegativeBinomialHead({ inputDim, units: c.inputDim, init: c.init, seed, librarySize: c.librarySize }),
  },
  zinb: {
    domain: 'counts',
    counts: true,
    createHead: (c, inputDim, seed) =>
      new ZeroInflatedNegativeBinomialHead({ inputDim, units: c.inputDim, init: c.init, seed, librarySize: c.librarySize }),
  },
  poisson: {
    domain: 'counts',
    counts: true,
    createHead: (c, inputDim, seed) =>
      new PoissonHead({ inputDim, units: c.inputDim, init: c.init, seed, librarySize: c.librarySize }),
  },
};

/** The spec of a built-in or custom likelihood. */
export function likelihoodSpec(name: string, custom?: CustomLikelihood): LikelihoodSpec {
  if (custom) {
    return {
      domain: 'real',
      counts: false,
      validate: custom.validateData ? (m) => custom.validateData!(m.data, m.cols) : undefined,
      createHead: (c, inputDim, seed) => custom.createHead({ inputDim, units: c.inputDim, seed, init: c.init as Initializer }),
    };
  }
  const spec = BUILTIN[name as LikelihoodName];
  if (!spec) {
    throw new ArgumentError('likelihood', `unknown likelihood "${name}"; built-in: ${Object.keys(BUILTIN).join(', ')} (pass the custom likelihood when loading)`);
  }
  return spec;
}
