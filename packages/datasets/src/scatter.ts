import { ArgumentError, assertMatrix } from '@varia/core';
import type { Dataset } from './dataset.js';

/** One point of a {@link Scatter}. */
export interface ScatterPoint {
  /** First coordinate (column 0). */
  x: number;
  /** Second coordinate (column 1). */
  y: number;
  /** The example's label (`-1` where unknown). */
  label: number;
}

/** Plot-ready 2-D points, e.g. for a chart library or `JSON.stringify`. */
export interface Scatter {
  /** One entry per example, in row order. */
  points: ScatterPoint[];
  /** The distinct labels, ascending. */
  labels: number[];
}

/**
 * Turns a 2-D data set into plot-ready points `{ x, y, label }` (column 0, column 1, label).
 *
 * @param dataset - a {@link Dataset} whose `x` has exactly 2 columns (e.g. {@link toyGaussian2d}, or a 2-D latent
 *   embedding).
 * @throws ArgumentError naming `"dataset"` when `x` does not have 2 columns or `labels` has the wrong length.
 */
export function toScatter(dataset: Pick<Dataset, 'x' | 'labels'>): Scatter {
  assertMatrix(dataset.x, 'dataset.x');
  const { data, rows, cols } = dataset.x;
  if (cols !== 2) {
    throw new ArgumentError('dataset', `toScatter: "dataset.x" must have 2 columns, got ${cols}`);
  }
  if (dataset.labels.length !== rows) {
    throw new ArgumentError(
      'dataset',
      `toScatter: "dataset.labels" must have one label per row (${rows}), got ${dataset.labels.length}`,
    );
  }
  const points: ScatterPoint[] = new Array(rows);
  const distinct = new Set<number>();
  for (let i = 0; i < rows; i++) {
    const label = dataset.labels[i]!;
    points[i] = { x: data[2 * i]!, y: data[2 * i + 1]!, label };
    distinct.add(label);
  }
  return { points, labels: [...distinct].sort((a, b) => a - b) };
}
