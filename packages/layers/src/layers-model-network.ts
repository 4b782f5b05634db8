import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { ArgumentError, DisposedError, ShapeError } from '@varia/core';
import { registerMissingConvGradients } from './layers-model-kernels.js';
import { scopedName } from './module.js';
import type { Network, NetworkApplyOptions } from './network.js';

/** A tfjs-layers layer as this adapter uses it (the structural part of `tf.layers.Layer`). */
type Layer = LayersModel['layers'][number];

/** A nested model inside a model: a layer with its own graph. */
interface Container {
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  layers: Layer[];
  inputLayers: Layer[];
}

function isContainer(layer: unknown): layer is Layer & Container {
  const c = layer as Partial<Container>;
  return Array.isArray(c.outputs) && Array.isArray(c.inputs) && Array.isArray(c.inputLayers) && Array.isArray(c.layers);
}

/** Whether `value` looks like a `tf.LayersModel` (Sequential or functional): a graph of layers with weights. */
export function isLayersModel(value: unknown): value is LayersModel {
  const m = value as Partial<Record<'toJSON' | 'apply' | 'dispose', unknown>> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.toJSON === 'function' &&
    typeof m.apply === 'function' &&
    typeof m.dispose === 'function' &&
    isContainer(m)
  );
}

/** The last part of a tfjs-layers weight name: `conv2d_Conv2D1/kernel` → `kernel`. */
function shortName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/**
 * Every weight of a model's layers by stable path: `<layer index>/<weight>` (`3/kernel`, `4/moving_mean`), nested
 * models as `<index>/<index>/<weight>`. tfjs-layers' own names carry a process-wide counter (`dense_Dense7/kernel`);
 * these paths depend only on the topology, so a saved model loads into a freshly deserialized one.
 */
function layerWeights(
  layers: readonly Layer[],
  prefix: string | undefined,
  out: { trainable: boolean; name: string; variable: tf.Variable }[],
): void {
  layers.forEach((layer, i) => {
    const path = scopedName(prefix, String(i));
    if (isContainer(layer)) {
      layerWeights(layer.layers, path, out);
      return;
    }
    const trainable = new Set(layer.trainableWeights);
    for (const w of layer.weights) {
      const name = scopedName(path, shortName(w.originalName ?? w.name));
      if (out.some((o) => o.name === name)) {
        throw new ArgumentError('model', `LayersModelNetwork: two weights of layer ${i} are both named "${name}"`);
      }
      let variable: tf.Variable;
      try {
        variable = w.read() as tf.Variable; // throws for a disposed model's weight
      } catch {
        throw new DisposedError(`LayersModelNetwork: the model's weight "${w.name}"`);
      }
      out.push({ trainable: trainable.has(w), name, variable });
    }
  });
}

/** A fully defined per-example shape from a symbolic shape [null, ...], or an ArgumentError naming `what`. */
function definedShape(shape: readonly (number | null)[], what: string): number[] {
  const rest = shape.slice(1);
  if (rest.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) {
    throw new ArgumentError(
      'model',
      `LayersModelNetwork: the model's ${what} shape must be fully defined after the batch axis, got [${shape.map((d) => d ?? 'null').join(', ')}]`,
    );
  }
  return rest as number[];
}

/**
 * Runs the graph of `model` on concrete inputs with `kwargs` (the training flag) given to every layer, nested models
 * included. (`LayersModel.apply` on tensors runs the inner graph with the keyword arguments recorded when it was
 * built, so a training flag would not reach dropout or batch normalization inside it.)
 */
function runGraph(model: Container, inputs: tf.Tensor[], training: boolean): tf.Tensor[] {
  const values = new Map<number, tf.Tensor>();
  model.inputs.forEach((s, i) => values.set(s.id, inputs[i]!));
  const done = new Map<string, tf.Tensor[]>();
  const evaluate = (s: SymbolicTensor): tf.Tensor => {
    const known = values.get(s.id);
    if (known) return known;
    const layer = s.sourceLayer;
    const key = `${layer.id}:${s.nodeIndex}`;
    let outputs = done.get(key);
    if (!outputs) {
      const args = s.inputs.map(evaluate);
      outputs = isContainer(layer)
        ? runGraph(layer, args, training)
        : (() => {
            const y = layer.apply(args.length === 1 ? args[0]! : args, { ...s.callArgs, training });
            return Array.isArray(y) ? (y as tf.Tensor[]) : [y as tf.Tensor];
          })();
      done.set(key, outputs);
    }
    const value = outputs[s.outputTensorIndex ?? 0]!;
    values.set(s.id, value);
    return value;
  };
  return model.outputs.map(evaluate);
}

/**
 * A `tf.LayersModel` (Sequential or functional: Dense, Conv2D, Conv2DTranspose, BatchNormalization, Dropout, …) as a
 * {@link Network}: its weights are tf.Variables that train with the rest of the model under stable names
 * (`<prefix>/<layer index>/<weight>`), batch normalization's moving statistics are {@link Network.stateVariables},
 * and the training flag reaches every layer (dropout active and batch statistics in training, moving statistics and
 * no dropout in inference). The input x [n, ...] is reshaped to the model's input shape; the single output is
 * flattened to [n, outputDim].
 *
 * The network takes ownership of the model: {@link LayersModelNetwork.dispose} disposes it. Dropout draws use tfjs'
 * global random stream (a layer's `seed` option makes them repeatable). On the wasm backend, which lacks the
 * gradient of a convolution with respect to its filter, the constructor registers one (see
 * `registerMissingConvGradients`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * const model = tf.sequential({ layers: [
 *   tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
 *   tf.layers.flatten(),
 * ] });
 * const net = new LayersModelNetwork(model); // outputDim 6272
 * const h = net.apply(x, { training: true }); // [n, 6272]
 * ```
 */
export class LayersModelNetwork implements Network {
  /** The adapted model. */
  readonly model: LayersModel;
  /** Per-example input shape the model expects (e.g. [28, 28, 1]). */
  readonly inputShape: readonly number[];
  /** Width of the flattened output. */
  readonly outputDim: number;
  /**
   * Per-example size of the model's second input, the covariate feature block c [n, F] (0 for a one-input model).
   * A two-input model `tf.model({ inputs: [x, c], … })` reads c from `apply`'s `covariates` option.
   */
  readonly covariateWidth: number;
  private readonly weights: { trainable: boolean; name: string; variable: tf.Variable }[];

  /**
   * @throws ArgumentError when `model` is not a LayersModel, has more than two inputs or several outputs, a second
   *   input that is not flat ([null, F]), or shapes that are not fully defined after the batch axis; DisposedError
   *   when the model was disposed.
   */
  constructor(model: LayersModel) {
    if (!isLayersModel(model)) {
      throw new ArgumentError(
        'model',
        'LayersModelNetwork: "model" must be a tf.LayersModel (tf.sequential or tf.model)',
      );
    }
    if (model.inputs.length < 1 || model.inputs.length > 2 || model.outputs.length !== 1) {
      throw new ArgumentError(
        'model',
        `LayersModelNetwork: the model must have one input (x) or two (x and the covariates c), and one output, got ${model.inputs.length} and ${model.outputs.length}`,
      );
    }
    this.inputShape = definedShape(model.inputs[0]!.shape, 'input');
    const second = model.inputs[1] && definedShape(model.inputs[1].shape, 'second (covariate) input');
    if (second && second.length !== 1) {
      throw new ArgumentError(
        'model',
        `LayersModelNetwork: the model's second input holds the covariate features and must be flat, [null, F], got [null, ${second.join(', ')}]`,
      );
    }
    this.covariateWidth = second?.[0] ?? 0;
    this.outputDim = definedShape(model.outputs[0]!.shape, 'output').reduce((a, b) => a * b, 1);
    this.model = model;
    this.weights = [];
    layerWeights(model.layers, undefined, this.weights);
    registerMissingConvGradients();
  }

  /** Per-example input size (the product of {@link LayersModelNetwork.inputShape}). */
  get inputDim(): number {
    return this.inputShape.reduce((a, b) => a * b, 1);
  }

  /**
   * h = model(x) — or model([x, c]) for a two-input model, c = `options.covariates` — flattened, for x [n, ...] with
   * inputDim values per example (flat rows or already shaped).
   * @throws ShapeError when x does not hold inputDim values per example, or c is not [n, covariateWidth];
   *   ArgumentError when a two-input model gets no covariates or a one-input model gets some.
   */
  apply(x: tf.Tensor, options: NetworkApplyOptions = {}): tf.Tensor2D {
    const n = x.shape[0] ?? 0;
    if (x.rank < 2 || x.size !== n * this.inputDim) {
      throw new ShapeError(
        'x',
        `LayersModelNetwork: input must be [n, ${this.inputShape.join(', ')}] or [n, ${this.inputDim}], got [${x.shape.join(', ')}]`,
      );
    }
    this.assertAlive();
    const c = options.covariates;
    if ((c === undefined) !== (this.covariateWidth === 0)) {
      throw new ArgumentError(
        'covariates',
        this.covariateWidth > 0
          ? `LayersModelNetwork: the model's second input reads covariates [n, ${this.covariateWidth}]: pass them`
          : 'LayersModelNetwork: the model has one input: it reads no covariates (give it a second input [null, F])',
      );
    }
    if (c && (c.rank !== 2 || c.shape[0] !== n || c.shape[1] !== this.covariateWidth)) {
      throw new ShapeError(
        'covariates',
        `LayersModelNetwork: covariates must be [${n}, ${this.covariateWidth}], got [${c.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const shaped = tf.reshape(x, [n, ...this.inputShape]);
      const inputs = c ? [shaped, c] : [shaped];
      const [y] = runGraph(this.model as unknown as Container, inputs, options.training ?? false);
      return tf.reshape(y!, [n, this.outputDim]);
    });
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.variables(prefix, true);
  }

  stateVariables(prefix?: string): Map<string, tf.Variable> {
    return this.variables(prefix, false);
  }

  private variables(prefix: string | undefined, trainable: boolean): Map<string, tf.Variable> {
    this.assertAlive();
    return new Map(
      this.weights.filter((w) => w.trainable === trainable).map((w) => [scopedName(prefix, w.name), w.variable]),
    );
  }

  /**
   * Frees the model's weights. Nothing more when the model was already disposed (by its owner, directly): its weights
   * are gone, and tfjs would throw "Container … is already disposed".
   */
  dispose(): void {
    if (this.modelDisposed()) return;
    this.model.dispose();
  }

  /** Whether the model's weights were freed (the model disposed by this network or directly by its owner). */
  private modelDisposed(): boolean {
    return this.weights.some((w) => w.variable.isDisposed);
  }

  /** A DisposedError when the model was disposed since: tfjs's own errors then name a layer or a tensor. */
  private assertAlive(): void {
    if (this.modelDisposed())
      throw new DisposedError(
        'LayersModelNetwork',
        'LayersModelNetwork: the tf.LayersModel was disposed: it cannot be used',
      );
  }
}
