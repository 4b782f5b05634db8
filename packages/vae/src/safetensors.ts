import { SerializationError } from '@varia/core';
import { MODEL_LIMITS } from './model-format.js';

/** One float32 tensor of a safetensors file. */
export interface SafetensorsTensor {
  /** Shape (row-major, C order). */
  shape: number[];
  /** Values, row-major. */
  data: Float32Array;
}

/** The contents of a safetensors file: named tensors and the string metadata of its header. */
export interface SafetensorsContents {
  /** Tensors by name, in file order. */
  tensors: Map<string, SafetensorsTensor>;
  /** `__metadata__`: string keys to string values. */
  metadata: Record<string, string>;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length
 * N, N bytes of JSON header — `{"__metadata__": {…}, "<name>": {"dtype": "F32", "shape": […], "data_offsets":
 * [begin, end]}, …}`, padded with spaces to a multiple of 8 — then the tensors' little-endian bytes, back to back.
 */
export function encodeSafetensors(contents: SafetensorsContents): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: contents.metadata };
  let offset = 0;
  for (const [name, t] of contents.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length)
      throw new SerializationError(
        `safetensors: tensor "${name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`,
      );
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size * 4] };
    offset += size * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length)
    json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length));
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of contents.tensors.values()) {
    if (littleEndian) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else t.data.forEach((v, i) => view.setFloat32(at + 4 * i, v, true));
    at += t.data.byteLength;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a safetensors file with the spec's checks, before allocating: the header fits the file and the limits, every
 * tensor is F32 (F64, F16 and BF16 are converted to float32 too) with non-negative integer dimensions, the offsets
 * match the shapes, and the tensors cover the data buffer exactly, without gaps or overlaps.
 * @throws SerializationError naming the problem.
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContents {
  if (!(bytes instanceof Uint8Array))
    throw new SerializationError('safetensors: expected the file as bytes (a Uint8Array)');
  if (bytes.length < 8)
    throw new SerializationError(`safetensors: the file has ${bytes.length} bytes, too short for a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MODEL_LIMITS.maxJsonBytes, bytes.length - 8))) {
    throw new SerializationError(
      `safetensors: the header length ${headerLength} exceeds the file (${bytes.length} bytes) or the limit of ${MODEL_LIMITS.maxJsonBytes}`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    throw new SerializationError(`safetensors: the header is not valid UTF-8 JSON: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (!isObject(header)) throw new SerializationError('safetensors: the header must be a JSON object');
  const metadata: Record<string, string> = {};
  if (header.__metadata__ !== undefined) {
    if (!isObject(header.__metadata__))
      throw new SerializationError('safetensors: "__metadata__" must be an object of strings');
    for (const [k, v] of Object.entries(header.__metadata__)) {
      if (typeof v !== 'string') throw new SerializationError(`safetensors: metadata "${k}" must be a string`);
      metadata[k] = v;
    }
  }
  const dataLength = bytes.length - dataStart;
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (entries.length >= MODEL_LIMITS.maxTensors)
      throw new SerializationError(`safetensors: more than ${MODEL_LIMITS.maxTensors} tensors`);
    if (
      !isObject(entry) ||
      !Array.isArray(entry.shape) ||
      !Array.isArray(entry.data_offsets) ||
      entry.data_offsets.length !== 2
    ) {
      throw new SerializationError(`safetensors: malformed header entry for "${name}"`);
    }
    const width = BYTES_PER_ELEMENT[entry.dtype as string];
    if (width === undefined)
      throw new SerializationError(
        `safetensors: tensor "${name}" has dtype ${JSON.stringify(entry.dtype)}; F32, F64, F16 and BF16 are read`,
      );
    let size = 1;
    for (const d of entry.shape as unknown[]) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MODEL_LIMITS.maxParameters) {
        throw new SerializationError(`safetensors: tensor "${name}" has an invalid dimension ${JSON.stringify(d)}`);
      }
      size *= d;
    }
    const [begin, end] = entry.data_offsets as unknown[];
    if (
      !Number.isSafeInteger(begin) ||
      !Number.isSafeInteger(end) ||
      (end as number) - (begin as number) !== size * width ||
      (end as number) > dataLength
    ) {
      throw new SerializationError(
        `safetensors: tensor "${name}" has data_offsets ${JSON.stringify(entry.data_offsets)} that do not fit its shape or the file`,
      );
    }
    entries.push({
      name,
      dtype: entry.dtype as string,
      shape: entry.shape as number[],
      begin: begin as number,
      end: end as number,
    });
  }
  entries.sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected)
      throw new SerializationError(
        `safetensors: the tensors do not cover the data buffer contiguously (at byte ${expected}, "${e.name}")`,
      );
    expected = e.end;
  }
  if (expected !== dataLength)
    throw new SerializationError(`safetensors: the data buffer has ${dataLength} bytes, the tensors use ${expected}`);
  const parameters = entries.reduce((s, e) => s + (e.end - e.begin) / BYTES_PER_ELEMENT[e.dtype]!, 0);
  if (parameters > MODEL_LIMITS.maxParameters)
    throw new SerializationError(`safetensors: more than ${MODEL_LIMITS.maxParameters} parameters`);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries)
    tensors.set(e.name, { shape: e.shape, data: readFloats(view, dataStart + e.begin, e.end - e.begin, e.dtype) });
  return { tensors, metadata };
}

const BYTES_PER_ELEMENT: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
const BF16_SCRATCH = new DataView(new ArrayBuffer(4));

function readFloats(view: DataView, at: number, byteLength: number, dtype: string): Float32Array {
  const width = BYTES_PER_ELEMENT[dtype]!;
  const out = new Float32Array(byteLength / width);
  for (let i = 0; i < out.length; i++) {
    const p = at + i * width;
    if (dtype === 'F32') out[i] = view.getFloat32(p, true);
    else if (dtype === 'F64') out[i] = view.getFloat64(p, true);
    else if (dtype === 'BF16') {
      BF16_SCRATCH.setUint32(0, view.getUint16(p, true) << 16);
      out[i] = BF16_SCRATCH.getFloat32(0);
    } else out[i] = halfToFloat(view.getUint16(p, true));
  }
  return out;
}

/** IEEE 754 binary16 → number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
