import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type Distribution, Independent, NegativeBinomial, ZeroInflatedNegativeBinomial } from '@varia/distributions';
import { Dense } from './dense.js';
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
  /** Layer producing log μ (or the proportions' logits). */
  readonly meanLayer: Dense;
  /** log θ per feature (per-feature mode). */
  readonly logDispersion?: tf.Variable;
  /** Layer producing log θ (amortized mode). */
  readonly dispersionLayer?: Dense;

  protected constructor(name: string, options: NegativeBinomialHeadOptions) {
    checkHeadDims(name, options);
    this.inputDim = options.inputDim;
    this.units = options.units;
    this.librarySize = options.librarySize ?? false;
    this.dispersionMode = options.dispersion ?? 'per-feature';
    const seed = options.seed ?? 0;
    this.meanLayer = new Dense({ inputDim: this.inputDim, units: this.units, init: options.init, seed });
    if (this.dispersionMode === 'per-feature') {
      // θ = 1 at the start (log θ = 0), as scVI initialises px_r ~ N(0, 1) around it
      this.logDispersion = makeVariable(new Float32Array(this.units), [this.units], 'log_dispersion');
    } else if (this.dispersionMode === 'amortized') {
      this.dispersionLayer = new Dense({
        inputDim: this.inputDim,
        units: this.units,
        init: options.init,
        seed: seed + 1,
      });
    } else {
      throw new ArgumentError(
        'dispersion',
        `${name}: "dispersion" must be per-feature or amortized, got ${JSON.stringify(this.dispersionMode)}`,
      );
    }
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
  get gateLayer(): Dense | undefined {
    return undefined;
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
    super('NegativeBinomialHead', options);
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
  private readonly gate: Dense;
  constructor(options: NegativeBinomialHeadOptions) {
    super('ZeroInflatedNegativeBinomialHead', options);
    this.gate = new Dense({
      inputDim: this.inputDim,
      units: this.units,
      init: options.init,
      seed: (options.seed ?? 0) + 2,
    });
  }
  override get gateLayer(): Dense {
    return this.gate;
  }
  /** p(x | h): batch shape [batch], event shape [units]. Tensors live in the caller's `tf.tidy` scope. */
  apply(h: tf.Tensor, context?: HeadContext): Distribution {
    const { mean, dispersion } = this.meanAndDispersion(h, context);
    const gateLogits = this.gate.apply(h);
    return new Independent(
      new ZeroInflatedNegativeBinomial({ mean, dispersion, gateLogits }, HEAD_DISTRIBUTION_OPTIONS),
      1,
    );
  }
}
