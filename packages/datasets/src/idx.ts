import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ArgumentError, assertOptions, DataError, type DataLocation } from '@varia/core';
import type { Dataset } from './dataset.js';

/** The element types of the IDX format, by their type code in the magic number. */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array {@link loadIdx} returns for each {@link IdxDtype}. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX file: an n-dimensional array in row-major order. */
export interface IdxArray {
  /** The element type from the magic number. */
  readonly dtype: IdxDtype;
  /** The dimensions, outermost first, e.g. `[60000, 28, 28]` for MNIST training images. */
  readonly dims: readonly number[];
  /** The values in row-major order, converted from big-endian to native numbers. */
  readonly data: IdxData;
}

/** Where IDX bytes come from: a file path (`.idx*`, or gzipped `.gz`), or the file's bytes. */
export type IdxSource = string | Uint8Array;

/** type code → dtype, element size, and a big-endian reader. */
const IDX_TYPES: Record<number, { dtype: IdxDtype; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
};

function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * The default of {@link LoadIdxOptions.maxBytes}: 1 GiB of decoded IDX (header and values). MNIST's training images
 * are 47 MB; EMNIST "byclass", the largest of the family, 547 MB.
 */
export const IDX_DEFAULT_MAX_BYTES = 2 ** 30;

/** Options of {@link loadIdx}. */
export interface LoadIdxOptions {
  /**
   * The most bytes the decoded file (header plus values) may have; a header declaring more is a `DataError` before
   * anything is allocated or inflated. Default {@link IDX_DEFAULT_MAX_BYTES}.
   */
  maxBytes?: number;
}

/** The option names {@link loadIdx} and {@link loadIdxDataset} accept; any other key is an ArgumentError. */
const LOAD_IDX_KEYS = ['maxBytes'] as const satisfies readonly (keyof LoadIdxOptions)[];
const LOAD_IDX_DATASET_KEYS = [
  ...LOAD_IDX_KEYS,
  'images',
  'labels',
  'normalize',
  'name',
] as const satisfies readonly (keyof LoadIdxDatasetOptions)[];

function requireMaxBytes(where: string, value: unknown): number {
  if (value === undefined) return IDX_DEFAULT_MAX_BYTES;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 8) {
    throw new ArgumentError('maxBytes', `${where}: "maxBytes" must be an integer ≥ 8, got ${String(value)}`);
  }
  return value;
}

/**
 * The decoded size an IDX header declares, or a DataError. Reads only the header (`bytes` may be a prefix of the
 * file); returns `undefined` while the prefix is too short to tell.
 */
function declaredSize(bytes: Uint8Array, what: string, at: DataLocation, maxBytes: number): number | undefined {
  if (bytes.length < 4) return undefined;
  const type = IDX_TYPES[bytes[2]!];
  const rank = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || rank === 0) {
    const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    throw new DataError(
      `loadIdx: ${what} has a bad magic number ${hex32(magic)}: expected 0x0000TTDD with type code TT in ` +
        `{08, 09, 0b, 0c, 0d, 0e} and DD ≥ 1 dimensions (0x00000801 for labels, 0x00000803 for images)`,
      at,
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  let total = type.size;
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) {
    dims.push(view.getUint32(4 + 4 * d));
    total *= dims[d]!;
  }
  // `!(… <= …)`: a product that overflowed to Infinity, or Infinity · 0 = NaN, is refused too
  if (!(headerBytes + total <= maxBytes)) {
    throw new DataError(
      `loadIdx: ${what} declares dims [${dims.join(', ')}] of ${type.dtype}, ${headerBytes + total} bytes, more than ` +
        `the limit of ${maxBytes} bytes (option "maxBytes")`,
      at,
    );
  }
  return headerBytes + total;
}

/**
 * Collects the decoded bytes of an IDX file from a stream of chunks, checking the header as soon as it has
 * arrived: nothing beyond the header is buffered before the declared size is known and within `maxBytes`, and
 * reading stops one byte past the declared size (a gzip bomb is never inflated beyond it).
 */
async function collectIdx(
  chunks: AsyncIterable<Uint8Array>,
  what: string,
  at: DataLocation,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; cut: boolean }> {
  let head = new Uint8Array(0);
  let out: Uint8Array | undefined;
  let filled = 0;
  for await (const chunk of chunks) {
    if (out === undefined) {
      const joined = new Uint8Array(head.length + chunk.length);
      joined.set(head);
      joined.set(chunk, head.length);
      const size = declaredSize(joined.subarray(0, Math.min(joined.length, 4 + 4 * 255)), what, at, maxBytes);
      if (size === undefined) {
        head = joined.slice(0, Math.min(joined.length, 4 + 4 * 255));
        continue;
      }
      out = new Uint8Array(size + 1); // one spare byte detects "longer than its header says"
      filled = Math.min(joined.length, out.length);
      out.set(joined.subarray(0, filled));
    } else {
      const take = Math.min(chunk.length, out.length - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
    }
    if (filled === out.length) break; // over-long: decodeIdx reports it; stop reading or inflating
  }
  return out === undefined
    ? { bytes: head, cut: false }
    : { bytes: out.subarray(0, filled), cut: filled === out.length };
}

/** Bytes already in memory need no streaming: only the limit check on the declared size. */
function checkedInMemory(bytes: Uint8Array, what: string, at: DataLocation, maxBytes: number): Uint8Array {
  declaredSize(bytes.subarray(0, 4 + 4 * 255), what, at, maxBytes);
  return bytes;
}

async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  yield* createReadStream(path, { highWaterMark: 1 << 16 }) as AsyncIterable<Uint8Array>;
}

async function* inflated(compressed: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const gz = createGunzip({ chunkSize: 1 << 16 });
  const piped = Readable.from(compressed).pipe(gz);
  try {
    yield* piped as AsyncIterable<Uint8Array>;
  } finally {
    piped.destroy();
  }
}

async function readIdxBytes(
  source: IdxSource,
  argument: string,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; what: string; at: DataLocation; cut: boolean }> {
  let what: string;
  let at: DataLocation;
  let first: Uint8Array;
  let chunks: () => AsyncIterable<Uint8Array>;
  if (typeof source === 'string') {
    what = source;
    at = { file: source };
    try {
      const handle = await open(source, 'r');
      try {
        first = new Uint8Array(2);
        const { bytesRead } = await handle.read(first, 0, 2, 0);
        first = first.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (cause) {
      throw new DataError(`loadIdx: cannot read ${source}: ${(cause as Error).message}`, at, { cause });
    }
    chunks = () => fileChunks(source);
  } else if (source instanceof Uint8Array) {
    what = 'IDX data';
    at = {};
    first = source.subarray(0, 2);
    chunks = async function* () {
      for (let k = 0; k < source.length; k += 1 << 20) yield source.subarray(k, k + (1 << 20));
    };
  } else {
    throw new ArgumentError(
      argument,
      `loadIdx: "${argument}" must be a file path or a Uint8Array, got ${typeof source}`,
    );
  }
  const gzipped = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  if (!gzipped && source instanceof Uint8Array)
    return { bytes: checkedInMemory(source, what, at, maxBytes), what, at, cut: false };
  try {
    const { bytes, cut } = await collectIdx(gzipped ? inflated(chunks()) : chunks(), what, at, maxBytes);
    return { bytes, what, at, cut };
  } catch (cause) {
    if (cause instanceof DataError) throw cause;
    const message = (cause as Error).message;
    throw new DataError(
      gzipped
        ? `loadIdx: ${what} is gzip data that is corrupt or truncated: ${message}`
        : `loadIdx: cannot read ${what}: ${message}`,
      at,
      { cause },
    );
  }
}

/** Decodes a whole IDX file; `cut`: reading stopped one byte past the declared size, so the file is longer. */
function decodeIdx(bytes: Uint8Array, what: string, at: DataLocation, cut = false): IdxArray {
  if (bytes.length < 4) {
    throw new DataError(`loadIdx: ${what} is truncated: expected a 4-byte magic number, got ${bytes.length} bytes`, at);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = IDX_TYPES[bytes[2]!];
  const rank = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || rank === 0) {
    throw new DataError(
      `loadIdx: ${what} has a bad magic number ${hex32(magic)}: expected 0x0000TTDD with type code TT in ` +
        `{08, 09, 0b, 0c, 0d, 0e} and DD ≥ 1 dimensions (0x00000801 for labels, 0x00000803 for images)`,
      at,
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new DataError(
      `loadIdx: ${what} is truncated: the header of a ${rank}-dimensional array needs ${headerBytes} bytes, got ${bytes.length}`,
      at,
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d);
    dims.push(size);
    count *= size;
  }
  const expected = count * type.size;
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    throw new DataError(
      `loadIdx: ${what} is ${actual < expected ? 'truncated' : 'longer than its header says'}: dims [${dims.join(', ')}] ` +
        `of ${type.dtype} need ${expected} data bytes after the ${headerBytes}-byte header, got ${cut ? 'more' : actual}`,
      at,
    );
  }
  const start = headerBytes;
  let data: IdxData;
  switch (type.dtype) {
    case 'uint8':
    case 'int8': {
      // A copy into a fresh buffer: `bytes` may be a Node Buffer, whose `slice` is a view into a shared pool.
      const copy = new Uint8Array(count);
      copy.set(bytes.subarray(start, start + count));
      data = type.dtype === 'uint8' ? copy : new Int8Array(copy.buffer);
      break;
    }
    case 'int16':
      data = new Int16Array(count);
      for (let k = 0; k < count; k++) data[k] = view.getInt16(start + 2 * k);
      break;
    case 'int32':
      data = new Int32Array(count);
      for (let k = 0; k < count; k++) data[k] = view.getInt32(start + 4 * k);
      break;
    case 'float32':
      data = new Float32Array(count);
      for (let k = 0; k < count; k++) data[k] = view.getFloat32(start + 4 * k);
      break;
    case 'float64':
      data = new Float64Array(count);
      for (let k = 0; k < count; k++) data[k] = view.getFloat64(start + 8 * k);
      break;
  }
  return { dtype: type.dtype, dims, data };
}

/**
 * Reads an array in the IDX format of MNIST and Fashion-MNIST (`train-images-idx3-ubyte`, …), plain or gzipped.
 *
 * Format (all integers big-endian): a magic number `0x0000TTDD` with element type code TT — `0x08` uint8, `0x09`
 * int8, `0x0B` int16, `0x0C` int32, `0x0D` float32, `0x0E` float64 — and DD dimensions; then DD uint32 sizes; then
 * the values, row-major. MNIST labels are `0x00000801` (uint8, [n]), images `0x00000803` (uint8, [n, 28, 28]).
 * Gzip is detected by its magic bytes `1f 8b`, whatever the file is called.
 *
 * Untrusted files are safe to pass: the header is checked as soon as its bytes have arrived (inflated, for gzip),
 * before anything else is allocated; a declared size above `maxBytes` is refused; and reading (or inflating) stops
 * one byte past the declared size, so a gzip bomb costs at most the declared size in memory.
 *
 * @param source - a file path or the file's bytes.
 * @param options - `maxBytes`, the limit on the decoded size (default {@link IDX_DEFAULT_MAX_BYTES}).
 * @returns the dtype, dims and values.
 * @throws DataError (with `location.file` for paths) when the file cannot be read, the gzip stream is corrupt or
 *   truncated, the magic number is wrong, the header declares more than `maxBytes`, or the data length does not
 *   match the header; ArgumentError when `source` is neither a string nor a Uint8Array, or for a bad `maxBytes`.
 */
export async function loadIdx(source: IdxSource, options: LoadIdxOptions = {}): Promise<IdxArray> {
  assertOptions(options, LOAD_IDX_KEYS, 'loadIdx');
  const maxBytes = requireMaxBytes('loadIdx', options.maxBytes);
  const { bytes, what, at, cut } = await readIdxBytes(source, 'source', maxBytes);
  return decodeIdx(bytes, what, at, cut);
}

/** Options of {@link loadIdxDataset}. */
export interface LoadIdxDatasetOptions extends LoadIdxOptions {
  /** The images (or any examples): an IDX array `[n, ...shape]`. */
  images: IdxSource;
  /** The labels: an integer IDX array `[n]`. Without it every label is `-1`. */
  labels?: IdxSource;
  /**
   * Divide uint8 values by 255 (kind `'unit-interval'`). Default `true` for uint8 images; `false` keeps the raw
   * 0…255 values (kind `'counts'`). Other element types are never rescaled (kind `'real'`), and asking for
   * `normalize: true` with them is an error.
   */
  normalize?: boolean;
  /** The data set's name; default the images file name without extensions (`"idx"` for bytes). */
  name?: string;
}

/**
 * Loads an images IDX file and its labels IDX file (e.g. MNIST's or Fashion-MNIST's four files) as a {@link Dataset}:
 * `x` is `[n, product(shape)]` float32 with `shape` = the image dims after the first (e.g. `[28, 28]`).
 *
 * @example
 * ```ts
 * const train = await loadIdxDataset({ images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' });
 * ```
 * @throws DataError when a file is malformed (see {@link loadIdx}), the labels are not a 1-D integer array, or the
 *   number of labels differs from the number of images; ArgumentError for `normalize: true` on non-uint8 images.
 */
export async function loadIdxDataset(options: LoadIdxDatasetOptions): Promise<Dataset> {
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(
      'options',
      `loadIdxDataset: "options" must be an object with "images", got ${String(options)}`,
    );
  }
  assertOptions(options, LOAD_IDX_DATASET_KEYS, 'loadIdxDataset');
  const maxBytes = requireMaxBytes('loadIdxDataset', options.maxBytes);
  const images = await loadIdxLabelled(options.images, 'images', maxBytes);
  const labels = options.labels === undefined ? undefined : await loadIdxLabelled(options.labels, 'labels', maxBytes);
  const n = images.array.dims[0]!;
  const shape = images.array.dims.length > 1 ? images.array.dims.slice(1) : [1];
  const cols = shape.reduce((a, b) => a * b, 1);
  const isUint8 = images.array.dtype === 'uint8';
  if (options.normalize === true && !isUint8) {
    throw new ArgumentError(
      'normalize',
      `loadIdxDataset: "normalize: true" rescales uint8 images only; ${images.what} holds ${images.array.dtype}`,
    );
  }
  const normalize = options.normalize ?? isUint8;

  let labelValues: Int32Array;
  if (labels) {
    const labelAt: DataLocation = typeof options.labels === 'string' ? { file: options.labels } : {};
    const { dims, dtype, data } = labels.array;
    if (dims.length !== 1 || dtype === 'float32' || dtype === 'float64') {
      throw new DataError(
        `loadIdxDataset: ${labels.what} must be a 1-D integer array, got ${dtype} with dims [${dims.join(', ')}]`,
        labelAt,
      );
    }
    if (dims[0] !== n) {
      throw new DataError(
        `loadIdxDataset: ${labels.what} has ${dims[0]} labels but ${images.what} has ${n} images; they must match`,
        labelAt,
      );
    }
    labelValues = Int32Array.from(data);
  } else {
    labelValues = new Int32Array(n).fill(-1);
  }

  const x = new Float32Array(n * cols);
  const raw = images.array.data;
  if (normalize) for (let k = 0; k < x.length; k++) x[k] = raw[k]! / 255;
  else x.set(raw);
  const name =
    options.name ?? (typeof options.images === 'string' ? basename(options.images).replace(/\..*$/, '') : 'idx');
  return {
    name,
    x: { data: x, rows: n, cols },
    labels: labelValues,
    shape,
    kind: normalize ? 'unit-interval' : isUint8 ? 'counts' : 'real',
  };
}

async function loadIdxLabelled(
  source: IdxSource,
  argument: 'images' | 'labels',
  maxBytes: number,
): Promise<{ array: IdxArray; what: string }> {
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
    throw new ArgumentError(
      argument,
      `loadIdxDataset: "${argument}" must be a file path or a Uint8Array, got ${typeof source}`,
    );
  }
  const { bytes, what, at, cut } = await readIdxBytes(source, argument, maxBytes);
  return {
    array: decodeIdx(bytes, what, at, cut),
    what: typeof source === 'string' ? source : `the ${argument} bytes`,
  };
}
