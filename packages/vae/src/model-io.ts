// Where a model is saved to or loaded from: a directory (Node), a file:// URL (Node), an http(s):// URL, a scheme of
// tfjs' IO router (indexeddb://, localstorage://, downloads:// in the browser), or any tfjs IOHandler.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, SerializationError } from '@varia/core';
import { checkModelJson, MODEL_LIMITS, type ModelArtifacts, unwrapDocument } from './model-format.js';
import { nodeFs } from './node-fs.js';
import { readModelDir, writeModelDir } from './serialization.js';
import { VERSION } from './version.js';

/**
 * Where {@link VAE.save} writes and {@link VAE.load} reads: a directory path (Node), a `file://` URL (Node), an
 * `http://`/`https://` URL (load: GET of `model.json` and its weight file; save: tfjs' multipart POST), a scheme of
 * tfjs' IO router (`indexeddb://name`, `localstorage://name`, `downloads://name` in the browser), or a tfjs
 * `IOHandler` (e.g. `tf.io.browserFiles([json, weights])`).
 */
export type ModelLocation = string | tf.io.IOHandler;

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

function isHandler(v: unknown): v is tf.io.IOHandler {
  return (
    typeof v === 'object' &&
    v !== null &&
    (typeof (v as tf.io.IOHandler).save === 'function' || typeof (v as tf.io.IOHandler).load === 'function')
  );
}

/** A `file://` URL as a path (Node). */
async function fileUrlPath(url: string, argument: string): Promise<string> {
  await nodeFs(); // Node only (a browser bundle may stub node:url)
  try {
    const { fileURLToPath } = await import('node:url');
    return fileURLToPath(url);
  } catch (e) {
    throw new ArgumentError(argument, `cannot use ${JSON.stringify(url)}: ${(e as Error).message}`, { cause: e });
  }
}

/** The tfjs artifacts of a model: varia's whole document as `modelTopology`, so every tfjs storage keeps it intact. */
export function toTfjsArtifacts(artifacts: ModelArtifacts): tf.io.ModelArtifacts {
  return {
    modelTopology: artifacts.modelJson as unknown as object,
    weightSpecs: artifacts.modelJson.weightsManifest[0]!.weights,
    weightData: artifacts.weightData,
    format: 'varia-vae',
    generatedBy: `@varia/vae ${VERSION}`,
  };
}

/** varia's artifacts from tfjs artifacts written by {@link toTfjsArtifacts} (checked like a file). */
export function fromTfjsArtifacts(artifacts: tf.io.ModelArtifacts | undefined, where: string): ModelArtifacts {
  const { document } = unwrapDocument({ modelTopology: artifacts?.modelTopology, format: artifacts?.format });
  const checked = checkModelJson(document, where);
  const data = artifacts?.weightData;
  const parts = Array.isArray(data) ? data : [data];
  if (!parts.every((p) => p instanceof ArrayBuffer))
    throw new SerializationError(`${where}: the weight data is missing`);
  const total = (parts as ArrayBuffer[]).reduce((s, p) => s + p.byteLength, 0);
  if (total !== checked.byteLength)
    throw new SerializationError(
      `${where}: the weight data has ${total} bytes, the manifest needs ${checked.byteLength}`,
    );
  return {
    modelJson: checked.json,
    weightData: parts.length === 1 ? (parts[0] as ArrayBuffer) : tf.io.concatenateArrayBuffers(parts as ArrayBuffer[]),
  };
}

/** Saves artifacts to a {@link ModelLocation}. */
export async function saveModel(location: ModelLocation, artifacts: ModelArtifacts): Promise<void> {
  if (isHandler(location)) return saveWithHandler(location, artifacts, 'the IOHandler');
  if (typeof location !== 'string' || location.length === 0) {
    throw new ArgumentError(
      'dir',
      `save: the destination must be a non-empty path, a URL or a tfjs IOHandler, got ${JSON.stringify(location)}`,
    );
  }
  const scheme = SCHEME.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined) return writeModelDir(location, artifacts);
  if (scheme === 'file') return writeModelDir(await fileUrlPath(location, 'dir'), artifacts);
  const handlers = tf.io.getSaveHandlers(location);
  if (handlers.length === 0) throw noHandler(location, 'save to');
  return saveWithHandler(handlers[0]!, artifacts, location);
}

async function saveWithHandler(handler: tf.io.IOHandler, artifacts: ModelArtifacts, where: string): Promise<void> {
  if (typeof handler.save !== 'function')
    throw new ArgumentError('dir', `save: ${where} cannot save (it has no save method)`);
  let result: tf.io.SaveResult;
  try {
    result = await handler.save(toTfjsArtifacts(artifacts));
  } catch (e) {
    throw new SerializationError(`could not save the model to ${where}: ${(e as Error).message}`, { cause: e });
  }
  if (result?.errors?.length)
    throw new SerializationError(`could not save the model to ${where}: ${result.errors.map(String).join('; ')}`);
}

/** Loads artifacts from a {@link ModelLocation}, checked before anything is allocated. */
export async function loadModel(location: ModelLocation): Promise<ModelArtifacts> {
  if (isHandler(location)) return loadWithHandler(location, 'the IOHandler');
  if (typeof location !== 'string' || location.length === 0) {
    throw new ArgumentError(
      'dir',
      `load: the source must be a non-empty path, a URL or a tfjs IOHandler, got ${JSON.stringify(location)}`,
    );
  }
  const scheme = SCHEME.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined) return readModelDir(location);
  if (scheme === 'file') return readModelDir(await fileUrlPath(location, 'dir'));
  if (scheme === 'http' || scheme === 'https') return fetchModel(location);
  const handlers = tf.io.getLoadHandlers(location);
  if (handlers.length === 0) throw noHandler(location, 'load from');
  return loadWithHandler(handlers[0]!, location);
}

async function loadWithHandler(handler: tf.io.IOHandler, where: string): Promise<ModelArtifacts> {
  if (typeof handler.load !== 'function')
    throw new ArgumentError('dir', `load: ${where} cannot load (it has no load method)`);
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load();
  } catch (e) {
    throw new SerializationError(`could not load the model from ${where}: ${(e as Error).message}`, { cause: e });
  }
  return fromTfjsArtifacts(artifacts, where);
}

function noHandler(location: string, doing: string): ArgumentError {
  const browserOnly = /^(indexeddb|localstorage|downloads):\/\//i.test(location)
    ? ' (indexeddb://, localstorage:// and downloads:// work in browsers only)'
    : '';
  return new ArgumentError(
    'dir',
    `cannot ${doing} ${JSON.stringify(location)}: no tfjs IO handler takes this URL${browserOnly}`,
  );
}

/** GET of `url` with a byte limit, read incrementally so an oversized or endless response is cut off. */
async function fetchBytes(url: string, maxBytes: number): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new SerializationError(`could not fetch ${url}: ${(e as Error).message}`, { cause: e });
  }
  if (!response.ok)
    throw new SerializationError(`could not fetch ${url}: HTTP ${response.status} ${response.statusText}`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new SerializationError(`${url} has ${declared} bytes, more than the ${maxBytes} expected`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  for (;;) {
    const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
    if (chunk.done) break;
    total += chunk.value.length;
    if (total > maxBytes) {
      await reader?.cancel();
      throw new SerializationError(`${url} has more than the ${maxBytes} bytes expected`);
    }
    chunks.push(chunk.value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Loads a model over HTTP(S): `url` names its `model.json` (or ends with `/`: `model.json` is appended), which may be
 * varia's own (as `save` writes it into a served directory) or tfjs' layout (what `http://` and `downloads://` save).
 */
async function fetchModel(url: string): Promise<ModelArtifacts> {
  const jsonUrl = url.endsWith('/') ? `${url}model.json` : url;
  const text = new TextDecoder().decode(await fetchBytes(jsonUrl, MODEL_LIMITS.maxJsonBytes));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SerializationError(`${jsonUrl} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const { document, weightFile } = unwrapDocument(parsed);
  const checked = checkModelJson(document, jsonUrl);
  const weightsUrl = new URL(weightFile ?? checked.weightFile, jsonUrl).href;
  const bytes = await fetchBytes(weightsUrl, checked.byteLength);
  if (bytes.length !== checked.byteLength)
    throw new SerializationError(`${weightsUrl} has ${bytes.length} bytes, the manifest needs ${checked.byteLength}`);
  return {
    modelJson: checked.json,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  };
}
