import { basename } from 'node:path';
import { ArgumentError, assertOptions, DataError, type DataLocation } from '@varia/core';
import type { Dataset } from './dataset.js';
import { decodeIdx } from './idx-decode.js';
import type { IdxArray, IdxSource } from './idx-header.js';
import { readIdxBytes } from './idx-read.js';

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
