import { describe, expect, it } from 'vitest';
import { ShapeError } from './errors.js';
import { assertMatrix, type Matrix } from './matrix.js';

describe('assertMatrix', () => {
  const bad = (m: unknown) => () => assertMatrix(m as Matrix, 'x');

  it('accepts rows·cols float32 values, also none', () => {
    expect(bad({ data: new Float32Array(6), rows: 2, cols: 3 })).not.toThrow();
    expect(bad({ data: new Float32Array(0), rows: 0, cols: 3 })).not.toThrow();
  });

  it('names the argument and says what the data is: a wrong length, another typed array, a plain array', () => {
    expect(bad({ data: new Float32Array(5), rows: 2, cols: 3 })).toThrow(ShapeError);
    expect(bad({ data: new Float32Array(5), rows: 2, cols: 3 })).toThrow(
      /"x" data must be a Float32Array of length rows·cols = 6, got length 5/,
    );
    expect(bad({ data: new Float64Array(6), rows: 2, cols: 3 })).toThrow(/got a Float64Array of length 6/);
    expect(bad({ data: [1, 2, 3, 4, 5, 6], rows: 2, cols: 3 })).toThrow(/= 6, got object/);
    expect(bad({ rows: 2, cols: 3 })).toThrow(/= 6, got undefined/);
    expect(bad({ data: new Float32Array(6), rows: 2.5, cols: 3 })).toThrow(
      /non-negative integer rows and cols, got 2.5×3/,
    );
  });
});
