import type { Matrix } from '@varia/core';

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
