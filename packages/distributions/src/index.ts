export { Distribution, type DistributionOptions, type SampleOptions, type PreparedParams } from './distribution.js';
export { Normal, type NormalParams } from './normal.js';
export { LocScaleDistribution, type LocScaleParams } from './loc-scale.js';
export { LogNormal, type LogNormalParams } from './log-normal.js';
export { Laplace, type LaplaceParams } from './laplace.js';
export { StudentT, type StudentTParams } from './student-t.js';
export { Gamma, type GammaParams } from './gamma.js';
export { Beta, type BetaParams } from './beta.js';
export { Dirichlet, type DirichletParams } from './dirichlet.js';
export { Bernoulli, type BernoulliParams } from './bernoulli.js';
export { ContinuousBernoulli, type ContinuousBernoulliParams } from './continuous-bernoulli.js';
export { Categorical, type CategoricalParams } from './categorical.js';
export { OneHotCategorical } from './one-hot-categorical.js';
export { Poisson, type PoissonParams, type PoissonOptions } from './poisson.js';
export { NegativeBinomial, type NegativeBinomialParams } from './negative-binomial.js';
export { ZeroInflatedPoisson, type ZeroInflatedPoissonParams } from './zero-inflated-poisson.js';
export { ZeroInflatedNegativeBinomial, type ZeroInflatedNegativeBinomialParams } from './zero-inflated-negative-binomial.js';
export { MultivariateNormalDiag, type MultivariateNormalDiagParams } from './multivariate-normal-diag.js';
export { MixtureSameFamily, type MixtureSameFamilyParams } from './mixture-same-family.js';
export { Independent } from './independent.js';
export { Deterministic, type DeterministicParams, type DeterministicOptions } from './deterministic.js';
export { TransformedDistribution } from './transformed-distribution.js';
export { Bijector } from './bijectors/bijector.js';
export { Identity, Exp, Softplus, Sigmoid, Tanh, Power, Abs, Affine, type AffineParams } from './bijectors/elementwise.js';
export { StickBreaking } from './bijectors/stick-breaking.js';
export { LowerCholeskyAffine, CorrCholesky, lowerCholesky, corrCholesky, type LowerCholeskyAffineParams } from './bijectors/matrix.js';
export { Chain, Invert, IndependentBijector } from './bijectors/composite.js';
export { bijectorFor } from './bijectors/bijector-for.js';
export {
  klDivergence,
  registerKL,
  registeredKLPairs,
  type KLOptions,
  type KLFunction,
  type DistributionClass,
} from './kl.js';
export {
  klNormalNormal,
  klBernoulliBernoulli,
  klPoissonPoisson,
  klIndependentIndependent,
  klMultivariateNormalDiag,
  klLaplaceLaplace,
  klCategoricalCategorical,
  klGammaGamma,
  klBetaBeta,
  klDirichletDirichlet,
  klDeterministic,
} from './kl-pairs.js';
export * as constraints from './constraints.js';
export type { Constraint } from './constraints.js';
export {
  lgamma,
  digamma,
  trigamma,
  lbeta,
  expm1,
  log1mexp,
  softplusInverse,
  xlogy,
  logSumExp,
  stopGradient,
  unaryCustomGrad,
  type UnaryOp,
  type UnaryGradDef,
} from './special.js';
export { stirlerr, bd0, poissonLogPmf, negativeBinomialLogPmf, type Bd0Extras } from './saddle-point.js';
export { toFloatTensor, broadcastShapes, type TensorLike } from './tensor-like.js';
export { validateValue } from './validate.js';
export {
  declareParameters,
  prepareParameters,
  defaultTransform,
  type ParameterProperties,
  type ParameterDeclaration,
} from './parameters.js';
export type { DistributionInit } from './distribution.js';
export { setValidateArgs, getValidateArgs, resolveValidateArgs } from './validate.js';
export { toTensorChecked } from './tensor-input.js';
