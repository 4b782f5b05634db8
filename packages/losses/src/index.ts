export { type VariationalInputs, sampleAndReconstruct } from './variational.js';
export {
  elbo,
  negativeElbo,
  type ElboOptions,
  type ElboTerms,
  type ElboLoss,
} from './elbo.js';
export { iwaeBound, iwaeTerms, vimcoBaseline, type IwaeOptions, type IwaeTerms } from './iwae.js';
export { type GradientEstimator, type ResolvedEstimator, resolveEstimator } from './estimator.js';
export type { KLMode } from './kl-terms.js';
export { magicBox, type BaselineOption } from './score-function.js';
export {
  MovingAverageBaseline,
  LearnedBaseline,
  type Baseline,
  type BaselineInput,
  type BaselineOutput,
  type MovingAverageBaselineOptions,
  type LearnedBaselineOptions,
} from './baselines.js';
export { enumerateLatentSupport, latentSupportSize, DEFAULT_MAX_ENUMERATE } from './enumerate.js';
export { logMarginalByEnumeration } from './exact-marginal.js';
export { type DiscreteElboTerms, elboOverDiscrete, type DiscreteLatentInputs } from './discrete-marginalization.js';
export { linearWarmup, cyclicalAnnealing, constantBeta, type KLSchedule } from './schedules.js';
export {
  marginalLogLikelihood,
  type LatentVariableModel,
  type MarginalLikelihoodOptions,
} from './marginal-likelihood.js';
