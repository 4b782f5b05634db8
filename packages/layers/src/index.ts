export { Dense, transposedMatMulIsFast, type DenseOptions, type ApplyOptions } from './dense.js';
export { MLP, type MLPOptions } from './mlp.js';
export { denseOfHost, denseReadsInPlace } from './dense-host.js';
export {
  denseOfSparse,
  sparseDenseIsNative,
  sparseDenseReadsInPlace,
  type SparseDenseOptions,
} from './sparse-dense.js';
export { denseOfSparseInput, sparseInputDenseApplies } from './sparse-input-dense.js';
export { type Activation, applyActivation, assertActivation } from './activation.js';
export { type Initializer, initialDenseValues } from './initializers.js';
export { type Module, scopedName, collectVariables } from './module.js';
export {
  NormalHead,
  PoissonHead,
  checkHeadDims,
  checkInput,
  countLogRate,
  HEAD_DISTRIBUTION_OPTIONS,
  type DistributionHead,
  type HeadContext,
  type HeadOptions,
  type NormalHeadOptions,
  type PoissonHeadOptions,
  type ScaleMode,
  type ScaleTransform,
} from './heads.js';
export { BernoulliHead, ContinuousBernoulliHead } from './logits-heads.js';
export {
  NegativeBinomialHead,
  ZeroInflatedNegativeBinomialHead,
  type NegativeBinomialHeadOptions,
  type DispersionMode,
} from './count-heads.js';
export {
  HEAD_PARAMETERS,
  type HeadParameters,
  type ParameterBlock,
  type ParameterLayer,
} from './parameter-blocks.js';
export {
  StandardNormalPrior,
  GaussianMixturePrior,
  type LatentPrior,
  type GaussianMixturePriorOptions,
} from './priors.js';
export type { AdamStepNumbers } from './adam-kernel-call.js';
export { FusedAdamOptimizer } from './fused-adam.js';
export type { AdamMoments, InStepAdam } from './in-step-adam.js';
export { MADE, checkFlowInputs, type MADEOptions } from './made.js';
export { PermuteFlow, FlowSequence, type FlowStep, type FlowOutput } from './flow-step.js';
export { InverseAutoregressiveFlow, type InverseAutoregressiveFlowOptions } from './iaf.js';
export { AffineCoupling, type AffineCouplingOptions } from './affine-coupling.js';
export { FlowBijector } from './flow-bijector.js';
export {
  FlowPosterior,
  FlowPosteriorHead,
  type FlowPosteriorHeadOptions,
  type SampleWithLogProb,
} from './flow-posterior.js';
export {
  FullCovarianceNormalHead,
  LowRankNormalHead,
  type CovarianceHeadOptions,
  type LowRankNormalHeadOptions,
} from './covariance-heads.js';
export { DirichletHead, LogisticNormalHead, type SimplexHeadOptions } from './simplex-heads.js';
export { type Network, type NetworkApplyOptions, isNetwork } from './network.js';
export { LayersModelNetwork, isLayersModel } from './layers-model-network.js';
export { conv2dFilterGradient, conv2dInputGradient, registerMissingConvGradients } from './layers-model-kernels.js';
export {
  checkLayersTopology,
  SUPPORTED_LAYER_CLASSES,
  type TopologyLimits,
  type TopologySummary,
} from './layers-model-topology.js';
