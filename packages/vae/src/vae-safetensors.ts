import * as tf from '@tensorflow/tfjs-core';
import { SerializationError } from '@varia/core';
import { resolveConfig, type ResolvedVAEConfig, type VAEConfig } from './config.js';
import type { CustomLikelihood } from './likelihood-registry.js';
import { type ModelArtifacts, modelChecksum, type SavedModelJson, type WeightSpec } from './model-format.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors.js';
import { type LoadOptions, VAE } from './vae.js';
import { FORMAT_VERSION, VERSION } from './version.js';

/**
 * PyTorch's name for a varia weight: `encoder/0/kernel` → `encoder.0.weight`, `likelihood/loc/bias` →
 * `likelihood.loc.bias`, other names with `/` → `.` (`likelihood/raw_scale` → `likelihood.raw_scale`).
 */
export function torchName(name: string): string {
  return name.replace(/\/kernel$/, '/weight').replaceAll('/', '.');
}

/** The inverse of {@link torchName}. */
export function variaName(name: string): string {
  return name.replaceAll('.', '/').replace(/\/weight$/, '/kernel');
}

/** [rows, cols] row-major → [cols, rows] row-major. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/**
 * The model as a [safetensors](https://github.com/huggingface/safetensors) file with PyTorch's names and layouts:
 * a dense layer's kernel `…/kernel` [in, out] (y = xW + b) becomes `….weight` [out, in] (`nn.Linear`, y = xWᵀ + b),
 * biases and other parameters keep their shapes (`/` → `.` in names; a `tf.LayersModel`'s convolution kernels keep
 * tfjs' [kh, kw, in, out] layout). The header's `__metadata__` holds
 * `format: "varia-vae"`, `formatVersion`, `vaeVersion` and `config` (the resolved config as JSON), so
 * {@link fromSafetensors} rebuilds the same model. See the Saving and loading guide for a PyTorch module that reads it.
 */
export async function toSafetensors(vae: VAE): Promise<Uint8Array> {
  const { modelJson, weightData } = await vae.toArtifacts();
  const tensors = new Map<string, SafetensorsTensor>();
  let offset = 0;
  for (const spec of modelJson.weightsManifest[0]!.weights) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(weightData, offset * 4, size);
    offset += size;
    const kernel = spec.name.endsWith('/kernel') && spec.shape.length === 2;
    tensors.set(
      torchName(spec.name),
      kernel
        ? { shape: [spec.shape[1]!, spec.shape[0]!], data: transpose(data, spec.shape[0]!, spec.shape[1]!) }
        : { shape: spec.shape, data },
    );
  }
  return encodeSafetensors({
    tensors,
    metadata: {
      format: 'varia-vae',
      formatVersion: String(FORMAT_VERSION),
      vaeVersion: VERSION,
      config: JSON.stringify(modelJson.config),
    },
  });
}

/** Options of {@link fromSafetensors}. */
export interface FromSafetensorsOptions {
  /**
   * The architecture, for files without varia's metadata (e.g. trained in PyTorch): a {@link VAEConfig}. Default: the
   * `config` in the file's `__metadata__`.
   */
  config?: VAEConfig;
  /** The custom likelihood the model was built with, as for `VAE.load`. */
  likelihood?: CustomLikelihood;
  /** A user-written encoder, as for `VAE.load`. */
  encoder?: LoadOptions['encoder'];
  /** A user-written decoder, as for `VAE.load`. */
  decoder?: LoadOptions['decoder'];
}

/**
 * Builds a VAE from a safetensors file written by {@link toSafetensors} or by PyTorch (`safetensors.torch.save_file`
 * of a module with the same names; `….weight` [out, in] are transposed back). F32, F64, F16 and BF16 tensors are read
 * as float32. Everything is checked as in `VAE.load` — header, sizes and limits before allocating, then every name and
 * shape — and nothing is left allocated on error.
 * @throws SerializationError for a malformed file, a missing or invalid config, or weights that do not fit it.
 */
export async function fromSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  options: FromSafetensorsOptions = {},
): Promise<VAE> {
  const contents = decodeSafetensors(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes);
  let config: ResolvedVAEConfig;
  try {
    const given = options.config ?? (JSON.parse(contents.metadata.config ?? 'null') as VAEConfig | null);
    if (given === null || typeof given !== 'object')
      throw new Error('the file has no "config" in its metadata; pass options.config');
    const resolved = resolveConfig({ ...given, likelihood: options.likelihood ?? given.likelihood });
    config = options.likelihood ? { ...resolved, likelihood: options.likelihood.name } : resolved;
  } catch (e) {
    throw new SerializationError(`safetensors: invalid config: ${(e as Error).message}`, { cause: e });
  }
  const specs: WeightSpec[] = [];
  const parts: Float32Array[] = [];
  for (const [name, t] of contents.tensors) {
    // a Linear weight [out, in], transposed back; a tf.LayersModel's convolution kernel keeps tfjs' layout
    const kernel = name.endsWith('.weight') && t.shape.length === 2;
    if (name.endsWith('.weight') && t.shape.length !== 2 && t.shape.length !== 4)
      throw new SerializationError(
        `safetensors: "${name}" should be a Linear weight [out, in] or a convolution kernel [kh, kw, in, out], got shape [${t.shape.join(', ')}]`,
      );
    specs.push({ name: variaName(name), shape: kernel ? [t.shape[1]!, t.shape[0]!] : t.shape, dtype: 'float32' });
    parts.push(kernel ? transpose(t.data, t.shape[0]!, t.shape[1]!) : t.data);
  }
  const weightData = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    weightData.set(p, at);
    at += p.length;
  }
  const modelJson: SavedModelJson = {
    format: 'varia-vae',
    formatVersion: FORMAT_VERSION,
    versions: { vae: contents.metadata.vaeVersion ?? 'unknown', tfjsCore: tf.version_core },
    config,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    weightsByteLength: weightData.byteLength,
  };
  modelJson.checksum = modelChecksum(modelJson, weightData.buffer);
  const artifacts: ModelArtifacts = { modelJson, weightData: weightData.buffer };
  const { config: _config, ...loadOptions } = options;
  return VAE.fromArtifacts(artifacts, loadOptions);
}
