import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError, ShapeError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toMatrix, validateDomain } from './data.js';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';

checkTensorLeaksPerTest();

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('toMatrix', () => {
  it('accepts rows, a Matrix and a 2-D tensor, giving the same row-major values', () => {
    const rows = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const fromRows = toMatrix(rows, 3);
    expect(fromRows).toEqual({ data: new Float32Array([1, 2, 3, 4, 5, 6]), rows: 2, cols: 3 });
    const m = { data: new Float32Array([1, 2, 3, 4, 5, 6]), rows: 2, cols: 3 };
    expect(toMatrix(m, 3)).toBe(m);
    const t = tf.tensor2d(rows);
    expect(toMatrix(t, 3)).toEqual(fromRows);
    t.dispose();
    expect(toMatrix([new Float32Array([1, 2, 3])], 3).rows).toBe(1);
  });

  it('rejects a wrong width with a ShapeError naming the argument', () => {
    const e = errorOf(() => toMatrix([[1, 2]], 3, 'validationData')) as ShapeError;
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.argument).toBe('validationData');
    expect(e.message).toMatch(/"validationData" must have 3 columns.*got 2/);
    const t = tf.zeros([2, 2, 1]);
    expect(errorOf(() => toMatrix(t as tf.Tensor2D, 2))).toBeInstanceOf(ShapeError);
    t.dispose();
  });

  it('rejects empty data with a DataError', () => {
    expect(errorOf(() => toMatrix([], 3))).toBeInstanceOf(DataError);
    expect(errorOf(() => toMatrix({ data: new Float32Array(0), rows: 0, cols: 3 }, 3))).toBeInstanceOf(DataError);
    const t = tf.zeros([0, 3]);
    expect(errorOf(() => toMatrix(t as tf.Tensor2D, 3))).toBeInstanceOf(DataError);
    t.dispose();
  });

  it('rejects a malformed Matrix, ragged rows and non-data', () => {
    expect(errorOf(() => toMatrix({ data: new Float32Array(5), rows: 2, cols: 3 }, 3))).toBeInstanceOf(ShapeError);
    expect(errorOf(() => toMatrix({ data: [1, 2, 3] as unknown as Float32Array, rows: 1, cols: 3 }, 3))).toBeInstanceOf(
      ShapeError,
    );
    expect(
      errorOf(() =>
        toMatrix(
          [
            [1, 2, 3],
            [4, 5],
          ],
          3,
        ),
      ),
    ).toBeInstanceOf(ShapeError);
    const e = errorOf(() => toMatrix(7 as never, 3, 'x')) as ArgumentError;
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.argument).toBe('x');
    expect(errorOf(() => toMatrix(null as never, 3))).toBeInstanceOf(ArgumentError);
  });
});

describe('validateDomain', () => {
  const m = (values: number[], cols: number) => ({ data: Float32Array.from(values), rows: values.length / cols, cols });

  it('accepts valid values for each domain', () => {
    expect(() => validateDomain(m([-3.5, 0, 1e6, 2], 2), 'real', 'gaussian')).not.toThrow();
    expect(() => validateDomain(m([0, 1, 0.25, 1], 2), 'unit-interval', 'bernoulli')).not.toThrow();
    expect(() => validateDomain(m([0, 1, 7, 100000], 2), 'counts', 'poisson')).not.toThrow();
  });

  const cases: [string, number[], 'real' | 'unit-interval' | 'counts', RegExp, { row: number; column: number }][] = [
    ['NaN', [0, 1, 2, Number.NaN], 'real', /NaN at row 1, column 1 is not finite/, { row: 1, column: 2 }],
    ['-Infinity', [-Infinity, 1], 'real', /-Infinity at row 0, column 0/, { row: 0, column: 1 }],
    [
      '1.5 for Bernoulli',
      [0, 1, 1.5, 0],
      'unit-interval',
      /1\.5 at row 1, column 0 is outside \[0, 1\]/,
      { row: 1, column: 1 },
    ],
    ['-0.1 for Bernoulli', [-0.1, 0], 'unit-interval', /outside \[0, 1\]/, { row: 0, column: 1 }],
    [
      'a negative count',
      [3, -1],
      'counts',
      /-1 at row 0, column 1 is not a non-negative integer count/,
      { row: 0, column: 2 },
    ],
    ['a fractional count', [3, 1, 0.5, 2], 'counts', /0\.5 at row 1, column 0/, { row: 1, column: 1 }],
    ['NaN count', [Number.NaN, 1], 'counts', /not finite/, { row: 0, column: 1 }],
  ];
  for (const [name, values, domain, message, location] of cases) {
    it(`rejects ${name} with a DataError locating it`, () => {
      const e = errorOf(() => validateDomain(m(values, 2), domain, 'lik', 'data')) as DataError;
      expect(e).toBeInstanceOf(DataError);
      expect(e.message).toMatch(message);
      expect(e.message).toMatch(/^"data"/);
      // DataLocation: 0-based row, 1-based column; the message names both indices from 0, and says so
      expect(e.location).toEqual(location);
      expect(e.message).toContain(`at row ${location.row}, column ${location.column - 1} `);
      expect(e.message).toMatch(/\(rows and columns count from 0\)$/);
    });
  }
});

describe('validateDomain on float32 intensities (the bit-level scan of [0, 1])', () => {
  // the values around the edges of [0, 1] and the ones that are not numbers in it
  const special = [
    0,
    -0,
    1,
    0.5,
    2 ** -149,
    Math.fround(1 + 2 ** -23),
    -(2 ** -149),
    -1,
    Number.NaN,
    Infinity,
    -Infinity,
  ];
  it('reports the first value outside [0, 1], as the comparison v ≥ 0 ∧ v ≤ 1 says', () => {
    const value = fc.oneof(fc.constantFrom(...special), fc.float({ min: 0, max: 1, noNaN: true }));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 40 }), (values) => {
        const data = Float32Array.from(values);
        const first = data.findIndex((v) => !(v >= 0 && v <= 1));
        const error = errorOf(() => validateDomain({ data, rows: 1, cols: data.length }, 'unit-interval', 'bernoulli'));
        if (first < 0) expect(error).toBeUndefined();
        else expect((error as DataError).location).toEqual({ row: 0, column: first + 1 });
      }),
      { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 200), seed: 5 },
    );
  });
});

describe('validateDomain on float32 counts (zeros passed on their bits)', () => {
  const special = [0, -0, 1, 3, 2 ** 24, 2 ** 24 + 2, 0.5, -1, -(2 ** -149), 2 ** -149, Number.NaN, Infinity];
  it('reports the first value that is not a count ≤ 2²⁴, as v ≥ 0 ∧ v ≤ 2²⁴ ∧ ⌊v⌋ = v says', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...special), { minLength: 1, maxLength: 40 }), (values) => {
        const data = Float32Array.from(values);
        const first = data.findIndex((v) => !(v >= 0 && v <= 2 ** 24 && Math.floor(v) === v));
        const error = errorOf(() => validateDomain({ data, rows: 1, cols: data.length }, 'counts', 'poisson'));
        if (first < 0) expect(error).toBeUndefined();
        else expect((error as DataError).location).toEqual({ row: 0, column: first + 1 });
      }),
      { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 200), seed: 6 },
    );
  });
});
