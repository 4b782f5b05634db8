import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError, SerializationError, ShapeError } from '@varia/core';
import {
  checkLayersTopology,
  isLayersModel,
  isNetwork,
  LayersModelNetwork,
  type Network,
  type NetworkApplyOptions,
  type TopologyLimits,
} from '@varia/layers';

/**
 * How the encoder or the decoder of a VAE is given: hidden widths of the built-in MLP (`[400]`), a `tf.LayersModel`
 * (Sequential or functional; its weights train with the rest and its topology is saved with the model), or any
 * {@link Network} the user writes (its weights train and are saved; loading needs it passed again).
 */
export type NetworkOption = readonly number[] | Network | LayersModel;

/** What a saved config records of an encoder or decoder that is not the built-in MLP. */
export type NetworkSpec =
  | {
      /** A `tf.LayersModel`, rebuilt on load from its topology. */
      type: 'layers-model';
      /** Width of its flattened output (what the head reads). */
      outputDim: number;
      /** `model.toJSON(null, false)`: tfjs-layers' own serialization of the topology (no weights). */
      topology: Record<string, unknown>;
    }
  | {
      /** A user-written {@link Network}: code, which a file cannot hold; `VAE.load` needs it passed again. */
      type: 'custom';
      /** Width of its output. */
      outputDim: number;
    };

/** The networks a loaded model needs from the caller (user-written ones), or replacements for saved ones. */
export interface NetworkLoadOptions {
  /** The encoder, for a model saved with a user-written encoder (a {@link Network} of the same architecture). */
  encoder?: Network | LayersModel;
  /** The decoder, likewise. */
  decoder?: Network | LayersModel;
}

/** The two roles a network plays in a VAE. */
export type NetworkRole = 'encoder' | 'decoder';

/** The training flag a VAE shares with its networks (switched by `setTraining`). */
export interface NetworkMode {
  /** Dropout active, batch statistics in batch normalization. */
  training: boolean;
}

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The network options of a `VAEConfig` (it extends this). */
export interface NetworkConfig {
  /**
   * The per-example shape of x as a user-written encoder reads it, e.g. `[28, 28, 1]` (its product is `inputDim`).
   * Data stays flat rows [n, inputDim] everywhere else (`fit`, `encode`, …, and what `decode` returns); it is
   * reshaped for the encoder only. Default: a `tf.LayersModel` encoder's own input shape, else `[inputDim]`.
   * The built-in MLP always reads flat rows.
   */
  inputShape?: readonly number[];
  /**
   * The encoder: hidden widths of the built-in MLP (the same as `encoderUnits`), a `tf.LayersModel`, or a
   * {@link Network}. Its features h [n, outputDim] go to the posterior head q(z|x). The VAE takes ownership of a
   * model or network given here: `dispose()` disposes it. Default: the MLP of `hiddenUnits`.
   */
  encoder?: NetworkOption;
  /**
   * The decoder, as `encoder`: it reads z [n, latentDim] (a `tf.LayersModel` decoder's input must hold latentDim
   * values) and its features go to the likelihood head p(x|z). With `covariates`, a user's decoder — and encoder with
   * `encodeCovariates` — also reads their feature block c [n, F]: a {@link Network} as `apply(x, { covariates: c })`,
   * a `tf.LayersModel` as its second input (`tf.model({ inputs: [z, c], … })`).
   */
  decoder?: NetworkOption;
  /** Written by `save` for an encoder that is not the MLP; give it only to rebuild a saved config. */
  encoderNetwork?: NetworkSpec;
  /** Written by `save` for a decoder that is not the MLP; give it only to rebuild a saved config. */
  decoderNetwork?: NetworkSpec;
}

/** What a resolved (saved) config holds of {@link NetworkConfig}: present only where it is not the default. */
export interface ResolvedNetworkConfig {
  /** The encoder's per-example input shape, when it is not flat. See {@link NetworkConfig.inputShape}. */
  inputShape?: number[];
  /** The encoder when it is not the built-in MLP. */
  encoderNetwork?: NetworkSpec;
  /** The decoder when it is not the built-in MLP. */
  decoderNetwork?: NetworkSpec;
}

/** Every key of {@link NetworkConfig}. */
export const NETWORK_CONFIG_KEYS = [
  'inputShape',
  'encoder',
  'decoder',
  'encoderNetwork',
  'decoderNetwork',
] as const satisfies readonly (keyof NetworkConfig)[];

/** The encoder's per-example input shape: `inputShape`, else a layers-model encoder's own, else [inputDim]. */
function resolveInputShape(config: NetworkConfig, inputDim: number, maxRank: number): number[] {
  const given = config.inputShape;
  if (given === undefined) {
    const own = isLayersModel(config.encoder) ? config.encoder.inputs[0]?.shape.slice(1) : undefined;
    return own && own.length > 1 && own.every((d) => typeof d === 'number') && product(own as number[]) === inputDim
      ? (own as number[])
      : [inputDim];
  }
  if (
    !Array.isArray(given) ||
    given.length < 1 ||
    given.length > maxRank ||
    given.some((d) => !Number.isInteger(d) || d < 1) ||
    product(given) !== inputDim
  ) {
    throw new ArgumentError(
      'inputShape',
      `VAE: "inputShape" must be 1 to ${maxRank} positive integers whose product is inputDim (${inputDim}), got ${JSON.stringify(given)?.slice(0, 80)}`,
    );
  }
  return [...given];
}

/**
 * Resolves the network options of a config: the MLP widths given as `encoder`/`decoder` (returned for the caller to
 * check as `encoderUnits`/`decoderUnits`), the specs of user networks (tfjs-layers' topology for a layers model), a
 * saved spec checked within `limits`, and the encoder's input shape. `parameters` counts the weights of saved
 * layers-model topologies (which loading allocates).
 * @throws ArgumentError naming the option.
 */
export function resolveNetworkConfig(
  config: NetworkConfig,
  inputDim: number,
  latentDim: number,
  limits: TopologyLimits,
): { resolved: ResolvedNetworkConfig; encoderUnits?: unknown; decoderUnits?: unknown; parameters: number } {
  const inputShape = resolveInputShape(config, inputDim, 8);
  // one object as both would share its weights: each step would update them twice, and dispose() free them twice
  if (config.encoder !== undefined && !Array.isArray(config.encoder) && config.encoder === config.decoder)
    throw new ArgumentError(
      'decoder',
      'VAE: "encoder" and "decoder" are the same network; give each its own (their weights would be one set, updated twice a step)',
    );
  const resolved: ResolvedNetworkConfig = inputShape.length > 1 ? { inputShape } : {};
  const units: { encoder?: unknown; decoder?: unknown } = {};
  let parameters = 0;
  for (const role of ['encoder', 'decoder'] as const) {
    const option = config[role];
    const saved = config[`${role}Network`];
    const shape = role === 'encoder' ? inputShape : [latentDim];
    if (option !== undefined && saved !== undefined && Array.isArray(option)) {
      throw new ArgumentError(role, `VAE: give "${role}" or "${role}Network", not both`);
    }
    if (Array.isArray(option)) {
      units[role] = option;
    } else if (option !== undefined) {
      suppliedNetwork(role, option, shape, { training: false }); // checks it (allocates nothing)
      const spec = networkSpec(option as Network | LayersModel);
      if (spec.type === 'layers-model') {
        // the checks save and load apply (layer classes varia can size, the limits), now: a model that only save
        // would refuse (a SimpleRNN, a custom class) was accepted and trained first
        try {
          checkNetworkSpec(spec, role, limits, product(shape));
        } catch (e) {
          throw new ArgumentError(role, `VAE: the ${role} model cannot be saved and loaded: ${(e as Error).message}`, {
            cause: e,
          });
        }
      }
      resolved[`${role}Network`] = spec;
    } else if (saved !== undefined) {
      try {
        parameters += checkNetworkSpec(saved, role, limits, product(shape));
      } catch (e) {
        throw new ArgumentError(`${role}Network`, `VAE: ${(e as Error).message}`);
      }
      resolved[`${role}Network`] = saved;
    }
  }
  return { resolved, encoderUnits: units.encoder, decoderUnits: units.decoder, parameters };
}

/** The {@link NetworkSpec} of a user network or model (the topology is tfjs-layers' own serialization). */
function networkSpec(network: Network | LayersModel): NetworkSpec {
  if (isLayersModel(network)) {
    const adapted = new LayersModelNetwork(network);
    return {
      type: 'layers-model',
      outputDim: adapted.outputDim,
      topology: network.toJSON(null, false) as Record<string, unknown>,
    };
  }
  return { type: 'custom', outputDim: network.outputDim };
}

/**
 * A user's network as a VAE applies it: flat rows x [n, D] are reshaped to [n, ...inputShape], the VAE's training
 * flag is passed on, and the output is checked to be [n, outputDim]. Owns the wrapped network.
 */
export class SuppliedNetwork implements Network {
  /** The user's network (a tf.LayersModel is wrapped in a `LayersModelNetwork`). */
  readonly inner: Network;
  /** The per-example shape the network reads. */
  readonly inputShape: readonly number[];
  readonly outputDim: number;

  /** Width F of the covariate features it reads (`options.covariates`), 0 when it reads none. */
  readonly covariateWidth: number;

  constructor(
    inner: Network,
    inputShape: readonly number[],
    private readonly mode: NetworkMode,
    private readonly role: NetworkRole,
    covariateWidth = 0,
  ) {
    this.inner = inner;
    this.inputShape = inputShape;
    this.outputDim = inner.outputDim;
    this.covariateWidth = covariateWidth;
  }

  /** h = f(x), or f(x, c) with c = `options.covariates` [n, F] when it reads covariates (dropped otherwise). */
  apply(x: tf.Tensor, options: NetworkApplyOptions = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const n = x.shape[0]!;
      const shaped = this.inputShape.length === 1 ? x : tf.reshape(x, [n, ...this.inputShape]);
      const { covariates, ...rest } = options;
      if (this.covariateWidth > 0 && covariates === undefined) {
        throw new Error(`unreachable: the ${this.role} reads covariates but none were given`);
      }
      const given = this.covariateWidth > 0 ? { covariates } : {};
      const h: unknown = this.inner.apply(shaped, { ...rest, ...given, training: this.mode.training });
      if (!(h instanceof tf.Tensor)) {
        throw new ShapeError(
          this.role,
          `VAE: the ${this.role} must return a tensor [${n}, ${this.outputDim}] (its outputDim), got ${h === null ? 'null' : typeof h}`,
        );
      }
      if (h.rank !== 2 || h.shape[0] !== n || h.shape[1] !== this.outputDim) {
        throw new ShapeError(
          this.role,
          `VAE: the ${this.role} must return [${n}, ${this.outputDim}] (its outputDim), got [${h.shape.join(', ')}]`,
        );
      }
      return h;
    });
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.checkedMap(this.inner.namedVariables(prefix), 'namedVariables');
  }

  stateVariables(prefix?: string): Map<string, tf.Variable> {
    return this.checkedMap(this.inner.stateVariables?.(prefix) ?? new Map(), 'stateVariables');
  }

  /** What the network's namedVariables or stateVariables gave, if it is a Map (else an ArgumentError naming the role). */
  private checkedMap(vars: unknown, method: string): Map<string, tf.Variable> {
    if (!(vars instanceof Map))
      throw new ArgumentError(
        this.role,
        `VAE: the ${this.role}'s ${method}() must return a Map<string, tf.Variable>, got ${Array.isArray(vars) ? 'an array' : typeof vars}`,
      );
    return vars as Map<string, tf.Variable>;
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/**
 * The user network given as `option` for `role`, ready for a VAE: a `tf.LayersModel` is adapted (its input must hold
 * `width` values per example: `inputDim` for the encoder, `latentDim` for the decoder); the built-in MLP (widths or
 * nothing) gives undefined. A network that reads covariates (`covariateWidth` F > 0) gets their feature block
 * c [n, F] as `apply(x, { covariates })`: a `tf.LayersModel` must then have a second input [null, F], which gets c
 * (`covariateWidth` undefined: not checked, as when a config is resolved before its covariates).
 * @throws ArgumentError for a value that is none of the accepted forms, or a model whose inputs do not fit.
 */
export function suppliedNetwork(
  role: NetworkRole,
  option: unknown,
  inputShape: readonly number[],
  mode: NetworkMode,
  covariateWidth?: number,
): SuppliedNetwork | undefined {
  if (option === undefined || Array.isArray(option)) return undefined;
  const inner = isLayersModel(option) ? new LayersModelNetwork(option) : option;
  if (!isNetwork(inner)) {
    throw new ArgumentError(
      role,
      `VAE: "${role}" must be hidden widths (number[]), a tf.LayersModel or a Network (apply, namedVariables, dispose, outputDim)`,
    );
  }
  if (!Number.isInteger(inner.outputDim) || inner.outputDim < 1) {
    throw new ArgumentError(role, `VAE: the ${role}'s "outputDim" must be a positive integer, got ${inner.outputDim}`);
  }
  if (inner instanceof LayersModelNetwork && product(inner.inputShape) !== product(inputShape)) {
    throw new ArgumentError(
      role,
      `VAE: the ${role} model reads [${inner.inputShape.join(', ')}] per example, but the ${role} input is [${inputShape.join(', ')}]`,
    );
  }
  if (covariateWidth !== undefined && inner instanceof LayersModelNetwork && inner.covariateWidth !== covariateWidth) {
    throw new ArgumentError(
      role,
      covariateWidth === 0
        ? `VAE: the ${role} model has a second input (covariates [null, ${inner.covariateWidth}]) but reads none here: declare "covariates"${role === 'encoder' ? ' with "encodeCovariates: true"' : ''}, or give it one input`
        : inner.covariateWidth === 0
          ? `VAE: the ${role} reads the covariate features c [n, ${covariateWidth}]: give the tf.LayersModel a second input, tf.model({ inputs: [x, tf.input({ shape: [${covariateWidth}] })], … }), and use it (e.g. tf.layers.concatenate)`
          : `VAE: the ${role} model's second input reads ${inner.covariateWidth} covariate features, but the covariates make ${covariateWidth}`,
    );
  }
  return new SuppliedNetwork(inner, inputShape, mode, role, covariateWidth ?? 0);
}

/**
 * Checks a saved {@link NetworkSpec} (from a config or a file) within `limits` — for a layers model, its topology by
 * `checkLayersTopology` — and returns its weight count (0 for a user network, whose weights its code makes).
 * @throws SerializationError naming the field.
 */
export function checkNetworkSpec(spec: unknown, role: NetworkRole, limits: TopologyLimits, width: number): number {
  const s = spec as Partial<Record<string, unknown>> | null;
  const what = `config "${role}Network"`;
  if (typeof s !== 'object' || s === null || (s.type !== 'layers-model' && s.type !== 'custom')) {
    throw new SerializationError(`${what} must be { type: 'layers-model' | 'custom', … }`);
  }
  const outputDim = s.outputDim;
  if (typeof outputDim !== 'number' || !Number.isInteger(outputDim) || outputDim < 1 || outputDim > limits.maxUnits) {
    throw new SerializationError(
      `${what}: "outputDim" must be an integer in [1, ${limits.maxUnits}], got ${JSON.stringify(outputDim)?.slice(0, 40)}`,
    );
  }
  if (s.type === 'custom') return 0;
  const summary = checkLayersTopology(s.topology, limits, `${what} topology`);
  if (product(summary.outputShape) !== outputDim || product(summary.inputShape) !== width) {
    throw new SerializationError(
      `${what}: the topology maps [${summary.inputShape.join(', ')}] to [${summary.outputShape.join(', ')}], expected ${width} values in and ${outputDim} out`,
    );
  }
  return summary.parameters;
}

/**
 * The networks `VAE.load` builds for a saved config: the caller's where given (`options`), else a layers model
 * deserialized from its saved topology by tfjs-layers (imported on demand: it is an optional peer dependency).
 * The caller owns what is returned.
 * @throws SerializationError when a user-written network is needed but not passed, or tfjs-layers cannot rebuild one.
 */
export async function networksForLoad(
  config: { encoderNetwork?: NetworkSpec; decoderNetwork?: NetworkSpec },
  options: NetworkLoadOptions,
): Promise<NetworkLoadOptions> {
  const out: NetworkLoadOptions = {};
  try {
    for (const role of ['encoder', 'decoder'] as const) {
      const spec = config[`${role}Network`];
      const given = options[role];
      if (given !== undefined) {
        if (!spec)
          throw new SerializationError(`the model was saved with the built-in MLP ${role}; do not pass "${role}"`);
        out[role] = given;
      } else if (spec?.type === 'custom') {
        throw new SerializationError(
          `the model was saved with a user-written ${role} (a Network, outputDim ${spec.outputDim}), which a file cannot hold: pass it, e.g. VAE.load(dir, { ${role}: my${role[0]!.toUpperCase()}${role.slice(1)} })`,
        );
      } else if (spec?.type === 'layers-model') {
        out[role] = await deserializeLayersModel(spec.topology, role);
      }
    }
  } catch (e) {
    for (const role of ['encoder', 'decoder'] as const) {
      const made = out[role];
      if (made && made !== options[role]) made.dispose();
    }
    throw e;
  }
  return out;
}

async function deserializeLayersModel(topology: Record<string, unknown>, role: NetworkRole): Promise<LayersModel> {
  let tfl: typeof import('@tensorflow/tfjs-layers');
  try {
    tfl = await import('@tensorflow/tfjs-layers');
  } catch (e) {
    throw new SerializationError(
      `the model's ${role} is a tf.LayersModel: install @tensorflow/tfjs-layers (or @tensorflow/tfjs) to load it`,
      { cause: e },
    );
  }
  // tfjs-layers creates each layer's weights as it builds it, synchronously (the promise only wraps the result): a
  // topology that fails halfway leaves the variables of the layers before it, and an initial value, which are freed
  // here. The scope ends before anything else can run; it frees the tensors (not variables) made in it.
  const registered = () => tf.engine().registeredVariables;
  const before = new Set(Object.keys(registered()));
  tf.engine().startScope();
  let built: Promise<LayersModel>;
  try {
    built = tfl.models.modelFromJSON({ modelTopology: topology } as Parameters<typeof tfl.models.modelFromJSON>[0]);
  } finally {
    tf.engine().endScope();
  }
  try {
    return await built;
  } catch (e) {
    for (const [name, variable] of Object.entries(registered())) if (!before.has(name)) variable.dispose();
    throw new SerializationError(`tfjs-layers could not rebuild the ${role}: ${(e as Error).message}`, { cause: e });
  }
}
