import * as tf from '@tensorflow/tfjs-core';
import { SerializationError } from '@varia/core';
import { type ResolvedVAEConfig } from './config.js';
import { FORMAT_VERSION, VERSION } from './version.js';

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
  /** Save-format version. */
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
  /** tfjs weights manifest: one group, stored in `weights.bin`. */
  weightsManifest: {
    /** The weight files, relative to model.json: `['weights.bin']`. */
    paths: string[];
    /** One entry per tensor, in buffer order. */
    weights: WeightSpec[];
  }[];
  /** Byte length of `weights.bin`. */
  weightsByteLength: number;
  /** FNV-1a 32-bit checksum of `weights.bin` (hex), tying the two files together. */
  weightsChecksum: string;
}

/** A model in memory: the JSON document and the weight bytes. */
export interface ModelArtifacts {
  /** The JSON document. */
  modelJson: SavedModelJson;
  /** The concatenated little-endian float32 weights, in manifest order. */
  weightData: ArrayBuffer;
}

/** FNV-1a 32-bit hash of the bytes, as 8 hex digits. */
export function fnv1a(data: ArrayBuffer): string {
  const bytes = new Uint8Array(data);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Serializes named float32 tensors into a manifest and one buffer (manifest order = map order). */
export async function encodeTensors(named: Map<string, tf.Tensor>): Promise<{ specs: WeightSpec[]; data: ArrayBuffer }> {
  const specs: WeightSpec[] = [];
  let total = 0;
  for (const [name, t] of named) {
    specs.push({ name, shape: [...t.shape], dtype: 'float32' });
    total += t.size * 4;
  }
  const out = new Float32Array(total / 4);
  let offset = 0;
  for (const t of named.values()) {
    const values = (await t.data()) as Float32Array;
    out.set(values, offset);
    offset += t.size;
  }
  return { specs, data: out.buffer };
}

/**
 * Checks a manifest against the expected names and shapes and the buffer's byte length, then splits the buffer.
 * @throws SerializationError naming the first mismatch.
 */
export function decodeTensorValues(
  specs: unknown,
  data: ArrayBuffer,
  expected: Map<string, readonly number[]>,
  what: string,
): Map<string, Float32Array> {
  if (!Array.isArray(specs)) throw new SerializationError(`${what}: the weights manifest is missing or not a list`);
  const seen = new Set<string>();
  let total = 0;
  for (const s of specs as WeightSpec[]) {
    if (typeof s?.name !== 'string' || !Array.isArray(s.shape)) throw new SerializationError(`${what}: malformed manifest entry ${JSON.stringify(s)}`);
    const want = expected.get(s.name);
    if (!want) throw new SerializationError(`${what}: unexpected weight "${s.name}" (not in the model)`);
    if (s.dtype !== 'float32') throw new SerializationError(`${what}: weight "${s.name}" has dtype ${s.dtype}, expected float32`);
    if (s.shape.length !== want.length || s.shape.some((d, i) => d !== want[i])) {
      throw new SerializationError(`${what}: weight "${s.name}" has shape [${s.shape.join(', ')}], the model expects [${want.join(', ')}]`);
    }
    if (seen.has(s.name)) throw new SerializationError(`${what}: weight "${s.name}" appears twice`);
    seen.add(s.name);
    total += want.reduce((a, b) => a * b, 1) * 4;
  }
  for (const name of expected.keys()) {
    if (!seen.has(name)) throw new SerializationError(`${what}: weight "${name}" is missing`);
  }
  if (data.byteLength !== total) {
    throw new SerializationError(`${what}: weight data has ${data.byteLength} bytes, the manifest needs ${total} (truncated or corrupt)`);
  }
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const s of specs as WeightSpec[]) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    out.set(s.name, new Float32Array(data.slice(offset * 4, (offset + size) * 4)));
    offset += size;
  }
  return out;
}

/** Builds the artifacts of a model from its config and variables. */
export async function modelToArtifacts(config: ResolvedVAEConfig, variables: Map<string, tf.Variable>): Promise<ModelArtifacts> {
  const { specs, data } = await encodeTensors(variables);
  return {
    modelJson: {
      format: 'varia-vae',
      formatVersion: FORMAT_VERSION,
      versions: { vae: VERSION, tfjsCore: tf.version_core },
      config,
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
      weightsByteLength: data.byteLength,
      weightsChecksum: fnv1a(data),
    },
    weightData: data,
  };
}

/** A model that can be filled from artifacts. */
interface Loadable {
  namedVariables(): Map<string, tf.Variable>;
  dispose(): void;
}

/**
 * Validates artifacts and builds the model with `build(config)`, then assigns the weights. Any problem disposes the
 * half-built model and throws a {@link SerializationError}.
 */
export async function loadArtifacts<M extends Loadable>(artifacts: ModelArtifacts, build: (config: ResolvedVAEConfig) => M): Promise<M> {
  const json = artifacts?.modelJson as Partial<SavedModelJson> | undefined;
  if (!json || json.format !== 'varia-vae') {
    throw new SerializationError(`not a varia VAE: "format" is ${JSON.stringify(json?.format)}, expected "varia-vae"`);
  }
  if (json.formatVersion !== FORMAT_VERSION) {
    throw new SerializationError(`unsupported formatVersion ${JSON.stringify(json.formatVersion)}; this build reads ${FORMAT_VERSION}`);
  }
  const data = artifacts.weightData;
  if (!(data instanceof ArrayBuffer)) throw new SerializationError('weight data is missing');
  if (json.weightsByteLength !== data.byteLength) {
    throw new SerializationError(`weights.bin has ${data.byteLength} bytes, model.json records ${json.weightsByteLength} (truncated or from another save)`);
  }
  if (json.weightsChecksum !== fnv1a(data)) {
    throw new SerializationError('weights.bin does not match the checksum in model.json (corrupt, or from another save)');
  }
  let model: M;
  try {
    model = build(json.config as ResolvedVAEConfig);
  } catch (e) {
    throw new SerializationError(`invalid config in model.json: ${(e as Error).message}`, { cause: e });
  }
  try {
    const variables = model.namedVariables();
    const expected = new Map([...variables].map(([k, v]) => [k, v.shape] as const));
    const values = decodeTensorValues(json.weightsManifest?.[0]?.weights, data, expected, 'model.json');
    tf.tidy(() => {
      for (const [name, v] of variables) v.assign(tf.tensor(values.get(name)!, v.shape, 'float32'));
    });
    return model;
  } catch (e) {
    model.dispose();
    if (e instanceof SerializationError) throw e;
    throw new SerializationError(`could not load the weights: ${(e as Error).message}`, { cause: e });
  }
}

type NodeFs = typeof import('node:fs/promises');
type NodePath = typeof import('node:path');

async function nodeModules(): Promise<{ fs: NodeFs; path: NodePath }> {
  try {
    const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
    return { fs, path };
  } catch (e) {
    throw new SerializationError('saving to or loading from a directory needs Node.js; in the browser use toArtifacts/fromArtifacts', { cause: e });
  }
}

/** Writes `contents` to `file` atomically: a temporary file in the same directory, then a rename. */
export async function writeFileAtomic(file: string, contents: Uint8Array | string): Promise<void> {
  const { fs } = await nodeModules();
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await fs.writeFile(tmp, contents);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new SerializationError(`could not write ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Writes `model.json` and `weights.bin` into `dir` (created if needed), each atomically; weights first. */
export async function writeModelDir(dir: string, artifacts: ModelArtifacts): Promise<void> {
  const { fs, path } = await nodeModules();
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData));
  await writeFileAtomic(path.join(dir, 'model.json'), `${JSON.stringify(artifacts.modelJson, null, 2)}\n`);
}

/** Reads `model.json` and `weights.bin` from `dir`. @throws SerializationError when missing or unparsable. */
export async function readModelDir(dir: string): Promise<ModelArtifacts> {
  const { fs, path } = await nodeModules();
  let text: string;
  let bytes: Uint8Array;
  try {
    text = await fs.readFile(path.join(dir, 'model.json'), 'utf8');
    bytes = await fs.readFile(path.join(dir, 'weights.bin'));
  } catch (e) {
    throw new SerializationError(`could not read the model in ${dir}: ${(e as Error).message}`, { cause: e });
  }
  let modelJson: SavedModelJson;
  try {
    modelJson = JSON.parse(text) as SavedModelJson;
  } catch (e) {
    throw new SerializationError(`${path.join(dir, 'model.json')} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { modelJson, weightData };
}
