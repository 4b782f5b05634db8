// The size limits of a VAE config and the parameter-count bound they are checked against.
import { covariateParameterBound } from './covariates.js';
import type { ResolvedVAEConfig } from './config.js';
import { latentParameterBound, MAX_MIXTURE_COMPONENTS } from './latent-config.js';
import type { ResolvedNetworkConfig } from './networks.js';

/**
 * Size limits of a VAE, checked by the constructor (and so by `load`) before anything is allocated: a typo such as
 * `hiddenUnits: 300000000` is an ArgumentError instead of gigabytes of weights and a crash.
 */
export const CONFIG_LIMITS = {
  /** The widest layer (inputDim, latentDim, each hidden width): 2²⁰ units. */
  maxUnits: 2 ** 20,
  /** The most hidden layers in the encoder or the decoder. */
  maxLayers: 256,
  /** The most mixture components of the prior. */
  maxMixtureComponents: MAX_MIXTURE_COMPONENTS,
  /**
   * The most parameters (weights and biases of every layer and head, counted as an upper bound): 2²⁸, 1 GiB of
   * float32 weights (training holds about four times that: Adam's two moments and the gradients).
   */
  maxParameters: 2 ** 28,
  /** A user network's topology (a `tf.LayersModel` in a saved config): the largest kernel, stride or pool size. */
  maxKernelSize: 64,
  /** A user network's topology: the most values one example occupies at any layer's output (2²⁴). */
  maxActivationValues: 2 ** 24,
  /** A user network's topology: the deepest nesting of models inside models. */
  maxNetworkDepth: 4,
} as const;

/** Weights and biases of a dense layer chain `sizes[0] → sizes[1] → …`. */
function denseParameters(sizes: number[]): number {
  let total = 0;
  for (let i = 1; i < sizes.length; i++) total += sizes[i - 1]! * sizes[i]! + sizes[i]!;
  return total;
}

/**
 * An upper bound on the parameter count of a resolved config: encoder and decoder MLPs, the encoder head's μ and σ
 * layers, up to three output layers of the likelihood head (ZINB's μ, θ and gate) plus a per-feature scale, and the
 * mixture prior's means, scales and weights.
 */
export function parameterCountBound(
  c: Pick<ResolvedVAEConfig, 'inputDim' | 'latentDim' | 'encoderUnits' | 'decoderUnits' | 'prior'> &
    Partial<Pick<ResolvedVAEConfig, 'covariates' | 'encodeCovariates' | 'posterior'>> &
    Pick<ResolvedNetworkConfig, 'encoderNetwork' | 'decoderNetwork'>,
): number {
  // a user network's own weights are not counted here (a saved topology's are, by resolveConfig)
  const encoderOut = c.encoderNetwork?.outputDim ?? c.encoderUnits.at(-1) ?? c.inputDim;
  const decoderOut = c.decoderNetwork?.outputDim ?? c.decoderUnits.at(-1) ?? c.latentDim;
  return (
    denseParameters([c.inputDim, ...c.encoderUnits]) +
    latentParameterBound(c, encoderOut) +
    denseParameters([c.latentDim, ...c.decoderUnits]) +
    3 * denseParameters([decoderOut, c.inputDim]) +
    c.inputDim +
    covariateParameterBound(c)
  );
}
