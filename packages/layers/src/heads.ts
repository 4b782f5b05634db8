import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { type Distribution, Independent, Normal, Poisson, softplusInverse } from '@varia/distributions';
import type { Initializer } from './initializers.js';
import { makeVariable } from './initializers.js';
import { collectVariables, type Module, scopedName } from './module.js';
import { type HeadParameters, type ParameterBlock, type ParameterLayer, parameterLayers } from './parameter-blocks.js';

/** Per-batch side information some heads use. */
export interface HeadContext {
  /**
   * log of each example's library size (total count), shape [batch, 1]: used by count heads with
   * `librarySize: true` (scVI), whose rate is then softmax(logits) · librarySize.
   */
  logLibrarySize?: tf.Tensor;
}

/**
 * A distribution head: maps a hidden tensor h of shape [batch, inputDim] to a distribution with batch shape
 * [batch] and event shape [units] (an `Independent` over the features). Heads own their variables.
 */
export interface DistributionHead extends Module {
  /** The family name, e.g. `"normal"`. */
  readonly family: string;
  /** Width of the hidden input. */
  readonly inputDim: number;
  /** Number of features of the output distribution. */
  readonly units: number;
  /** Where its per-example parameters come from (see {@link HeadParameters}); absent means `'dense'`. */
  readonly parameters?: HeadParameters;
  /** The distribution p(· | h). Tensors it holds live in the caller's `tf.tidy` scope. */
  apply(h: tf.Tensor, context?: HeadContext): Distribution;
}

/** Options shared by all heads. */
export interface HeadOptions {
  /** Width of the hidden input. */
  inputDim: number;
  /** Number of output features. */
  units: number;
  /** Initialisation of the output layer(s); default `'torch'`. */
  init?: Initializer;
  /** Seed of the initialisation. Default 0. */
  seed?: number;
  /**
   * Where the per-example parameters come from: `'dense'` (default) layers from h, or `'direct'`: h [batch, units·P]
   * is the P parameter blocks (see {@link HeadParameters} for the layout) and `inputDim` must be units·P.
   */
  parameters?: HeadParameters;
}

/** Checks a head's `inputDim` and `units`. */
export function checkHeadDims(name: string, o: HeadOptions): void {
  for (const k of ['inputDim', 'units'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) {
      throw new ArgumentError(k, `${name}: "${k}" must be a positive integer, got ${o[k]}`);
    }
  }
}

/**
 * Heads build their distributions without validation or support masking: parameters come from the network (always
 * valid by construction) and the data is validated once at the training boundary, so the hot loop skips both checks.
 * Bernoulli then accepts [0, 1] intensities as soft targets (binary cross-entropy), as PyTorch VAEs do.
 */
export const HEAD_DISTRIBUTION_OPTIONS = {
  /** No parameter or value validation (no synchronous tensor reads). */
  validateArgs: false,
  /** No −∞ mask for out-of-support values (the data was validated at the boundary). */
  maskOutOfSupport: false,
} as const;

/** Checks that h is [batch, inputDim]. */
export function checkInput(name: string, h: tf.Tensor, inputDim: number): void {
  if (h.rank !== 2 || h.shape[1] !== inputDim) {
    throw new ShapeError('h', `${name}: input must have shape [batch, ${inputDim}], got [${h.shape.join(', ')}]`);
  }
}

/**
 * How a {@link NormalHead} gets its scale σ:
 * - `'amortized'`: from the network, σ = t(h W_σ + b_σ) per example and feature;
 * - `'learned-scalar'`: one trainable σ shared by all features and examples;
 * - `'learned-per-feature'`: one trainable σ_j per feature;
 * - `{ fixed: s }`: a constant σ = s.
 */
export type ScaleMode =
  | 'amortized'
  | 'learned-scalar'
  | 'learned-per-feature'
  | {
      /** The constant σ > 0. */
      fixed: number;
    };

/**
 * The positive transform t giving σ from an unconstrained value u:
 * `'softplus'`: σ = softplus(u) + minScale; `'exp'`: σ = exp(u/2) (u is a log-variance, as in PyTorch VAEs).
 */
export type ScaleTransform = 'softplus' | 'exp';

/** Options of {@link NormalHead}. */
export interface NormalHeadOptions extends HeadOptions {
  /** Where σ comes from; default `'amortized'`. */
  scale?: ScaleMode;
  /** The positive transform for amortized and learned scales; default `'softplus'`. */
  scaleTransform?: ScaleTransform;
  /** Lower bound added to σ with the softplus transform; default 1e-4. */
  minScale?: number;
}

/**
 * Gaussian head: p(x | h) = Πⱼ N(xⱼ; μⱼ(h), σⱼ²) with μ = hW_μ + b_μ and σ from {@link ScaleMode}.
 * As a decoder with a learned σ this is the proper Gaussian likelihood, log p = −Σⱼ [(xⱼ−μⱼ)²/(2σⱼ²) + log σⱼ + ½log 2π],
 * not a rescaled MSE.
 */
export class NormalHead implements DistributionHead {
  readonly family = 'normal';
  readonly inputDim: number;
  readonly units: number;
  /** The scale mode. */
  readonly scaleMode: ScaleMode;
  /** The positive transform. */
  readonly scaleTransform: ScaleTransform;
  /** Lower bound of σ (softplus transform). */
  readonly minScale: number;
  /** Where μ (and an amortized scale) come from. */
  readonly parameters: HeadParameters;
  /** Layer producing μ (a slice of h with `parameters: 'direct'`). */
  readonly locLayer: ParameterLayer;
  /** Layer producing the unconstrained scale (amortized mode only). */
  readonly scaleLayer?: ParameterLayer;
  /** The unconstrained learned scale (learned modes only). */
  readonly rawScale?: tf.Variable;

  constructor(options: NormalHeadOptions) {
    checkHeadDims('NormalHead', options);
    this.inputDim = options.inputDim;
    this.units = options.units;
    this.scaleMode = options.scale ?? 'amortized';
    this.scaleTransform = options.scaleTransform ?? 'softplus';
    this.minScale = options.minScale ?? 1e-4;
    if (typeof this.scaleMode === 'object') {
      if (!(this.scaleMode.fixed > 0) || !Number.isFinite(this.scaleMode.fixed)) {
        throw new ArgumentError(
          'scale',
          `NormalHead: fixed "scale" must be finite and > 0, got ${this.scaleMode.fixed}`,
        );
      }
    } else if (!['amortized', 'learned-scalar', 'learned-per-feature'].includes(this.scaleMode)) {
      throw new ArgumentError(
        'scale',
        `NormalHead: "scale" must be amortized, learned-scalar, learned-per-feature or { fixed }, got ${JSON.stringify(this.scaleMode)}`,
      );
    }
    if (this.scaleTransform !== 'softplus' && this.scaleTransform !== 'exp') {
      throw new ArgumentError(
        'scaleTransform',
        `NormalHead: "scaleTransform" must be softplus or exp, got ${JSON.stringify(this.scaleTransform)}`,
      );
    }
    this.parameters = options.parameters ?? 'dense';
    [this.locLayer, this.scaleLayer] = parameterLayers(
      'NormalHead',
      options,
      NormalHead.parameterBlocks(this.scaleMode),
    ) as [ParameterLayer, ParameterLayer?];
    if (this.scaleMode === 'learned-scalar' || this.scaleMode === 'learned-per-feature') {
      // start at σ = 1
      const start =
        this.scaleTransform === 'exp' ? 0 : tf.tidy(() => softplusInverse(tf.scalar(1 - this.minScale)).dataSync()[0]!);
      const n = this.scaleMode === 'learned-scalar' ? 1 : this.units;
      this.rawScale = makeVariable(
        new Float32Array(n).fill(start),
        this.scaleMode === 'learned-scalar' ? [] : [n],
        'raw_scale',
      );
    }
  }

  /** The per-example parameters of a Normal head with scale mode `scale`: μ, and the raw σ when it is amortized. */
  static parameterBlocks(scale: ScaleMode): readonly ParameterBlock[] {
    return scale === 'amortized' ? NORMAL_BLOCKS : NORMAL_BLOCKS.slice(0, 1);
  }

  private positive(u: tf.Tensor): tf.Tensor {
    return this.scaleTransform === 'exp' ? tf.exp(tf.mul(u, 0.5)) : tf.add(tf.softplus(u), this.minScale);
  }

  /** σ as a tensor broadcastable to [batch, units]. */
  private scaleFor(h: tf.Tensor): tf.Tensor {
    if (this.scaleLayer) return this.positive(this.scaleLayer.apply(h));
    if (this.rawScale) return this.positive(this.rawScale);
    return tf.scalar((this.scaleMode as { fixed: number }).fixed);
  }

  apply(h: tf.Tensor): Distribution {
    checkInput('NormalHead', h, this.inputDim);
    const loc = this.locLayer.apply(h);
    const scale = this.scaleFor(h);
    return new Independent(new Normal({ loc, scale }, HEAD_DISTRIBUTION_OPTIONS), 1);
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    const out = collectVariables(
      [
        ['loc', this.locLayer],
        ['scale', this.scaleLayer],
      ],
      prefix,
    );
    if (this.rawScale) out.set(scopedName(prefix, 'raw_scale'), this.rawScale);
    return out;
  }

  dispose(): void {
    this.locLayer.dispose();
    this.scaleLayer?.dispose();
    this.rawScale?.dispose();
  }
}

const NORMAL_BLOCKS: readonly ParameterBlock[] = [
  { name: 'loc', seedOffset: 0 },
  { name: 'scale', seedOffset: 1 },
];

/** Options of {@link PoissonHead}. */
export interface PoissonHeadOptions extends HeadOptions {
  /**
   * scVI-style library size: the network outputs proportions ρ = softmax(hW + b) over features and the rate is
   * λ = ρ · librarySize (pass `logLibrarySize` in the context). Default false: log λ = hW + b.
   */
  librarySize?: boolean;
}

/** Log-rate log λ = hW + b, or log softmax(hW + b) + log librarySize with `librarySize: true`. */
export function countLogRate(
  layer: ParameterLayer,
  h: tf.Tensor,
  librarySize: boolean,
  context: HeadContext | undefined,
  name: string,
): tf.Tensor {
  const raw = layer.apply(h);
  if (!librarySize) return raw;
  const logLib = context?.logLibrarySize;
  if (!logLib)
    throw new ArgumentError(
      'logLibrarySize',
      `${name}: "librarySize" is on, so the context must carry "logLibrarySize" [batch, 1]`,
    );
  return tf.add(tf.logSoftmax(raw), logLib);
}

/** Poisson head for counts: p(x | h) = Πⱼ Poisson(xⱼ; λⱼ(h)) with the rate in log space. */
export class PoissonHead implements DistributionHead {
  readonly family = 'poisson';
  readonly inputDim: number;
  readonly units: number;
  /** Whether the rate is scaled by the library size. */
  readonly librarySize: boolean;
  /** Where log λ comes from. */
  readonly parameters: HeadParameters;
  /** Layer producing log λ (or the proportions' logits); a slice of h with `parameters: 'direct'`. */
  readonly layer: ParameterLayer;
  /** The per-example parameter: log λ. */
  static readonly parameterBlocks: readonly ParameterBlock[] = [{ name: 'logRate', seedOffset: 0 }];

  constructor(options: PoissonHeadOptions) {
    checkHeadDims('PoissonHead', options);
    this.inputDim = options.inputDim;
    this.units = options.units;
    this.librarySize = options.librarySize ?? false;
    this.parameters = options.parameters ?? 'dense';
    [this.layer] = parameterLayers('PoissonHead', options, PoissonHead.parameterBlocks) as [ParameterLayer];
  }

  apply(h: tf.Tensor, context?: HeadContext): Distribution {
    checkInput('PoissonHead', h, this.inputDim);
    const logRate = countLogRate(this.layer, h, this.librarySize, context, 'PoissonHead');
    // the direct log-mass: a third of the saddle-point form's operations, the same gradient (see PoissonOptions)
    return new Independent(new Poisson({ logRate }, { ...HEAD_DISTRIBUTION_OPTIONS, logProbMethod: 'direct' }), 1);
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.layer.namedVariables(prefix);
  }

  dispose(): void {
    this.layer.dispose();
  }
}
