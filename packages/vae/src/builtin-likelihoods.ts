import {
  BernoulliHead,
  ContinuousBernoulliHead,
  NegativeBinomialHead,
  NormalHead,
  PoissonHead,
  ZeroInflatedNegativeBinomialHead,
} from '@varia/layers';
import type { LikelihoodName } from './config.js';
import type { LikelihoodDefinition } from './likelihood-registry.js';

/**
 * The built-in likelihoods, registered through `registerLikelihood` when `@varia/vae` loads (in this order). Count
 * likelihoods feed log(1 + x) to the encoder by default (scVI) and support the library size. The keys are
 * exactly the {@link LikelihoodName}s (checked by the compiler).
 */
export const BUILTIN_LIKELIHOODS: Readonly<Record<LikelihoodName, LikelihoodDefinition>> = {
  gaussian: {
    description:
      'real values: N(x; μ, σ²), σ per observationScale (learned-scalar, learned-per-feature, amortized, { fixed })',
    domain: 'real',
    createHead: ({ inputDim, units, init, seed, config }) =>
      new NormalHead({ inputDim, units, scale: config.observationScale, init, seed }),
  },
  bernoulli: {
    description: 'binary data (or [0, 1] intensities as BCE targets): Bernoulli(x; σ(ℓ)), decoder outputs logits ℓ',
    domain: 'unit-interval',
    createHead: ({ inputDim, units, init, seed }) => new BernoulliHead({ inputDim, units, init, seed }),
  },
  'continuous-bernoulli': {
    description: 'intensities in [0, 1]: the continuous Bernoulli C(ℓ)·σ(ℓ)ˣ(1 − σ(ℓ))¹⁻ˣ, a normalized density',
    domain: 'unit-interval',
    createHead: ({ inputDim, units, init, seed }) => new ContinuousBernoulliHead({ inputDim, units, init, seed }),
  },
  poisson: {
    description: 'counts: Poisson(x; λ), decoder outputs log λ',
    domain: 'counts',
    inputTransform: 'log1p',
    librarySize: true,
    createHead: ({ inputDim, units, init, seed, config }) =>
      new PoissonHead({ inputDim, units, init, seed, librarySize: config.librarySize }),
  },
  'negative-binomial': {
    description: 'overdispersed counts: NB(x; μ, θ), Var = μ + μ²/θ, θ per feature',
    domain: 'counts',
    inputTransform: 'log1p',
    librarySize: true,
    createHead: ({ inputDim, units, init, seed, config }) =>
      new NegativeBinomialHead({ inputDim, units, init, seed, librarySize: config.librarySize }),
  },
  zinb: {
    description: 'overdispersed counts with extra zeros (scVI): π·𝟙[x = 0] + (1 − π)·NB(x; μ, θ)',
    domain: 'counts',
    inputTransform: 'log1p',
    librarySize: true,
    createHead: ({ inputDim, units, init, seed, config }) =>
      new ZeroInflatedNegativeBinomialHead({ inputDim, units, init, seed, librarySize: config.librarySize }),
  },
};
