export { VAE, type Evaluation, type LoadOptions } from './vae.js';
export {
  type NetworkConfig,
  type NetworkLoadOptions,
  type NetworkMode,
  type NetworkOption,
  type NetworkRole,
  type NetworkSpec,
  type ResolvedNetworkConfig,
  SuppliedNetwork,
} from './networks.js';
export {
  type DecodeOptions,
  type EncodeOptions,
  type EvaluateOptions,
  type GenerateOptions,
  INFERENCE_LIMITS,
  type InterpolateOptions,
  type LibrarySizeOption,
  type ReconstructOptions,
} from './inference-options.js';
export { SPARSE_AUTO_DENSITY } from './sparse-input.js';
export { SPARSE_INPUT_TRAINING_DENSITY } from './sparse-input-training.js';
export {
  type CategoricalEncoding,
  type CovariateInjection,
  type CovariateInput,
  type CovariateSpec,
  type ResolvedCovariate,
  COVARIATE_LIMITS,
} from './covariates.js';
export { resolveCovariates } from './covariates-resolve.js';
export { readCovariates } from './covariates-rows.js';
export { ConditionedMLP, type ConditionedMLPOptions, CovariateFeatures } from './covariates-network.js';
export {
  type VAEConfig,
  type ResolvedVAEConfig,
  type LikelihoodName,
  type PriorConfig,
  LIKELIHOODS,
  CONFIG_LIMITS,
  parameterCountBound,
  resolveConfig,
} from './config.js';
export { type LatentConfig, type ResolvedLatentConfig, resolveLatentConfig } from './latent-config.js';
export { type LatentDataInput, LatentModule, type LatentModuleOptions, type LatentObjectiveOptions } from './latent.js';
export { listPosteriorFamilies, listPriorFamilies } from './latent-registry.js';
export type {
  DirichletPriorOptions,
  FlowOptions,
  LogisticNormalPriorOptions,
  LowRankOptions,
  PoissonBaseline,
  PoissonPosteriorOptions,
  PoissonPriorOptions,
  PosteriorConfig,
  PosteriorHead,
  PriorModule,
  RelaxedOneHotOptions,
  ResolvedPosterior,
  ResolvedPrior,
  TemperatureAnnealing,
  TemperatureSchedule,
} from './latent-types.js';
export {
  type FitOptions,
  type History,
  type EpochLog,
  type BatchInfo,
  type TrainingState,
  assertGradientsRegistered,
} from './fit.js';
export {
  type DataInput,
  type DataDomain,
  type DataRules,
  DATA_DOMAINS,
  MAX_EXACT_COUNT,
  readData,
  toMatrix,
  validateDomain,
} from './data.js';
export { FIT_OPTION_NAMES } from './fit-options.js';
export type { Batch, FusedGradients, LossTerms, StepContext, TrainableModel } from './trainer/trainable-model.js';
export { type BatchSource, type EpochArgs, MatrixBatchSource } from './trainer/batch-source.js';
export { fitModel, type TrainingHistory } from './trainer/trainer.js';
export { TRAINER_OPTION_NAMES, type TrainerOptions } from './trainer/trainer-options.js';
export type { BatchLogs, Callback, TrainerContext, TrainingLog, TrainingPlan } from './trainer/callback.js';
export { EarlyStopping, type EarlyStoppingOptions } from './trainer/early-stopping.js';
export { ModelCheckpoint, type ModelCheckpointOptions } from './trainer/model-checkpoint.js';
export { KLAnnealing, type KLAnnealingOptions } from './trainer/kl-annealing.js';
export { ProgressLogger, type ProgressLoggerOptions, formatEpoch } from './trainer/progress-logger.js';
export { vaeTrainable, type VaeLike } from './vae-trainable.js';
export { RowBatchSource, type HostBatch, type BatchCheck } from './sources/row-batch-source.js';
export { SparseBatchSource } from './sources/sparse-batch-source.js';
export { RandomAccessSource, type RandomAccessSourceOptions } from './sources/random-access-source.js';
export { StreamSource, type StreamSourceOptions, type StreamItem } from './sources/stream-source.js';
export type { RowArrays, RowBlock, RowsWithCovariates, RowsWithFields } from './sources/block-rows.js';
export type { CovariateReader, SourceCovariates } from './sources/source-covariates.js';
export type { RunFingerprint } from './resume-fingerprint.js';
export {
  type CustomLikelihood,
  type InputTransform,
  type LikelihoodDefinition,
  type LikelihoodHeadOptions,
  type LikelihoodSpec,
  getLikelihood,
  hasLikelihood,
  likelihoodSpec,
  listLikelihoods,
  registerLikelihood,
  unregisterLikelihood,
} from './likelihood-registry.js';
export { type ModelArtifacts, type SavedModelJson, type WeightSpec, MODEL_LIMITS } from './model-format.js';
export { assertWritableDestination, type DestinationOptions } from './destination.js';
export { type ModelLocation, toTfjsArtifacts, fromTfjsArtifacts } from './model-io.js';
export {
  toSafetensors,
  fromSafetensors,
  type FromSafetensorsOptions,
  torchName,
  variaName,
} from './vae-safetensors.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  type SafetensorsContents,
  type SafetensorsTensor,
} from './safetensors.js';
export { VERSION, FORMAT_VERSION } from './version.js';
