/**
 * The worker's data: the datasets the page offers, the subset it draws, and the seeded hold-out split that training
 * validates on and the run summary is evaluated on.
 */
import { type Matrix, mulberry32, permutation, takeRows } from '@varia/core';
import { syntheticCounts, toyGaussian2d } from '@varia/datasets';
import type { WebDataset, WireMatrix } from './protocol.js';

/** A dataset in the worker: rows, their labels and the shape of one example. */
export interface LoadedData {
  name: string;
  x: Matrix;
  labels: Int32Array;
  shape: number[];
}

/** Builds (or, for MNIST, fetches and splits) a dataset. */
export async function loadData(dataset: WebDataset, seed: number): Promise<LoadedData> {
  switch (dataset) {
    case 'toy2d':
    case 'toy2d-separated': {
      const d = toyGaussian2d({ seed, separated: dataset === 'toy2d-separated' });
      return { name: d.name, x: d.x, labels: d.labels, shape: [...d.shape] };
    }
    case 'counts': {
      const d = syntheticCounts({ n: 2000, dim: 20, latentDim: 2, seed });
      return { name: d.name, x: d.x, labels: d.labels, shape: [...d.shape] };
    }
    case 'mnist': {
      const { mnistTrain } = await import('./mnist-web.js');
      const d = await mnistTrain();
      return { name: 'mnist-train', x: { data: d.x, rows: d.rows, cols: 784 }, labels: d.labels, shape: [28, 28] };
    }
  }
}

/** Whether the examples are images (drawn as pictures rather than points). */
export const isImage = (data: LoadedData): boolean => data.shape.length === 2;

/** The first `rows` rows (a view, no copy). */
export function firstRows(m: Matrix, rows: number): Matrix {
  const n = Math.min(rows, m.rows);
  return { data: m.data.subarray(0, n * m.cols), rows: n, cols: m.cols };
}

/** A copy that can be transferred to the page. */
export function copy(m: Matrix): WireMatrix {
  return { data: Float32Array.from(m.data), rows: m.rows, cols: m.cols };
}

function subset(data: LoadedData, order: ArrayLike<number>): LoadedData {
  return { ...data, x: takeRows(data.x, order), labels: Int32Array.from(order, (i) => data.labels[i]!) };
}

/**
 * The examples the page draws: a seeded random subset (1,500 rows; 1,000 images), so that any prefix of it is a
 * sample too (the toy data is ordered by group). Snapshots use prefixes of it.
 */
export function shownSubset(data: LoadedData): LoadedData {
  const n = Math.min(data.x.rows, isImage(data) ? 1000 : 1500);
  return subset(data, permutation(data.x.rows, mulberry32(1)).subarray(0, n));
}

/**
 * A seeded hold-out split: `fraction` of the rows (at least one, when the fraction is > 0) for validation, the rest
 * for training. The same rows validate every epoch and give the run's final −ELBO.
 */
export function holdOut(
  data: LoadedData,
  fraction: number,
  seed: number,
): { train: LoadedData; validation?: LoadedData } {
  const n = data.x.rows;
  const nVal = fraction > 0 ? Math.min(n - 1, Math.max(1, Math.round(fraction * n))) : 0;
  if (nVal === 0) return { train: data };
  const order = permutation(n, mulberry32(seed + 7919));
  return { train: subset(data, order.subarray(nVal)), validation: subset(data, order.subarray(0, nVal)) };
}
