import * as tf from '@tensorflow/tfjs-core';
import { SerializationError } from '@varia/core';
import type { TrainingState } from './trainer/training-state.js';
import { assertResumable } from './resume-fingerprint.js';
import { commitFiles } from './atomic-write.js';
import { destinationError } from './destination.js';
import { fnv1a, MODEL_LIMITS } from './model-format.js';
import { nodeFs, readFileLimited } from './node-fs.js';
import { decodeTensorValues, encodeTensors } from './serialization.js';

/**
 * Checkpoint layout (a directory):
 * - `checkpoint.json`: training state (epoch, step, history, best), the option fingerprint, and manifests;
 * - `weights-<id>.bin`: model weights; `optimizer-<id>.bin`: Adam's moments; `best-<id>.bin`: best weights (early
 *   stopping), all float32 little-endian in manifest order, under names new to each checkpoint (recorded in the JSON,
 *   with each file's checksum). The binaries are written durably first; the rename of `checkpoint.json` commits the
 *   checkpoint; the previous checkpoint's binaries are removed after it. A kill at any instant leaves the previous
 *   checkpoint or the new one (checkpoints of the first layout, `weights.bin` …, are still read).
 */
interface CheckpointJson {
  format: 'varia-checkpoint';
  formatVersion: 1;
  state: TrainingState;
  weights: { specs: { name: string; shape: number[]; dtype: 'float32' }[]; checksum: string; file?: string };
  optimizer: {
    iterations: number;
    slots: string[];
    checksum: string;
    specs: { name: string; shape: number[]; dtype: 'float32' }[];
    file?: string;
  };
  best?: { checksum: string; specs: { name: string; shape: number[]; dtype: 'float32' }[]; file?: string };
}

/** Binaries of a checkpoint directory: `<part>-<16 hex>.bin`, or the first layout's `<part>.bin`. */
const CHECKPOINT_FILE = /^(weights|optimizer|best)(-[0-9a-f]{16})?\.bin$/;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A fresh file name for one part of a checkpoint. */
function partFile(part: 'weights' | 'optimizer' | 'best'): string {
  const id = Array.from({ length: 2 }, () =>
    Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0'),
  ).join('');
  return `${part}-${id}.bin`;
}

/** Adam's state with slot names mapped from tfjs' run-specific variable names to the model's stable names. */
async function optimizerState(
  optimizer: tf.Optimizer,
  variables: ReadonlyMap<string, tf.Variable>,
): Promise<{ iterations: number; named: Map<string, tf.Tensor> }> {
  const stableByRuntime = new Map([...variables].map(([stable, v]) => [v.name, stable]));
  const weights = await optimizer.getWeights();
  const [iter, ...slots] = weights;
  // getWeights() makes a new scalar for the iteration count (the slots are the optimizer's own variables): free it.
  const iterations = iter ? (await iter.tensor.data())[0]! : 0;
  iter?.tensor.dispose();
  const named = new Map<string, tf.Tensor>();
  for (const w of slots) {
    const slash = w.name.lastIndexOf('/');
    const runtime = w.name.slice(0, slash);
    const stable = stableByRuntime.get(runtime);
    if (!stable) throw new SerializationError(`optimizer slot "${w.name}" belongs to no model variable`);
    named.set(`${stable}${w.name.slice(slash)}`, w.tensor);
  }
  return { iterations, named };
}

/** Options of {@link writeCheckpoint} and {@link restoreCheckpoint}. */
export interface CheckpointExtras {
  /** Non-trainable state saved and restored with the weights (no optimizer moments): baselines, batch-norm statistics. */
  stateVariables?: ReadonlyMap<string, tf.Variable>;
  /** The option naming the directory in errors; default `'checkpointDir'`. */
  argument?: string;
}

/** The trained variables and the state variables, in one map (names are disjoint). */
function allWeights(variables: ReadonlyMap<string, tf.Variable>, extras: CheckpointExtras): Map<string, tf.Variable> {
  return new Map([...variables, ...(extras.stateVariables ?? [])]);
}

/**
 * Writes a checkpoint of the model (trained `variables` and `extras.stateVariables`), the optimizer's moments of the
 * trained variables and the training state into `dir`.
 */
export async function writeCheckpoint(
  dir: string,
  variables: ReadonlyMap<string, tf.Variable>,
  optimizer: tf.Optimizer,
  state: TrainingState,
  bestWeights?: Map<string, tf.Tensor>,
  extras: CheckpointExtras = {},
): Promise<void> {
  const argument = extras.argument ?? 'checkpointDir';
  const weights = await encodeTensors(allWeights(variables, extras));
  const opt = await optimizerState(optimizer, variables);
  const optEncoded = await encodeTensors(opt.named);
  const files = [
    { name: partFile('weights'), bytes: new Uint8Array(weights.data) },
    { name: partFile('optimizer'), bytes: new Uint8Array(optEncoded.data) },
  ];
  const json: CheckpointJson = {
    format: 'varia-checkpoint',
    formatVersion: 1,
    state,
    weights: { specs: weights.specs, checksum: fnv1a(weights.data), file: files[0]!.name },
    optimizer: {
      iterations: opt.iterations,
      slots: [...opt.named.keys()],
      checksum: fnv1a(optEncoded.data),
      specs: optEncoded.specs,
      file: files[1]!.name,
    },
  };
  if (bestWeights) {
    const best = await encodeTensors(bestWeights);
    files.push({ name: partFile('best'), bytes: new Uint8Array(best.data) });
    json.best = { specs: best.specs, checksum: fnv1a(best.data), file: files[2]!.name };
  }
  try {
    await commitFiles(
      dir,
      files,
      { name: 'checkpoint.json', bytes: `${JSON.stringify(json, null, 1)}\n` },
      { removable: (name) => CHECKPOINT_FILE.test(name) },
    );
  } catch (e) {
    throw destinationError(e, dir, argument, 'write a checkpoint to');
  }
}

/** The file of one checkpoint part: the name recorded in the JSON, or the first layout's fixed name. */
function recordedFile(dir: string, section: { file?: unknown }, fallback: string): string {
  if (section.file === undefined) return fallback;
  if (typeof section.file !== 'string' || !SAFE_NAME.test(section.file)) {
    throw new SerializationError(
      `${dir}/checkpoint.json names an invalid file ${JSON.stringify(section.file)?.slice(0, 80)}`,
    );
  }
  return section.file;
}

/** Reads one binary of a checkpoint, refusing from its size alone a file larger than the model needs. */
async function readBinary(file: string, checksum: string, maxBytes: number): Promise<ArrayBuffer> {
  const bytes = await readFileLimited(file, maxBytes);
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (fnv1a(data) !== checksum)
    throw new SerializationError(`${file} does not match the checksum in checkpoint.json (corrupt or torn checkpoint)`);
  return data;
}

/**
 * Restores weights (trained `variables` and `extras.stateVariables`) and the optimizer state from a checkpoint and
 * returns its training state. Validates everything before assigning anything.
 * @throws SerializationError for a corrupt or mismatched checkpoint; ArgumentError when the run's options differ.
 */
export async function restoreCheckpoint(
  dir: string,
  variables: ReadonlyMap<string, tf.Variable>,
  optimizer: tf.Optimizer,
  fingerprint: TrainingState['fingerprint'],
  epochs = Infinity,
  extras: CheckpointExtras = {},
): Promise<{ state: TrainingState; bestWeights?: Map<string, Float32Array> }> {
  const weightsByName = allWeights(variables, extras);
  const { path } = await nodeFs();
  let json: CheckpointJson;
  try {
    const text = new TextDecoder().decode(
      await readFileLimited(path.join(dir, 'checkpoint.json'), MODEL_LIMITS.maxJsonBytes),
    );
    json = JSON.parse(text) as CheckpointJson;
  } catch (e) {
    throw new SerializationError(`could not read checkpoint ${dir}: ${(e as Error).message}`, { cause: e });
  }
  if (json?.format !== 'varia-checkpoint' || json.formatVersion !== 1) {
    throw new SerializationError(`${dir} is not a varia checkpoint (format ${JSON.stringify(json?.format)})`);
  }
  const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null;
  if (
    !isObject(json.state) ||
    !isObject(json.state.fingerprint) ||
    !Array.isArray(json.state.history) ||
    !isObject(json.weights) ||
    !isObject(json.optimizer) ||
    !Array.isArray(json.optimizer.slots) ||
    typeof json.optimizer.iterations !== 'number'
  ) {
    throw new SerializationError(
      `${dir}/checkpoint.json is incomplete: it needs "state", "weights" and "optimizer" sections`,
    );
  }
  assertResumable(json.state, fingerprint, epochs);
  const expected = new Map([...weightsByName].map(([k, v]) => [k, v.shape] as const));
  const modelBytes = [...weightsByName.values()].reduce((s, v) => s + v.size * 4, 0);
  const weights = decodeTensorValues(
    json.weights.specs,
    await readBinary(path.join(dir, recordedFile(dir, json.weights, 'weights.bin')), json.weights.checksum, modelBytes),
    expected,
    'checkpoint weights',
  );
  for (const [name, values] of weights) {
    if (!values.every(Number.isFinite))
      throw new SerializationError(`checkpoint weight "${name}" holds non-finite values: it cannot be resumed`);
  }
  const slotShapes = new Map<string, readonly number[]>();
  for (const name of json.optimizer.slots) {
    const base = name.slice(0, name.lastIndexOf('/'));
    const shape = variables.get(base)?.shape;
    if (!shape) throw new SerializationError(`checkpoint optimizer slot "${name}" belongs to no model variable`);
    slotShapes.set(name, shape);
  }
  const slots = decodeTensorValues(
    json.optimizer.specs,
    await readBinary(
      path.join(dir, recordedFile(dir, json.optimizer, 'optimizer.bin')),
      json.optimizer.checksum,
      2 * modelBytes,
    ),
    slotShapes,
    'checkpoint optimizer',
  );
  // Adam matches its slots to variables by position (all first moments "/m", then all second moments "/v", in the
  // order of the variables it updates), not by name: order them by this model's variables, and require them all.
  const slotOrder = [...variables.keys()].map((k) => `${k}/m`).concat([...variables.keys()].map((k) => `${k}/v`));
  const missing = slotOrder.find((name) => !slots.has(name));
  if (missing !== undefined || slots.size !== slotOrder.length) {
    throw new SerializationError(
      `checkpoint optimizer state does not match the model (slot ${JSON.stringify(missing ?? '?')} missing or extra slots)`,
    );
  }
  const best = json.best
    ? decodeTensorValues(
        json.best.specs,
        await readBinary(path.join(dir, recordedFile(dir, json.best, 'best.bin')), json.best.checksum, modelBytes),
        expected,
        'checkpoint best weights',
      )
    : undefined;
  // Everything validated: assign.
  tf.tidy(() => {
    for (const [name, v] of weightsByName) v.assign(tf.tensor(weights.get(name)!, v.shape, 'float32'));
  });
  const runtimeByStable = new Map([...variables].map(([stable, v]) => [stable, v.name]));
  const named: { name: string; tensor: tf.Tensor }[] = [
    { name: 'iter', tensor: tf.scalar(json.optimizer.iterations, 'int32') },
  ];
  for (const name of slotOrder) {
    const slash = name.lastIndexOf('/');
    const v = variables.get(name.slice(0, slash))!;
    named.push({
      name: `${runtimeByStable.get(name.slice(0, slash))}${name.slice(slash)}`,
      tensor: tf.tensor(slots.get(name)!, v.shape, 'float32'),
    });
  }
  await optimizer.setWeights(named);
  tf.dispose(named.map((w) => w.tensor));
  return { state: json.state, bestWeights: best };
}
