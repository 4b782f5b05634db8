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
    createHead: ({ inputDim, units, init, seed, config, parameters }) =>
      new NormalHead({ inputDim, units, scale: config.observationScale, init, seed, parameters }),
  },
  bernoulli: {
    description: 'binary data (or [0, 1] intensities as BCE targets): Bernoulli(x; σ(ℓ)), decoder outputs logits ℓ',
    domain: 'unit-interval',
    createHead: ({ inputDim, units, init, seed, parameters }) =>
      new BernoulliHead({ inputDim, units, init, seed, parameters }),
  },
  'continuous-bernoulli': {
    description: 'intensities in [0, 1]: the continuous Bernoulli C(ℓ)·σ(ℓ)ˣ(1 − σ(ℓ))¹⁻ˣ, a normalized density',
    domain: 'unit-interval',
    createHead: ({ inputDim, units, init, seed, parameters }) =>
      new ContinuousBernoulliHead({ inputDim, units, init, seed, parameters }),
  },
  poisson: {
    description: 'counts: Poisson(x; λ), decoder outputs log λ',
    domain: 'counts',
    inputTransform: 'log1p',
    librarySize: true,
    createHead: ({ inputDim, units, init, seed, config, parameters }) =>
      new PoissonHead({ inputDim, units, init, seed, librarySize: config.librarySize, parameters }),
  },
  'negative-binomial': {
    description: 'overdispersed counts: NB(x; μ, θ), Var = μ + μ²/θ, θ per feature',
    domain: 'counts',
    inputTransform: 'log1p',
    librarySize: true,
    createHead: ({ inputDim, units, init, seed, config, parameters }) =>
      new NegativeBinomialHead({ inputDim, units, init, seed, librarySize: config.librarySize, parameters }),
  },
  zinb: {
    description: 'overdispersed counts with extra zeros (scVI): π·𝟙[x = 0] + (1 − π)·NB(x; μ, θ)',
    domain: 'counts',
    inputTransform: 'log1p',
    librarySize: true,
    createHead: ({ inputDim, units, init, seed, config, parameters }) =>
      new ZeroInflatedNegativeBinomialHead({
        inputDim,
        units,
        init,
        seed,
        librarySize: config.librarySize,
        parameters,
      }),
  },
};
