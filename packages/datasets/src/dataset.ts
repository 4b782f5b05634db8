import { assertMatrix, ShapeError, type Matrix } from '@varia/core';

/**
 * What every loader and generator in `@varia/datasets` returns: the examples as a row-major float32 matrix, one
 * integer label per example, and the shape of one example (e.g. `[2]` for points, `[28, 28]` for MNIST images).
 */
export interface Dataset {
  /** A short name, e.g. `"toy2d"`, `"mnist-train"`. */
  readonly name: string;
  /** The examples, `[n, dim]` row-major float32. */
  readonly x: Matrix;
  /** One integer label per example (group, class or cluster); `-1` where unknown. */
  readonly labels: Int32Array;
  /** The shape of one example; its product equals `x.cols`. */
  readonly shape: readonly number[];
  /** What the values are: real numbers, non-negative integer counts, or values in [0, 1]. */
  readonly kind: 'real' | 'counts' | 'unit-interval' | 'binary';
}

/**
 * Checks a data set's invariants at a public boundary (internal; not re-exported): a well-formed matrix, one label
 * per row, and a shape whose product is the number of columns.
 * @throws ShapeError naming `argument` when they do not hold.
 */
export function checkDataset(dataset: Dataset, argument: string, where: string): void {
  if (dataset === null || typeof dataset !== 'object' || dataset.x === undefined) {
    throw new ShapeError(
      argument,
      `${where}: "${argument}" must be a Dataset ({ x, labels, shape, ... }), got ${String(dataset)}`,
    );
  }
  assertMatrix(dataset.x, `${argument}.x`);
  if (!(dataset.labels instanceof Int32Array) || dataset.labels.length !== dataset.x.rows) {
    throw new ShapeError(
      argument,
      `${where}: "${argument}.labels" must be an Int32Array with one label per row (${dataset.x.rows}), got length ${dataset.labels?.length}`,
    );
  }
}
