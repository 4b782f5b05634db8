export { Distribution, type DistributionOptions, type SampleOptions, type PreparedParams } from './distribution.js';
export { Normal, type NormalParams } from './normal.js';
export { Bernoulli, type BernoulliParams } from './bernoulli.js';
export { Poisson, type PoissonParams } from './poisson.js';
export { Independent } from './independent.js';
export {
  klDivergence,
  registerKL,
  registeredKLPairs,
  type KLOptions,
  type KLFunction,
  type DistributionClass,
} from './kl.js';
export { klNormalNormal, klBernoulliBernoulli, klPoissonPoisson, klIndependentIndependent } from './kl-pairs.js';
export * as constraints from './constraints.js';
export type { Constraint } from './constraints.js';
export { lgamma, digamma, trigamma, log1mexp, softplusInverse, xlogy, logSumExp, stopGradient, unaryCustomGrad, type UnaryOp, type UnaryGradDef } from './special.js';
export { toFloatTensor, broadcastShapes, type TensorLike } from './tensor-like.js';
export { validateValue } from './validate.js';
