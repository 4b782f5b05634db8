import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, SerializationError } from '@varia/core';
import { commitFiles } from './atomic-write.js';
import type { ResolvedVAEConfig } from './config.js';
import { assertWritableDestination, destinationError } from './destination.js';
import {
  checkModelJson,
  checkWeightData,
  MODEL_LIMITS,
  type ModelArtifacts,
  modelChecksum,
  type SavedModelJson,
  type WeightSpec,
  unwrapDocument,
  weightFileName,
} from './model-format.js';
import { nodeFs, readFileLimited } from './node-fs.js';
import { FORMAT_VERSION, VERSION } from './version.js';

export type { ModelArtifacts, SavedModelJson, WeightSpec } from './model-format.js';

/** Serializes named float32 tensors into a manifest and one buffer (manifest order = map order). */
export async function encodeTensors(
  named: Map<string, tf.Tensor>,
): Promise<{ specs: WeightSpec[]; data: ArrayBuffer }> {
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
    if (typeof s?.name !== 'string' || !Array.isArray(s.shape))
      throw new SerializationError(`${what}: malformed manifest entry ${JSON.stringify(s)}`);
    const want = expected.get(s.name);
    if (!want) throw new SerializationError(`${what}: unexpected weight "${s.name}" (not in the model)`);
    if (s.dtype !== 'float32')
      throw new SerializationError(`${what}: weight "${s.name}" has dtype ${s.dtype}, expected float32`);
    if (s.shape.length !== want.length || s.shape.some((d, i) => d !== want[i])) {
      throw new SerializationError(
        `${what}: weight "${s.name}" has shape [${s.shape.join(', ')}], the model expects [${want.join(', ')}]`,
      );
    }
    if (seen.has(s.name)) throw new SerializationError(`${what}: weight "${s.name}" appears twice`);
    seen.add(s.name);
    total += want.reduce((a, b) => a * b, 1) * 4;
  }
  for (const name of expected.keys()) {
    if (!seen.has(name)) throw new SerializationError(`${what}: weight "${name}" is missing`);
  }
  if (data.byteLength !== total) {
    throw new SerializationError(
      `${what}: weight data has ${data.byteLength} bytes, the manifest needs ${total} (truncated or corrupt)`,
    );
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

/** Builds the artifacts of a model from its config and variables (weight file named `weights.bin` in memory). */
export async function modelToArtifacts(
  config: ResolvedVAEConfig,
  variables: Map<string, tf.Variable>,
): Promise<ModelArtifacts> {
  const { specs, data } = await encodeTensors(variables);
  const modelJson: SavedModelJson = {
    format: 'varia-vae',
    formatVersion: FORMAT_VERSION,
    versions: { vae: VERSION, tfjsCore: tf.version_core },
    config,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    weightsByteLength: data.byteLength,
  };
  modelJson.checksum = modelChecksum(modelJson, data);
  return { modelJson, weightData: data };
}

/** A model that can be filled from artifacts: its trainable variables and its state (batch-norm statistics). */
interface Loadable {
  namedVariables(): Map<string, tf.Variable>;
  stateVariables?(): Map<string, tf.Variable>;
  dispose(): void;
}

/**
 * Validates artifacts and builds the model with `build(config)`, then assigns the weights. Any problem disposes the
 * half-built model and throws a {@link SerializationError}.
 */
export async function loadArtifacts<M extends Loadable>(
  artifacts: ModelArtifacts,
  build: (config: ResolvedVAEConfig) => M | Promise<M>,
): Promise<M> {
  // Everything about the file is checked before the model is built: nothing is allocated for a bad file.
  const checked = checkModelJson((artifacts as Partial<ModelArtifacts> | undefined)?.modelJson);
  const data = checkWeightData(checked, (artifacts as Partial<ModelArtifacts> | undefined)?.weightData);
  const json = checked.json;
  let model: M;
  try {
    model = await build(json.config as ResolvedVAEConfig);
  } catch (e) {
    if (e instanceof SerializationError) throw e;
    throw new SerializationError(`invalid config in model.json: ${(e as Error).message}`, { cause: e });
  }
  try {
    const variables = new Map([...model.namedVariables(), ...(model.stateVariables?.() ?? [])]);
    const expected = new Map([...variables].map(([k, v]) => [k, v.shape] as const));
    const values = decodeTensorValues(checked.specs, data, expected, 'model.json');
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

/** Weight files this module writes (content-addressed) and may remove once no `model.json` names them. */
const HASHED_WEIGHT_FILE = /^weights-[0-9a-f]{16}\.bin$/;

/**
 * Saves a model into directory `dir` (created if needed), crash-safely: the weights go to a new content-addressed
 * file `weights-<hash>.bin` (written to a temporary file, fsync'd, renamed, directory fsync'd), then `model.json` —
 * naming that file — replaces the old one by one rename (the commit), then the previous weight file and temporary
 * files of crashed saves are removed (a journal written before the first rename lists them; other files in `dir`,
 * such as a stray `weights-<hash>.bin` no save wrote, are left alone). A kill at any instant leaves the previous
 * model or the new one.
 * @throws ArgumentError naming `dir` when it cannot be written (a file in the way, no permission); SerializationError
 *   for other write failures.
 */
export async function writeModelDir(dir: string, artifacts: ModelArtifacts): Promise<void> {
  await assertWritableDestination(dir, { argument: 'dir' });
  const { fs, path } = await nodeFs();
  const { modelJson, weightData } = artifacts;
  const weightFile = weightFileName(modelJson.checksum ?? modelChecksum(modelJson, weightData));
  const document = {
    ...modelJson,
    weightsManifest: modelJson.weightsManifest.map((g) => ({ ...g, paths: [weightFile] })),
  };
  // A directory saved by format 1 keeps its weights in `weights.bin`: remove it once the new model.json is in place.
  let previousFile: string | undefined;
  try {
    previousFile = (JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as SavedModelJson)
      .weightsManifest[0]?.paths[0];
  } catch {
    previousFile = undefined;
  }
  try {
    await commitFiles(
      dir,
      [{ name: weightFile, bytes: new Uint8Array(weightData) }],
      { name: 'model.json', bytes: `${JSON.stringify(document, null, 2)}\n` },
      {
        removable: (name) =>
          HASHED_WEIGHT_FILE.test(name) || (name === 'weights.bin' && previousFile === 'weights.bin'),
        // only weight files a save wrote or replaced are removed, never a stray file that merely looks like one
        referencedBy: (text) => (JSON.parse(text) as SavedModelJson).weightsManifest.flatMap((group) => group.paths),
      },
    );
  } catch (e) {
    throw destinationError(e, dir, 'dir', 'save the model to');
  }
}

/**
 * Reads a saved model from `dir` — a directory holding `model.json`, or the path of a `.json` file (e.g. the
 * `<name>.json` of tfjs' `downloads://`) — and the weight file it names next to it, checking the document, the limits
 * and the file size before reading the weights. @throws SerializationError when missing, too large, unparsable or
 * inconsistent.
 */
export async function readModelDir(dir: string): Promise<ModelArtifacts> {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new ArgumentError('dir', `load: "dir" must be a non-empty path, got ${JSON.stringify(dir)}`);
  const { fs, path } = await nodeFs();
  const isJsonFile =
    dir.endsWith('.json') &&
    (await fs.stat(dir).then(
      (s) => s.isFile(),
      () => false,
    ));
  const jsonFile = isJsonFile ? dir : path.join(dir, 'model.json');
  const text = new TextDecoder().decode(await readFileLimited(jsonFile, MODEL_LIMITS.maxJsonBytes));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SerializationError(`${jsonFile} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const { document, weightFile } = unwrapDocument(parsed);
  const checked = checkModelJson(document, jsonFile);
  const bytes = await readFileLimited(
    path.join(path.dirname(jsonFile), weightFile ?? checked.weightFile),
    checked.byteLength,
    checked.byteLength,
  );
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { modelJson: checked.json, weightData };
}
