// Where a distribution head's per-example parameter blocks come from: a dense layer each from the hidden features
// (the default), or the hidden input itself, which then *is* the likelihood's unconstrained parameters.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { Dense } from './dense.js';
import type { Initializer } from './initializers.js';
import type { Module } from './module.js';

/**
 * How a head gets its per-example parameters θ(h), each a block of `units` values:
 * - `'dense'`: one {@link Dense} layer per block, θₖ = h Wₖ + bₖ, from features h [batch, inputDim];
 * - `'direct'`: h is the parameter blocks themselves (what Pyro's decoder returning `loc, scale` and TFP's
 *   `IndependentBernoulli` after a conv stack do), h [batch, units·P] with θₖ[:, j] = h[:, j·P + k] — feature-major,
 *   parameter-minor: a conv output [batch, H, W, P] flattened in tfjs's channel-last order, or [batch, units, P]
 *   reshaped. With one block (P = 1) h is θ. The head then has no layers of its own (shared parameters such as a
 *   learned scalar σ or per-feature dispersion stay in the head).
 */
export type HeadParameters = 'dense' | 'direct';

/** The values of {@link HeadParameters}. */
export const HEAD_PARAMETERS: readonly HeadParameters[] = ['dense', 'direct'];

/** A per-example parameter block of a head: θₖ(h) [batch, units]. */
export interface ParameterLayer extends Module {
  /** θₖ(h) [batch, units]; the tensor lives in the caller's `tf.tidy` scope. */
  apply(h: tf.Tensor): tf.Tensor;
}

/** One per-example parameter of a head, as its class declares it (its dense layer's seed offset). */
export interface ParameterBlock {
  /** The parameter's name (the dense layer's variable scope, e.g. `'loc'`; what a layout error lists). */
  readonly name: string;
  /** Added to the head's seed for this block's dense layer. */
  readonly seedOffset: number;
}

/** Block k of P from h [batch, units·P] (column j·P + k), without variables. */
class ParameterSlice implements ParameterLayer {
  constructor(
    private readonly index: number,
    private readonly count: number,
    private readonly units: number,
  ) {}

  apply(h: tf.Tensor): tf.Tensor {
    if (this.count === 1) return h;
    const n = h.shape[0]!;
    return tf.reshape(tf.slice(tf.reshape(h, [n, this.units, this.count]), [0, 0, this.index], [n, this.units, 1]), [
      n,
      this.units,
    ]);
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map();
  }

  dispose(): void {}
}

/** The options {@link parameterLayers} reads (those of every head). */
interface ParameterLayerOptions {
  /** Width of the hidden input. */
  inputDim: number;
  /** Number of output features. */
  units: number;
  /** Initialisation of the dense layers. */
  init?: Initializer;
  /** The head's seed. Default 0. */
  seed?: number;
  /** Where the blocks come from; default `'dense'`. */
  parameters?: HeadParameters;
}

/** The width a `'direct'` head's input must have, and how it is laid out, for error messages and docs. */
function directLayout(blocks: readonly ParameterBlock[], units: number): { width: number; layout: string } {
  const names = blocks.map((b) => b.name);
  return {
    width: units * blocks.length,
    layout:
      blocks.length === 1
        ? `[batch, ${units}] of ${names[0]}`
        : `[batch, ${units}·${blocks.length}] with column j·${blocks.length} + k holding parameter k of feature j (${names.join(', ')}), e.g. a conv output [batch, H, W, ${blocks.length}] flattened`,
  };
}

/**
 * The per-example parameter layers of a head, one per declared block, in order: dense layers from h, or (with
 * `parameters: 'direct'`) slices of h. Checks everything before it allocates anything.
 * @throws ArgumentError for an unknown `parameters`; ShapeError when a direct head's `inputDim` is not units·P.
 */
export function parameterLayers(
  name: string,
  options: ParameterLayerOptions,
  blocks: readonly ParameterBlock[],
): ParameterLayer[] {
  const parameters = options.parameters ?? 'dense';
  if (!HEAD_PARAMETERS.includes(parameters)) {
    throw new ArgumentError(
      'parameters',
      `${name}: "parameters" must be ${HEAD_PARAMETERS.join(' or ')}, got ${JSON.stringify(parameters)}`,
    );
  }
  if (parameters === 'direct') {
    const { width, layout } = directLayout(blocks, options.units);
    if (options.inputDim !== width) {
      throw new ShapeError(
        'inputDim',
        `${name}: with parameters 'direct' the input is the parameter blocks ${layout}, so its width must be ${width}, got ${options.inputDim}`,
      );
    }
    return blocks.map((_, k) => new ParameterSlice(k, blocks.length, options.units));
  }
  const seed = options.seed ?? 0;
  return blocks.map(
    (b) =>
      new Dense({ inputDim: options.inputDim, units: options.units, init: options.init, seed: seed + b.seedOffset }),
  );
}
