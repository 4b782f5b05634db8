import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, assertMatrix, DataError, type Matrix, matrixFromRows, ShapeError } from '@varia/core';

/** Data a VAE accepts: a row-major {@link Matrix} (what `@varia/datasets` returns), a 2-D tensor, or rows of numbers. */
export type DataInput = Matrix | tf.Tensor2D | ArrayLike<ArrayLike<number>>;

/** What the values must be for a likelihood. */
export type DataDomain = 'real' | 'unit-interval' | 'counts';

function isMatrix(d: unknown): d is Matrix {
  return typeof d === 'object' && d !== null && 'data' in d && 'rows' in d && 'cols' in d;
}

/**
 * Converts any {@link DataInput} to a {@link Matrix}, checking its width.
 * @throws ShapeError naming `argument` for a wrong width or rank; DataError for an empty data set.
 */
export function toMatrix(data: DataInput, inputDim: number, argument = 'data'): Matrix {
  let m: Matrix;
  if (data instanceof tf.Tensor) {
    if (data.rank !== 2) throw new ShapeError(argument, `"${argument}" must be 2-D [n, ${inputDim}], got shape [${data.shape.join(', ')}]`);
    m = { data: Float32Array.from(data.dataSync()), rows: data.shape[0]!, cols: data.shape[1]! };
  } else if (isMatrix(data)) {
    assertMatrix(data, argument);
    m = data;
  } else if (data && typeof (data as ArrayLike<unknown>).length === 'number') {
    if ((data as ArrayLike<unknown>).length === 0) throw new DataError(`"${argument}" is empty: it has no examples`);
    m = matrixFromRows(data as ArrayLike<ArrayLike<number>>, argument);
  } else {
    throw new ArgumentError(argument, `"${argument}" must be a Matrix, a 2-D tensor or an array of rows`);
  }
  if (m.rows === 0) throw new DataError(`"${argument}" is empty: it has no examples`);
  if (m.cols !== inputDim) {
    throw new ShapeError(argument, `"${argument}" must have ${inputDim} columns (the model's inputDim), got ${m.cols}`);
  }
  return m;
}

/**
 * Checks that every value fits the likelihood: finite; in [0, 1] for Bernoulli; a non-negative integer for counts.
 * @throws DataError naming the row and column of the first bad value.
 */
export function validateDomain(m: Matrix, domain: DataDomain, likelihood: string, argument = 'data'): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    let problem: string | undefined;
    if (!Number.isFinite(v)) problem = 'is not finite';
    else if (domain === 'unit-interval' && (v < 0 || v > 1)) problem = 'is outside [0, 1]';
    else if (domain === 'counts' && (v < 0 || !Number.isInteger(v))) problem = 'is not a non-negative integer count';
    if (problem) {
      const row = Math.floor(i / cols);
      const column = i % cols;
      throw new DataError(
        `"${argument}" value ${v} at row ${row}, column ${column} ${problem}; the ${likelihood} likelihood needs ${
          domain === 'real' ? 'finite real values' : domain === 'unit-interval' ? 'values in [0, 1]' : 'non-negative integer counts'
        }`,
        { row, column: column + 1 },
      );
    }
  }
}
