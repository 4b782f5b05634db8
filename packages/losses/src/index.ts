export { type VariationalInputs, sampleAndReconstruct } from './variational.js';
export { elbo, negativeElbo, type ElboOptions, type ElboTerms, type ElboLoss } from './elbo.js';
export { iwaeBound, type IwaeOptions } from './iwae.js';
export { linearWarmup, cyclicalAnnealing, constantBeta, type KLSchedule } from './schedules.js';
export {
  marginalLogLikelihood,
  type LatentVariableModel,
  type MarginalLikelihoodOptions,
} from './marginal-likelihood.js';
