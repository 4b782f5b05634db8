import { SerializationError } from '@varia/core';
import { HEAD_PARAMETERS } from '@varia/layers';
import { savedCovariateWeights } from './covariates.js';
import { LIKELIHOODS, type ResolvedVAEConfig } from './config.js';
import { checkNetworkSpec } from './networks.js';
import { sha256Hex } from './sha256.js';
import { FORMAT_VERSION } from './version.js';

/** One tensor's entry in a weights manifest (the tfjs weights format). */
export interface WeightSpec {
  /** Stable variable name, e.g. `encoder/0/kernel`. */
  name: string;
  /** Shape. */
  shape: number[];
  /** Always `float32` here. */
  dtype: 'float32';
}

/** The JSON half of a saved model (`model.json`). */
export interface SavedModelJson {
  /** Always `"varia-vae"`. */
  format: 'varia-vae';
  /** Save-format version (2 since the checksum covers the whole model; 1 is still read). */
  formatVersion: number;
  /** Versions that wrote the file. */
  versions: {
    /** `@varia/vae`'s version. */
    vae: string;
    /** `@tensorflow/tfjs-core`'s version. */
    tfjsCore: string;
  };
  /** The architecture. */
  config: ResolvedVAEConfig;
  /** tfjs weights manifest: one group, stored in one weight file. */
  weightsManifest: {
    /** The weight file, relative to model.json: `['weights-<hash>.bin']` in a saved directory. */
    paths: string[];
    /** One entry per tensor, in buffer order. */
    weights: WeightSpec[];
  }[];
  /** Byte length of the weight file. */
  weightsByteLength: number;
  /**
   * SHA-256 (hex) of `canonicalJson` (sorted keys, no spaces) of this document without `checksum` and without the
   * manifest's `paths`, then one newline byte, then the weight bytes: config, manifest and weights are tied together.
   */
  checksum?: string;
  /** Format 1 only: FNV-1a 32-bit checksum of the weights alone (read for old files, never written). */
  weightsChecksum?: string;
}

/** A model in memory: the JSON document and the weight bytes. */
export interface ModelArtifacts {
  /** The JSON document. */
  modelJson: SavedModelJson;
  /** The concatenated little-endian float32 weights, in manifest order. */
  weightData: ArrayBuffer;
}

/**
 * Limits on a model file, checked before anything is allocated so that a hostile or corrupt file fails fast and small.
 * A model's config must also be consistent with its weights: every hidden width, and the sum of the sizes of the
 * dense kernels the config implies, is at most the number of parameters in the weight file.
 */
export const MODEL_LIMITS = {
  /** Most float32 parameters in a model (2^28, 1 GiB of weights). */
  maxParameters: 2 ** 28,
  /** Most tensors in a weights manifest. */
  maxTensors: 4096,
  /** Most hidden layers in the encoder or the decoder. */
  maxLayers: 256,
  /** Most dimensions of one tensor. */
  maxRank: 8,
  /** Largest `model.json`, in bytes (16 MiB). */
  maxJsonBytes: 16 * 2 ** 20,
  /** A saved `tf.LayersModel` topology: the largest kernel, stride, pool or upsampling size along one axis. */
  maxKernelSize: 64,
  /** A saved topology: the most values one example occupies at any layer's output (2²⁴). */
  maxActivationValues: 2 ** 24,
  /** A saved topology: the deepest nesting of models inside models. */
  maxNetworkDepth: 4,
} as const;

/** FNV-1a 32-bit hash of the bytes, as 8 hex digits (format 1's weights checksum; checkpoints of format 1). */
export function fnv1a(data: ArrayBuffer): string {
  const bytes = new Uint8Array(data);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** JSON with object keys sorted at every level: equal values give equal text, whatever the key order in a file. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The format-2 checksum of a document and its weights (see {@link SavedModelJson.checksum}). */
export function modelChecksum(modelJson: SavedModelJson, weightData: ArrayBuffer): string {
  const { checksum: _checksum, weightsManifest, ...rest } = modelJson;
  const covered = {
    ...rest,
    weightsManifest: Array.isArray(weightsManifest)
      ? weightsManifest.map((g) => ({ ...g, paths: undefined }))
      : weightsManifest,
  };
  return sha256Hex(canonicalJson(covered), '\n', weightData);
}

/** The file name a saved directory uses for the weights: content-addressed, so a new save never overwrites the old. */
export function weightFileName(checksum: string): string {
  return `weights-${checksum.slice(0, 16)}.bin`;
}

const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The varia document inside a parsed `model.json`: the document itself (varia's layout), or its `modelTopology` (tfjs'
 * layout, as tfjs' `http://` and `downloads://` handlers write it) with the weight file its manifest names.
 * @throws SerializationError when tfjs' manifest names a file outside the directory.
 */
export function unwrapDocument(parsed: unknown): { document: unknown; weightFile?: string } {
  if (!isObject(parsed) || !isObject(parsed.modelTopology) || parsed.modelTopology.format !== 'varia-vae')
    return { document: parsed };
  const groups = parsed.weightsManifest;
  const path =
    Array.isArray(groups) && isObject(groups[0]) && Array.isArray(groups[0].paths) ? groups[0].paths[0] : undefined;
  if (path === undefined) return { document: parsed.modelTopology };
  const file = typeof path === 'string' ? path.replace(/^\.\//, '') : '';
  if (!SAFE_FILE_NAME.test(file))
    throw new SerializationError(
      `model.json: the manifest's "paths" must name one weight file in the same directory, got ${JSON.stringify(path)?.slice(0, 120)}`,
    );
  return { document: parsed.modelTopology, weightFile: file };
}

/** What {@link checkModelJson} found: the manifest and the weight file's expected name and size. */
export interface CheckedModelJson {
  /** The document (now known to be well-formed). */
  json: SavedModelJson;
  /** The manifest's tensors. */
  specs: WeightSpec[];
  /** The weight file named by the manifest. */
  weightFile: string;
  /** Total bytes of the weights (4 × parameters). */
  byteLength: number;
}

/**
 * Checks a parsed `model.json` before anything is read or allocated: format and version, the manifest (names, ranks,
 * positive integer dimensions, totals within {@link MODEL_LIMITS}), the recorded byte length against the manifest,
 * and the config's sizes against the number of parameters.
 * @throws SerializationError naming the first problem.
 */
export function checkModelJson(value: unknown, what = 'model.json'): CheckedModelJson {
  if (!isObject(value) || value.format !== 'varia-vae') {
    throw new SerializationError(
      `${what}: not a varia VAE: "format" is ${JSON.stringify(isObject(value) ? value.format : value)?.slice(0, 80)}, expected "varia-vae"`,
    );
  }
  if (value.formatVersion !== FORMAT_VERSION && value.formatVersion !== 1) {
    throw new SerializationError(
      `${what}: unsupported formatVersion ${JSON.stringify(value.formatVersion)?.slice(0, 40)}; this build reads 1 and ${FORMAT_VERSION}`,
    );
  }
  const groups = value.weightsManifest;
  if (!Array.isArray(groups) || groups.length !== 1 || !isObject(groups[0])) {
    throw new SerializationError(`${what}: "weightsManifest" must be a list of one group`);
  }
  const { paths, weights } = groups[0];
  if (!Array.isArray(paths) || paths.length !== 1 || typeof paths[0] !== 'string' || !SAFE_FILE_NAME.test(paths[0])) {
    throw new SerializationError(
      `${what}: the manifest's "paths" must name one weight file in the same directory, got ${JSON.stringify(paths)?.slice(0, 120)}`,
    );
  }
  if (!Array.isArray(weights) || weights.length === 0 || weights.length > MODEL_LIMITS.maxTensors) {
    throw new SerializationError(`${what}: the manifest must list 1 to ${MODEL_LIMITS.maxTensors} tensors`);
  }
  let parameters = 0;
  for (const spec of weights as unknown[]) {
    const s = spec as Partial<WeightSpec> | null;
    if (
      !isObject(s) ||
      typeof s.name !== 'string' ||
      s.name.length > 256 ||
      !Array.isArray(s.shape) ||
      s.shape.length > MODEL_LIMITS.maxRank
    ) {
      throw new SerializationError(`${what}: malformed manifest entry ${JSON.stringify(spec)?.slice(0, 200)}`);
    }
    if (s.dtype !== 'float32')
      throw new SerializationError(
        `${what}: weight "${s.name}" has dtype ${JSON.stringify(s.dtype)}, expected float32`,
      );
    let size = 1;
    for (const d of s.shape as unknown[]) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MODEL_LIMITS.maxParameters) {
        throw new SerializationError(
          `${what}: weight "${s.name}" has an invalid dimension ${JSON.stringify(d)} in its shape`,
        );
      }
      size *= d;
    }
    parameters += size;
    if (parameters > MODEL_LIMITS.maxParameters) {
      throw new SerializationError(
        `${what}: the manifest declares more than ${MODEL_LIMITS.maxParameters} parameters (MODEL_LIMITS.maxParameters)`,
      );
    }
  }
  const byteLength = parameters * 4;
  if (value.weightsByteLength !== byteLength) {
    throw new SerializationError(
      `${what}: "weightsByteLength" is ${JSON.stringify(value.weightsByteLength)}, the manifest needs ${byteLength} bytes`,
    );
  }
  checkConfigSizes(value.config, parameters, what);
  return { json: value as unknown as SavedModelJson, specs: weights as WeightSpec[], weightFile: paths[0], byteLength };
}

/**
 * Checks the sizes in a saved config against the parameter count P of the weights: each width is a positive integer
 * ≤ P, and the dense kernels the config implies (input → encoder widths → latent, latent → decoder widths → output)
 * hold at most P numbers together — so building the model allocates O(P), whatever the file says.
 */
function checkConfigSizes(config: unknown, parameters: number, what: string): void {
  if (!isObject(config)) throw new SerializationError(`${what}: "config" must be an object`);
  if ('hiddenUnits' in config)
    throw new SerializationError(`${what}: a saved config has "encoderUnits" and "decoderUnits", not "hiddenUnits"`);
  const width = (name: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > parameters) {
      throw new SerializationError(
        `${what}: config "${name}" must be a positive integer no larger than the weights' ${parameters} parameters, got ${JSON.stringify(v)?.slice(0, 40)}`,
      );
    }
    return v;
  };
  const widths = (name: string, v: unknown): number[] => {
    if (!Array.isArray(v) || v.length > MODEL_LIMITS.maxLayers) {
      throw new SerializationError(
        `${what}: config "${name}" must be a list of at most ${MODEL_LIMITS.maxLayers} widths`,
      );
    }
    return v.map((u, i) => width(`${name}[${i}]`, u));
  };
  const inputDim = width('inputDim', config.inputDim);
  const latentDim = width('latentDim', config.latentDim);
  // A saved tf.LayersModel's topology is bounded like the rest (layers, units, kernels, activations), and its exact
  // weight count joins the kernels: tfjs-layers allocates them when it rebuilds the model.
  let networkWeights = 0;
  const limits = {
    maxLayers: MODEL_LIMITS.maxLayers,
    maxUnits: parameters,
    maxKernelSize: MODEL_LIMITS.maxKernelSize,
    maxActivationValues: MODEL_LIMITS.maxActivationValues,
    maxParameters: parameters,
    maxDepth: MODEL_LIMITS.maxNetworkDepth,
  };
  const networkOut = (role: 'encoder' | 'decoder', width: number): number | undefined => {
    const spec = config[`${role}Network`];
    if (spec === undefined) return undefined;
    networkWeights += checkNetworkSpec(spec, role, limits, width);
    return (spec as { outputDim: number }).outputDim;
  };
  if (config.inputShape !== undefined) {
    const shape = config.inputShape;
    if (
      !Array.isArray(shape) ||
      shape.length > MODEL_LIMITS.maxRank ||
      shape.reduce((a, d) => a * width('inputShape', d), 1) !== inputDim
    )
      throw new SerializationError(`${what}: config "inputShape" must be positive integers whose product is inputDim`);
  }
  const encoderOut = networkOut('encoder', inputDim);
  const encoder =
    encoderOut === undefined
      ? [inputDim, ...widths('encoderUnits', config.encoderUnits), latentDim]
      : [encoderOut, latentDim];
  // A custom likelihood's head is user code: only the built-in heads are known to map the last width to inputDim.
  const decoderOut = networkOut('decoder', latentDim);
  const decoder = decoderOut === undefined ? [latentDim, ...widths('decoderUnits', config.decoderUnits)] : [decoderOut];
  if (typeof config.likelihood !== 'string')
    throw new SerializationError(`${what}: config "likelihood" must be a name`);
  // (a direct head has no layers: the decoder's output is the parameter block)
  if (config.likelihoodHead !== undefined && !(HEAD_PARAMETERS as readonly unknown[]).includes(config.likelihoodHead))
    throw new SerializationError(`${what}: config "likelihoodHead" must be ${HEAD_PARAMETERS.join(' or ')}`);
  if ((LIKELIHOODS as readonly string[]).includes(config.likelihood) && config.likelihoodHead !== 'direct')
    decoder.push(inputDim);
  let kernels = networkWeights;
  for (const chain of [encoder, decoder]) {
    for (let i = 1; i < chain.length; i++) kernels += chain[i - 1]! * chain[i]!;
  }
  if (isObject(config.prior) && 'mixture' in config.prior)
    kernels += width('prior.mixture', config.prior.mixture) * latentDim;
  // a conditional model's embedding tables and the covariate rows of its decoder's first layer (a user's decoder
  // reads the covariates through its own input, counted with its topology)
  kernels += savedCovariateWeights(config.covariates, decoderOut === undefined ? (decoder[1] ?? 0) : 0);
  if (kernels > parameters) {
    throw new SerializationError(
      `${what}: the config describes layers with ${kernels} weights, but the weight file holds only ${parameters} parameters`,
    );
  }
}

/**
 * Checks the weight bytes against a checked document: byte length, then the checksum (format 2: SHA-256 over config,
 * manifest and weights; format 1: FNV-1a over the weights).
 * @throws SerializationError when they do not belong together.
 */
export function checkWeightData(checked: CheckedModelJson, data: unknown, what = 'model.json'): ArrayBuffer {
  if (!(data instanceof ArrayBuffer))
    throw new SerializationError(`${what}: the weight data is missing (expected an ArrayBuffer)`);
  if (data.byteLength !== checked.byteLength) {
    throw new SerializationError(
      `${what}: the weight data has ${data.byteLength} bytes, the manifest needs ${checked.byteLength} (truncated, or from another save)`,
    );
  }
  const { json } = checked;
  if (json.formatVersion === 1) {
    if (json.weightsChecksum !== fnv1a(data))
      throw new SerializationError(
        `${what}: the weights do not match the checksum in the file (corrupt, or from another save)`,
      );
  } else if (typeof json.checksum !== 'string' || json.checksum !== modelChecksum(json, data)) {
    throw new SerializationError(
      `${what}: the checksum over config, manifest and weights does not match (the file was edited or is corrupt)`,
    );
  }
  return data;
}
