import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { ArgumentError, DataError, type DataLocation } from '@varia/core';
import type { Dataset } from './dataset.js';

const gunzipAsync = promisify(gunzip);

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

async function readIdxBytes(source: IdxSource, argument: string): Promise<{ bytes: Uint8Array; what: string; at: DataLocation }> {
  let bytes: Uint8Array;
  let what: string;
  let at: DataLocation;
  if (typeof source === 'string') {
    what = source;
    at = { file: source };
    try {
      bytes = await readFile(source);
    } catch (cause) {
      throw new DataError(`loadIdx: cannot read ${source}: ${(cause as Error).message}`, at, { cause });
    }
  } else if (source instanceof Uint8Array) {
    bytes = source;
    what = 'IDX data';
    at = {};
  } else {
    throw new ArgumentError(argument, `loadIdx: "${argument}" must be a file path or a Uint8Array, got ${typeof source}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (cause) {
      throw new DataError(`loadIdx: ${what} is gzip data that is corrupt or truncated: ${(cause as Error).message}`, at, {
        cause,
      });
    }
  }
  return { bytes, what, at };
}

function decodeIdx(bytes: Uint8Array, what: string, at: DataLocation): IdxArray {
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
        `of ${type.dtype} need ${expected} data bytes after the ${headerBytes}-byte header, got ${actual}`,
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
 * @param source - a file path or the file's bytes.
 * @returns the dtype, dims and values.
 * @throws DataError (with `location.file` for paths) when the file cannot be read, the gzip stream is corrupt or
 *   truncated, the magic number is wrong, or the data length does not match the header; ArgumentError when
 *   `source` is neither a string nor a Uint8Array.
 */
export async function loadIdx(source: IdxSource): Promise<IdxArray> {
  const { bytes, what, at } = await readIdxBytes(source, 'source');
  return decodeIdx(bytes, what, at);
}

/** Options of {@link loadIdxDataset}. */
export interface LoadIdxDatasetOptions {
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
  const images = await loadIdxLabelled(options.images, 'images');
  const labels = options.labels === undefined ? undefined : await loadIdxLabelled(options.labels, 'labels');
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

async function loadIdxLabelled(source: IdxSource, argument: 'images' | 'labels'): Promise<{ array: IdxArray; what: string }> {
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
    throw new ArgumentError(argument, `loadIdxDataset: "${argument}" must be a file path or a Uint8Array, got ${typeof source}`);
  }
  const { bytes, what, at } = await readIdxBytes(source, argument);
  return { array: decodeIdx(bytes, what, at), what: typeof source === 'string' ? source : `the ${argument} bytes` };
}
