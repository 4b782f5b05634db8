import * as tf from '@tensorflow/tfjs-core';
import { mulberry32, standardNormal } from '@varia/core';
import {
  type Activation,
  type ApplyOptions,
  type Dense,
  type Initializer,
  MLP,
  type Module,
  type Network,
  scopedName,
} from '@varia/layers';
import { type CovariateInjection, covariateFeatureWidth, type ResolvedCovariate } from './covariates.js';
import { SuppliedNetwork } from './networks.js';

let nextTableId = 0;

/**
 * Turns the raw covariates of a batch, [n, C] (level indices and values, one column per declared covariate), into
 * the feature block c [n, F] that the networks read: for a categorical covariate with L levels the one-hot row
 * e_level ∈ {0,1}^L, or row `level` of its trainable embedding table E ∈ ℝ^{L×dim} (e_level·E); a continuous value
 * as it is.
 * The blocks follow the declaration order. Embedding tables start at N(0, 1) entries (PyTorch's `nn.Embedding`) and
 * are named `<j>/embedding` by the covariate's column j.
 */
export class CovariateFeatures implements Module {
  /** The declarations, in column order. */
  readonly covariates: readonly ResolvedCovariate[];
  /** Width F of the feature block. */
  readonly width: number;
  /** The embedding tables by covariate column (one-hot and continuous covariates have none). */
  readonly tables: ReadonlyMap<number, tf.Variable>;

  constructor(covariates: readonly ResolvedCovariate[], seed: number) {
    this.covariates = covariates;
    this.width = covariateFeatureWidth(covariates);
    const rng = mulberry32(seed);
    const tables = new Map<number, tf.Variable>();
    try {
      covariates.forEach((c, j) => {
        if (c.kind !== 'categorical' || c.encoding === 'one-hot') return;
        const { levels } = c;
        const dim = c.encoding.embedding;
        const values = new Float32Array(levels * dim);
        for (let k = 0; k < values.length; k++) values[k] = standardNormal(rng);
        const initial = tf.tensor2d(values, [levels, dim], 'float32');
        tables.set(j, tf.variable(initial, true, `covariate_embedding_${nextTableId++}`));
        initial.dispose();
      });
    } catch (e) {
      for (const t of tables.values()) t.dispose();
      throw e;
    }
    this.tables = tables;
  }

  /** Whether the features depend on trainable variables (an embedding): then they need gradients. */
  get trainable(): boolean {
    return this.tables.size > 0;
  }

  /** The feature block c [n, F] of raw covariates [n, C] (validated values: integer levels in range). */
  apply(raw: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const n = raw.shape[0]!;
      const columns = tf.split(raw, this.covariates.length, 1);
      const blocks = this.covariates.map((c, j): tf.Tensor2D => {
        const column = columns[j] as tf.Tensor2D;
        if (c.kind === 'continuous') return tf.cast(column, 'float32');
        const level = tf.reshape(tf.cast(column, 'int32'), [n]) as tf.Tensor1D;
        const table = this.tables.get(j);
        const oneHot = tf.cast(tf.oneHot(level, c.levels), 'float32') as tf.Tensor2D;
        // E[level] as e_level·E: a matMul, whose gradient every backend has (tf.gather's needs UnsortedSegmentSum,
        // which tfjs-wasm lacks)
        return table ? tf.matMul(oneHot, table as tf.Tensor2D) : oneHot;
      });
      return blocks.length === 1 ? blocks[0]! : tf.concat(blocks, 1);
    });
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return new Map([...this.tables].map(([j, t]) => [scopedName(prefix, `${j}/embedding`), t]));
  }

  dispose(): void {
    for (const t of this.tables.values()) t.dispose();
  }
}

/** Options of {@link ConditionedMLP}. */
export interface ConditionedMLPOptions {
  /** Width of the main input (x for an encoder, z for a decoder). */
  inputDim: number;
  /** Width F of the covariate features concatenated to the layers' inputs. */
  covariateWidth: number;
  /** Hidden widths, in order (may be empty: the output is then [input, c]). */
  hiddenUnits: readonly number[];
  /** `'first'`: c enters the first layer only; `'all'`: every hidden layer (scVI's `deeply_inject_covariates`). */
  inject: CovariateInjection;
  /** Hidden activation. */
  activation: Activation;
  /** Initialisation. */
  init: Initializer;
  /** Seed; each layer gets its own seed derived from it, as in `MLP`. */
  seed: number;
}

/**
 * A multilayer perceptron conditioned on a covariate feature block c [n, F]: h₀ = x and
 *
 * h_{l+1} = f([h_l, c] W_l + b_l) where the covariates are injected (layer 0, or every layer with `inject: 'all'`),
 * h_{l+1} = f(h_l W_l + b_l) elsewhere.
 *
 * An `MLP` whose injected layers read c as their extra input (`extraInputDims`, `layerInput`): the same layers, seeds
 * and variable names (`0/kernel`, …). With no hidden layers the output is [x, c] (the head reads both).
 */
export class ConditionedMLP implements Module {
  /** Width of the main input. */
  readonly inputDim: number;
  /** Width F of the covariate features. */
  readonly covariateWidth: number;
  /** Output width (the last hidden width, or inputDim + F without layers). */
  readonly outputDim: number;
  /** Where the covariates enter. */
  readonly inject: CovariateInjection;
  private readonly mlp: MLP;

  constructor(options: ConditionedMLPOptions) {
    const { inputDim, covariateWidth, hiddenUnits, inject, activation, init, seed } = options;
    const extraInputDims = hiddenUnits.map((_, i) => (i === 0 || inject === 'all' ? covariateWidth : 0));
    this.mlp = new MLP({ inputDim, hiddenUnits, activation, init, seed, extraInputDims });
    this.inputDim = inputDim;
    this.covariateWidth = covariateWidth;
    this.inject = inject;
    this.outputDim = hiddenUnits.length > 0 ? this.mlp.outputDim : inputDim + covariateWidth;
  }

  /** The layers, input first. */
  get layers(): readonly Dense[] {
    return this.mlp.layers;
  }

  /**
   * Applies the layers to x [n, inputDim] with covariate features c [n, F]. `constantInput` (no gradient needed for
   * the first layer's input) is honoured only when the caller says both x and c are constants.
   */
  apply(x: tf.Tensor, features: tf.Tensor, options: ApplyOptions = {}): tf.Tensor2D {
    const c = features as tf.Tensor2D;
    if (this.layers.length === 0) return tf.concat([x as tf.Tensor2D, c], 1);
    return this.mlp.apply(x, options, (h, i) => (i === 0 || this.inject === 'all' ? tf.concat([h, c], 1) : h));
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.mlp.namedVariables(prefix);
  }

  dispose(): void {
    this.mlp.dispose();
  }
}

/**
 * The hidden network of an encoder or decoder: a plain `MLP` when it reads no covariates (`covariateWidth` 0), else a
 * {@link ConditionedMLP}. Both name their variables alike (`0/kernel`, …).
 */
export function hiddenNetwork(options: ConditionedMLPOptions): MLP | ConditionedMLP {
  if (options.covariateWidth === 0) {
    const { inputDim, hiddenUnits, activation, init, seed } = options;
    return new MLP({ inputDim, hiddenUnits, activation, init, seed });
  }
  return new ConditionedMLP(options);
}

/**
 * h = f(x) or f(x, c): applies a network built by {@link hiddenNetwork} or a user's network, giving the covariate
 * features to a {@link ConditionedMLP} or to the user's network that reads them. `constantInput` reaches the first layer only when c needs no gradient (no embedding).
 */
export function applyHidden(
  network: Network | ConditionedMLP,
  x: tf.Tensor,
  features: { block: tf.Tensor2D; trainable: boolean } | undefined,
  options: ApplyOptions = {},
): tf.Tensor2D {
  if (network instanceof SuppliedNetwork) {
    // a user's network: c as `covariates` (it drops them when it reads none); constantInput only for constant c
    const constant = features?.trainable ? {} : options;
    return network.apply(x, features ? { ...constant, covariates: features.block } : constant);
  }
  if (!(network instanceof ConditionedMLP)) return network.apply(x, options);
  if (!features) throw new Error('unreachable: a conditioned network was applied without covariate features');
  return network.apply(x, features.block, features.trainable ? {} : options);
}
