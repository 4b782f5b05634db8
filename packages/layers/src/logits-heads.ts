// The heads whose one per-example parameter is the logits ℓ of a distribution on [0, 1] or {0, 1}: Bernoulli and
// continuous Bernoulli.
import type * as tf from '@tensorflow/tfjs-core';
import { Bernoulli, ContinuousBernoulli, type Distribution, Independent } from '@varia/distributions';
import {
  checkHeadDims,
  checkInput,
  type DistributionHead,
  HEAD_DISTRIBUTION_OPTIONS,
  type HeadOptions,
} from './heads.js';
import { type HeadParameters, type ParameterBlock, type ParameterLayer, parameterLayers } from './parameter-blocks.js';

const LOGITS_BLOCKS: readonly ParameterBlock[] = [{ name: 'logits', seedOffset: 0 }];

/** A head p(x | h) = Πⱼ D(xⱼ; ℓⱼ(h)) of logits ℓ = hW + b (or the slice of h with `parameters: 'direct'`). */
abstract class LogitsHead implements DistributionHead {
  abstract readonly family: string;
  readonly inputDim: number;
  readonly units: number;
  /** Where the logits come from. */
  readonly parameters: HeadParameters;
  /** Layer producing the logits; a slice of h with `parameters: 'direct'`. */
  readonly layer: ParameterLayer;
  /** The per-example parameter: the logits ℓ. */
  static readonly parameterBlocks: readonly ParameterBlock[] = LOGITS_BLOCKS;

  constructor(
    private readonly headName: string,
    options: HeadOptions,
  ) {
    checkHeadDims(headName, options);
    this.inputDim = options.inputDim;
    this.units = options.units;
    this.parameters = options.parameters ?? 'dense';
    [this.layer] = parameterLayers(headName, options, LOGITS_BLOCKS) as [ParameterLayer];
  }

  /** The per-feature distribution of the logits. */
  protected abstract distribution(logits: tf.Tensor): Distribution;

  apply(h: tf.Tensor): Distribution {
    checkInput(this.headName, h, this.inputDim);
    return new Independent(this.distribution(this.layer.apply(h)), 1);
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.layer.namedVariables(prefix);
  }

  dispose(): void {
    this.layer.dispose();
  }
}

/** Bernoulli head for binary data (or [0,1] intensities as BCE targets): p(x | ℓ) = σ(ℓ)^x (1 − σ(ℓ))^(1−x), ℓ = hW + b. */
export class BernoulliHead extends LogitsHead {
  /** The family's name. */
  readonly family = 'bernoulli';

  constructor(options: HeadOptions) {
    super('BernoulliHead', options);
  }

  protected distribution(logits: tf.Tensor): Distribution {
    return new Bernoulli({ logits }, HEAD_DISTRIBUTION_OPTIONS);
  }
}

/**
 * Continuous-Bernoulli head for intensities in [0, 1] (Loaiza-Ganem & Cunningham 2019): the proper density
 * p(x | ℓ) = C(ℓ)·σ(ℓ)^x (1 − σ(ℓ))^(1−x) on [0, 1], logits ℓ = hW + b. Unlike Bernoulli on intensities it is a
 * normalized likelihood.
 */
export class ContinuousBernoulliHead extends LogitsHead {
  /** The family's name. */
  readonly family = 'continuous-bernoulli';

  constructor(options: HeadOptions) {
    super('ContinuousBernoulliHead', options);
  }

  protected distribution(logits: tf.Tensor): Distribution {
    return new ContinuousBernoulli({ logits }, HEAD_DISTRIBUTION_OPTIONS);
  }
}
