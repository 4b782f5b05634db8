import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, mulberry32, nextSeed } from '@varia/core';
import type { Activation } from './activation.js';
import { type ApplyOptions, Dense } from './dense.js';
import type { Initializer } from './initializers.js';
import { collectVariables } from './module.js';
import type { Network } from './network.js';

/** Options of {@link MLP}. */
export interface MLPOptions {
  /** Input width. */
  inputDim: number;
  /** Widths of the hidden layers, in order (may be empty: the MLP is then the identity). */
  hiddenUnits: readonly number[];
  /** Activation of every hidden layer; default `'relu'`. */
  activation?: Activation;
  /** Initialisation; default `'torch'`. */
  init?: Initializer;
  /** Seed; each layer gets its own seed derived from it. Default 0. */
  seed?: number;
  /**
   * Per hidden layer, the width of an extra block that {@link MLP.apply}'s `layerInput` concatenates to that layer's
   * input (layer l then reads [h_l, e_l], of width width(h_l) + extraInputDims[l]); default all 0. A conditional
   * network's covariate features, for example.
   */
  extraInputDims?: readonly number[];
}

/**
 * A multilayer perceptron h = f(…f(f(xW₁ + b₁)W₂ + b₂)…) of {@link Dense} layers, all with the same activation.
 * A {@link Network} on flat inputs [batch, inputDim] (it has no training-mode behaviour).
 */
export class MLP implements Network {
  /** The layers, input first. */
  readonly layers: readonly Dense[];
  /** Input width. */
  readonly inputDim: number;
  /** Output width (the last hidden width, or `inputDim` when there are no layers). */
  readonly outputDim: number;

  constructor(options: MLPOptions) {
    const { inputDim, hiddenUnits } = options;
    if (!Array.isArray(hiddenUnits) || hiddenUnits.some((u) => !Number.isInteger(u) || u < 1)) {
      throw new ArgumentError(
        'hiddenUnits',
        `MLP: "hiddenUnits" must be an array of positive integers, got ${JSON.stringify(hiddenUnits)}`,
      );
    }
    const extra = options.extraInputDims ?? hiddenUnits.map(() => 0);
    if (
      !Array.isArray(extra) ||
      extra.length !== hiddenUnits.length ||
      extra.some((e) => !Number.isInteger(e) || e < 0)
    ) {
      throw new ArgumentError(
        'extraInputDims',
        `MLP: "extraInputDims" must be ${hiddenUnits.length} non-negative integers (one per hidden layer), got ${JSON.stringify(extra)}`,
      );
    }
    const rng = mulberry32(options.seed ?? 0);
    const layers: Dense[] = [];
    let width = inputDim;
    for (const [i, units] of hiddenUnits.entries()) {
      layers.push(
        new Dense({
          inputDim: width + extra[i]!,
          units,
          activation: options.activation ?? 'relu',
          init: options.init ?? 'torch',
          seed: nextSeed(rng),
        }),
      );
      width = units;
    }
    this.layers = layers;
    this.inputDim = inputDim;
    this.outputDim = width;
  }

  /**
   * Applies the layers in order to x of shape [batch, inputDim]: h_{l+1} = f(in_l W_l + b_l) with in_l = h_l, or
   * `layerInput(h_l, l)` when given (e.g. [h_l, c], of the width layer l was built for: see `extraInputDims`).
   */
  apply(
    x: tf.Tensor,
    options: ApplyOptions = {},
    layerInput?: (h: tf.Tensor2D, layer: number) => tf.Tensor2D,
  ): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x as tf.Tensor2D;
      this.layers.forEach((layer, i) => {
        // only the first layer sees the (possibly constant) input
        h = layer.apply(layerInput ? layerInput(h, i) : h, i === 0 ? options : {});
      });
      return h;
    });
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return collectVariables(
      this.layers.map((l, i) => [String(i), l]),
      prefix,
    );
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}
