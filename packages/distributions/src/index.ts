export { Distribution, type PreparedParams } from './distribution.js';
export { MAX_SAMPLE_VALUES, type DistributionOptions, type SampleOptions } from './distribution-options.js';
export { Normal, type NormalParams } from './normal.js';
export { LocScaleDistribution, type LocScaleParams } from './loc-scale.js';
export { LogNormal, type LogNormalParams } from './log-normal.js';
export { Laplace, type LaplaceParams } from './laplace.js';
export { StudentT, type StudentTParams } from './student-t.js';
export { Gamma, type GammaParams } from './gamma.js';
export { Beta, type BetaParams } from './beta.js';
export { Dirichlet, type DirichletParams } from './dirichlet.js';
export { Bernoulli, type BernoulliParams } from './bernoulli.js';
export { hostLogFactorial, logFactorialTable32 } from './log-factorial.js';
export { ContinuousBernoulli, type ContinuousBernoulliParams } from './continuous-bernoulli.js';
export { Categorical, type CategoricalParams } from './categorical.js';
export { OneHotCategorical } from './one-hot-categorical.js';
export { Poisson, type PoissonParams, type PoissonOptions } from './poisson.js';
export { NegativeBinomial, type NegativeBinomialParams } from './negative-binomial.js';
export { ZeroInflatedPoisson, type ZeroInflatedPoissonParams } from './zero-inflated-poisson.js';
export {
  ZeroInflatedNegativeBinomial,
  type ZeroInflatedNegativeBinomialParams,
} from './zero-inflated-negative-binomial.js';
export { MultivariateNormalDiag, type MultivariateNormalDiagParams } from './multivariate-normal-diag.js';
export { MixtureSameFamily, type MixtureSameFamilyParams } from './mixture-same-family.js';
export { Independent } from './independent.js';
export { Deterministic, type DeterministicParams, type DeterministicOptions } from './deterministic.js';
export { TransformedDistribution } from './transformed-distribution.js';
export { buildOwned } from './build-owned.js';
export { Bijector } from './bijectors/bijector.js';
export {
  Identity,
  Exp,
  Softplus,
  Sigmoid,
  Tanh,
  Power,
  Abs,
  Affine,
  type AffineParams,
} from './bijectors/elementwise.js';
export { StickBreaking } from './bijectors/stick-breaking.js';
export {
  LowerCholeskyAffine,
  CorrCholesky,
  lowerCholesky,
  corrCholesky,
  type LowerCholeskyAffineParams,
} from './bijectors/matrix.js';
export { Chain, Invert, IndependentBijector } from './bijectors/composite.js';
export { bijectorFor } from './bijectors/bijector-for.js';
export { Uniform, type UniformParams } from './uniform.js';
export { Exponential, type ExponentialParams } from './exponential.js';
export { Cauchy, type CauchyParams } from './cauchy.js';
export { HalfNormal, HalfCauchy, HalfScaleDistribution, type HalfScaleParams } from './half-normal.js';
export { Gumbel, type GumbelParams, EULER_GAMMA } from './gumbel.js';
export { Weibull, type WeibullParams } from './weibull.js';
export { Pareto, type ParetoParams } from './pareto.js';
export { Geometric, type GeometricParams } from './geometric.js';
export { Binomial, type BinomialParams } from './binomial.js';
export { RelaxedBernoulli, type RelaxedBernoulliParams } from './relaxed-bernoulli.js';
export { RelaxedOneHotCategorical, type RelaxedOneHotCategoricalParams } from './relaxed-one-hot-categorical.js';
export { MultivariateNormal, type MultivariateNormalParams, positiveDefinite } from './multivariate-normal.js';
export { LowRankMultivariateNormal, type LowRankMultivariateNormalParams } from './low-rank-multivariate-normal.js';
export { Chi2, type Chi2Params } from './chi2.js';
export { Kumaraswamy, type KumaraswamyParams } from './kumaraswamy.js';
export { FisherSnedecor, type FisherSnedecorParams } from './fisher-snedecor.js';
export { LogisticNormal, type LogisticNormalParams } from './logistic-normal.js';
export { Multinomial, type MultinomialParams } from './multinomial.js';
export { VonMises, type VonMisesParams, logBesselIe } from './von-mises.js';
export { LKJCholesky, type LKJCholeskyParams, mvlgamma } from './lkj-cholesky.js';
export { Wishart, type WishartParams } from './wishart.js';
export { quantile, erfinv } from './quantile.js';
export type { LogitsOrProbsParams } from './logits-or-probs.js';
export type { ScaleMatrixParams } from './multivariate-normal.js';
export { cholesky, triangularSolve } from './linalg.js';
export { familyKLPairs } from './kl-pairs-families.js';
export { crossKLPairs, klInfinite } from './kl-pairs-cross.js';
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
export type { DistributionInit } from './distribution-options.js';
export { setValidateArgs, getValidateArgs, resolveValidateArgs } from './validate.js';
export { toTensorChecked } from './tensor-input.js';
export { igamma, igammac, igammaInv, standardGammaGrad } from './incomplete-gamma.js';
export { betainc, betaincInv, studentTCdfStandard, studentTIcdfStandard } from './incomplete-beta.js';
export { ndtri } from './normal-quantile.js';
export { logGammaRsample } from './implicit-reparam.js';
export { studentTLogNormalizer, studentTEntropyStandard } from './student-t-series.js';
export { assertBackendRegistered, assertGradientsRegistered } from './backend-check.js';
