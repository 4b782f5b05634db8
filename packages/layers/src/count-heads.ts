import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Distribution, Independent, NegativeBinomial, ZeroInflatedNegativeBinomial } from '@varia/distributions';
import {
  checkHeadDims,
  checkInput,
  countLogRate,
  type DistributionHead,
  HEAD_DISTRIBUTION_OPTIONS,
  type HeadContext,
  type PoissonHeadOptions,
} from './heads.js';
import { makeVariable } from './initializers.js';
import { collectVariables, scopedName } from './module.js';
import { type HeadParameters, type ParameterBlock, type ParameterLayer, parameterLayers } from './parameter-blocks.js';

/**
 * Where the inverse dispersion θ of a negative-binomial head comes from (scVI's `dispersion`):
 * `'per-feature'` — one learned θⱼ per feature, shared by all examples (scVI's "gene"); `'amortized'` — θ(h) from the
 * network per example and feature.
 */
export type DispersionMode = 'per-feature' | 'amortized';

/** Options of {@link NegativeBinomialHead} and {@link ZeroInflatedNegativeBinomialHead}. */
export interface NegativeBinomialHeadOptions extends PoissonHeadOptions {
  /** Source of θ; default `'per-feature'`. */
  dispersion?: DispersionMode;
}

/** The declared per-example parameters of the NB heads, with their dense layers' seed offsets. */
const NB_BLOCKS: readonly ParameterBlock[] = [
  { name: 'logMean', seedOffset: 0 },
  { name: 'logDispersion', seedOffset: 1 },
  { name: 'gateLogits', seedOffset: 2 },
];

/**
 * The per-example parameters of a negative-binomial head, in their order in a direct head's input: log μ, then log θ
 * when the dispersion is amortized, then the gate's logits for ZINB.
 */
function negativeBinomialBlocks(dispersion: DispersionMode, zeroInflated: boolean): readonly ParameterBlock[] {
  return NB_BLOCKS.filter(
    (b) => (b.name !== 'logDispersion' || dispersion === 'amortized') && (b.name !== 'gateLogits' || zeroInflated),
  );
}

/** The shared parts of the two NB heads: mean layer, dispersion, optional gate. */
abstract class NegativeBinomialBase implements DistributionHead {
  /** The family name (`'negative-binomial'` or `'zinb'`). */
  abstract readonly family: string;
  readonly inputDim: number;
  readonly units: number;
  /** Whether the mean is scaled by the library size. */
  readonly librarySize: boolean;
  /** The source of θ. */
  readonly dispersionMode: DispersionMode;
  /** Where log μ (and an amortized log θ, the gate's logits) come from. */
  readonly parameters: HeadParameters;
  /** Layer producing log μ (or the proportions' logits); a slice of h with `parameters: 'direct'`. */
  readonly meanLayer: ParameterLayer;
  /** log θ per feature (per-feature mode). */
  readonly logDispersion?: tf.Variable;
  /** Layer producing log θ (amortized mode). */
  readonly dispersionLayer?: ParameterLayer;
  /** Layer producing the gate's logits (ZINB only). */
  protected readonly gateBlock?: ParameterLayer;

  protected constructor(name: string, options: NegativeBinomialHeadOptions, zeroInflated: boolean) {
    checkHeadDims(name, options);
    this.inputDim = options.inputDim;
    this.units = options.units;
    this.librarySize = options.librarySize ?? false;
    this.dispersionMode = options.dispersion ?? 'per-feature';
    this.parameters = options.parameters ?? 'dense';
    if (this.dispersionMode !== 'per-feature' && this.dispersionMode !== 'amortized') {
      throw new ArgumentError(
        'dispersion',
        `${name}: "dispersion" must be per-feature or amortized, got ${JSON.stringify(this.dispersionMode)}`,
      );
    }
    const blocks = negativeBinomialBlocks(this.dispersionMode, zeroInflated);
    const layers = parameterLayers(name, options, blocks);
    const layer = (block: string) => layers[blocks.findIndex((b) => b.name === block)];
    this.meanLayer = layer('logMean')!;
    this.dispersionLayer = layer('logDispersion');
    this.gateBlock = layer('gateLogits');
    // θ = 1 at the start (log θ = 0), as scVI initialises px_r ~ N(0, 1) around it
    if (this.dispersionMode === 'per-feature')
      this.logDispersion = makeVariable(new Float32Array(this.units), [this.units], 'log_dispersion');
  }

  /** μ and θ for the hidden batch h. */
  protected meanAndDispersion(
    h: tf.Tensor,
    context: HeadContext | undefined,
  ): {
    /** The NB mean μ [batch, units]. */
    mean: tf.Tensor;
    /** The inverse dispersion θ, broadcastable to [batch, units]. */
    dispersion: tf.Tensor;
  } {
    checkInput(this.constructor.name, h, this.inputDim);
    const mean = tf.exp(countLogRate(this.meanLayer, h, this.librarySize, context, this.constructor.name));
    const logTheta = this.dispersionLayer ? this.dispersionLayer.apply(h) : this.logDispersion!;
    return { mean, dispersion: tf.exp(logTheta) };
  }

  abstract apply(h: tf.Tensor, context?: HeadContext): Distribution;

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    const out = collectVariables(
      [
        ['mean', this.meanLayer],
        ['dispersion', this.dispersionLayer],
        ['gate', this.gateLayer],
      ],
      prefix,
    );
    if (this.logDispersion) out.set(scopedName(prefix, 'log_dispersion'), this.logDispersion);
    return out;
  }

  /** The gate layer (ZINB only). */
  get gateLayer(): ParameterLayer | undefined {
    return this.gateBlock;
  }

  dispose(): void {
    this.meanLayer.dispose();
    this.dispersionLayer?.dispose();
    this.logDispersion?.dispose();
    this.gateLayer?.dispose();
  }
}

/**
 * Negative-binomial head for overdispersed counts (scVI's NB): p(x | h) = Πⱼ NB(xⱼ; μⱼ(h), θⱼ), mean μ, variance
 * μ + μ²/θ, with log μ = hW + b (or library-size proportions) and θ learned per feature or amortized.
 */
export class NegativeBinomialHead extends NegativeBinomialBase {
  readonly family = 'negative-binomial';
  constructor(options: NegativeBinomialHeadOptions) {
    super('NegativeBinomialHead', options, false);
  }
  /** p(x | h): batch shape [batch], event shape [units]. Tensors live in the caller's `tf.tidy` scope. */
  apply(h: tf.Tensor, context?: HeadContext): Distribution {
    const { mean, dispersion } = this.meanAndDispersion(h, context);
    return new Independent(NegativeBinomial.fromMeanDispersion({ mean, dispersion }, HEAD_DISTRIBUTION_OPTIONS), 1);
  }
}

/**
 * Zero-inflated negative-binomial head (scVI's ZINB): with probability π(h) a structural zero, otherwise NB(μ(h), θ).
 * The gate's logits come from their own layer.
 */
export class ZeroInflatedNegativeBinomialHead extends NegativeBinomialBase {
  readonly family = 'zinb';
  constructor(options: NegativeBinomialHeadOptions) {
    super('ZeroInflatedNegativeBinomialHead', options, true);
  }
  override get gateLayer(): ParameterLayer {
    return this.gateBlock!;
  }
  /** p(x | h): batch shape [batch], event shape [units]. Tensors live in the caller's `tf.tidy` scope. */
  apply(h: tf.Tensor, context?: HeadContext): Distribution {
    const { mean, dispersion } = this.meanAndDispersion(h, context);
    const gateLogits = this.gateLayer.apply(h);
    return new Independent(
      new ZeroInflatedNegativeBinomial({ mean, dispersion, gateLogits }, HEAD_DISTRIBUTION_OPTIONS),
      1,
    );
  }
}
