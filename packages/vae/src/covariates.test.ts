// Covariate declarations and covariate rows: resolution, layouts (rows, Matrix, tensor, record by name) and typed
// errors naming the covariate and the row. VARIA_PROPERTY_RUNS=2000 runs the property longer.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError, ShapeError, VariaError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COVARIATE_LIMITS, covariateFeatureWidth, embeddingParameters } from './covariates.js';
import { resolveCovariates } from './covariates-resolve.js';
import { readCovariates } from './covariates-rows.js';

const SPECS = resolveCovariates([
  { name: 'batch', kind: 'categorical', levels: 3 },
  { name: 'dose', kind: 'continuous' },
  { name: 'donor', kind: 'categorical', levels: 4, encoding: { embedding: 2 } },
]);

function runs(fallback: number): number {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
}

describe('resolveCovariates', () => {
  it('fills in one-hot encoding and computes the feature width (3 + 1 + 2) and embedding size (4 × 2)', () => {
    expect(SPECS[0]).toEqual({ name: 'batch', kind: 'categorical', levels: 3, encoding: 'one-hot' });
    expect(SPECS[1]).toEqual({ name: 'dose', kind: 'continuous' });
    expect(covariateFeatureWidth(SPECS)).toBe(6);
    expect(embeddingParameters(SPECS)).toBe(8);
    expect(resolveCovariates(undefined)).toEqual([]);
  });

  it.each([
    [{}, 'covariates'],
    [[{ kind: 'continuous' }], 'covariates[0].name'],
    [[{ name: 'a', kind: 'ordinal' }], 'covariates[0].kind'],
    [
      [
        { name: 'a', kind: 'continuous' },
        { name: 'a', kind: 'continuous' },
      ],
      'covariates[1].name',
    ],
    [[{ name: 'a', kind: 'categorical', levels: 0 }], 'levels'],
    [[{ name: 'a', kind: 'categorical', levels: 2.5 }], 'levels'],
    [[{ name: 'a', kind: 'categorical', levels: 2 ** 21 }], 'levels'],
    [[{ name: 'a', kind: 'categorical', levels: 2, encoding: 'embedding' }], 'covariates[0].encoding'],
    [[{ name: 'a', kind: 'categorical', levels: 2, encoding: { embedding: -1 } }], 'encoding.embedding'],
    [[{ name: 'a', kind: 'categorical', levels: 2, encodng: 'one-hot' }], 'encodng'],
    [[{ name: 'a', kind: 'continuous', levels: 2 }], 'levels'],
    [
      Array.from({ length: COVARIATE_LIMITS.maxCovariates + 1 }, (_, i) => ({ name: `c${i}`, kind: 'continuous' })),
      'covariates',
    ],
    [
      [
        { name: 'a', kind: 'categorical', levels: 2 ** 20 },
        { name: 'b', kind: 'categorical', levels: 2 },
      ],
      'covariates',
    ],
  ])('rejects %j with an ArgumentError naming %s', (spec, argument) => {
    const e = (() => {
      try {
        resolveCovariates(spec);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe(argument);
  });
});

describe('readCovariates', () => {
  const expected = [0, 0.5, 3, 2, -1, 0];

  it('reads rows, a Matrix, a tensor and a record by name into the same [n, C] matrix', () => {
    const rows = [
      [0, 0.5, 3],
      [2, -1, 0],
    ];
    const matrix = { data: Float32Array.from(expected), rows: 2, cols: 3 };
    const tensor = tf.tensor2d(rows);
    const record = { dose: [0.5, -1], batch: [0, 2], donor: [3, 0] };
    for (const input of [rows, matrix, tensor, record]) {
      const m = readCovariates(SPECS, input, 2, 'test')!;
      expect([m.rows, m.cols]).toEqual([2, 3]);
      expect(Array.from(m.data)).toEqual(expected);
    }
    tensor.dispose();
  });

  it('broadcasts one row to every example only when asked', () => {
    const m = readCovariates(SPECS, { batch: [1], dose: [2], donor: [3] }, 3, 'test', { broadcast: true })!;
    expect(Array.from(m.data)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect(() => readCovariates(SPECS, [[1, 2, 3]], 3, 'test')).toThrow(ShapeError);
  });

  it('requires covariates on a conditioned model and refuses them on an unconditioned one', () => {
    expect(() => readCovariates(SPECS, undefined, 2, 'VAE.encode')).toThrow(
      /conditioned on covariates \(batch, dose, donor\)/,
    );
    expect(() => readCovariates([], [[0]], 1, 'VAE.encode')).toThrow(ArgumentError);
    expect(readCovariates([], undefined, 1, 'VAE.encode')).toBeUndefined();
  });

  it.each([
    [[[0, 0.5]], ShapeError, /3 columns, one per declared covariate \(batch, dose, donor\), got 2/],
    [[[1.5, 0, 0]], DataError, /covariate "batch" \(column 0\) at row 0 is 1.5, not an integer level/],
    [
      [
        [0, 0, 0],
        [3, 0, 0],
      ],
      DataError,
      /covariate "batch" \(column 0\) at row 1 is level 3, outside 0 … 2/,
    ],
    [[[0, 0, -1]], DataError, /"donor" .* row 0 is level -1/],
    [
      [[0, Number.NaN, 0]],
      DataError,
      /covariate "dose" \(column 1\) at row 0 is NaN; a continuous covariate needs finite values/,
    ],
    [[[0, Infinity, 0]], DataError, /"dose".*Infinity/],
    [[[0, 1e39, 0]], DataError, /overflows float32/],
    [[[0, '1', 0]], DataError, /"dose".*not a number/],
    [{ batch: [0], dose: [0] }, ArgumentError, /no values for covariate "donor"/],
    [{ batch: [0], dose: [0], donr: [0], donor: [0] }, ArgumentError, /did you mean 'donor'/],
    [{ batch: [0, 1], dose: [0], donor: [0] }, ShapeError, /"dose" has 1 values/],
    [new Float32Array(3), ArgumentError, /flat typed array/],
    ['batch', ArgumentError, /must be rows/],
  ])('rejects %j', (input, type, message) => {
    expect(() => readCovariates(SPECS, input, Array.isArray(input) ? input.length : 1, 'test')).toThrow(type);
    expect(() => readCovariates(SPECS, input, Array.isArray(input) ? input.length : 1, 'test')).toThrow(message);
  });

  it('names the row and column of a bad value in the DataError location', () => {
    try {
      readCovariates(
        SPECS,
        [
          [0, 0, 0],
          [0, 0, 9],
        ],
        2,
        'test',
      );
      expect.unreachable();
    } catch (e) {
      expect((e as DataError).location).toEqual({ row: 1, column: 3 });
    }
  });

  it('a wrong row count is a ShapeError', () => {
    expect(() => readCovariates(SPECS, [[0, 0, 0]], 2, 'VAE.encode')).toThrow(/has 1 rows, but there are 2 examples/);
  });

  it('property: any input either reads as [n, C] with valid values or throws a VariaError, allocating no tensor', () => {
    const value = fc.oneof(
      fc.constantFrom<unknown>(0, 1, 2, 3, 4, -1, 0.5, Number.NaN, Infinity, 1e39, '0', null, undefined, true, []),
      fc.double(),
      fc.integer({ min: -5, max: 5 }),
    );
    const row = fc.array(value, { minLength: 0, maxLength: 4 });
    const input = fc.oneof(
      fc.array(row, { minLength: 0, maxLength: 4 }),
      fc.record({
        batch: fc.array(value, { maxLength: 4 }),
        dose: fc.array(value, { maxLength: 4 }),
        donor: fc.array(value, { maxLength: 4 }),
      }),
      fc.dictionary(fc.constantFrom('batch', 'dose', 'donor', 'other', 'data'), fc.array(value, { maxLength: 3 })),
      fc.constantFrom<unknown>(
        null,
        3,
        'x',
        [1, 2, 3],
        { data: new Float32Array(3), rows: 1, cols: 3 },
        { data: [1], rows: 1, cols: 3 },
      ),
    );
    fc.assert(
      fc.property(input, fc.integer({ min: 1, max: 4 }), fc.boolean(), (given, rows, broadcast) => {
        const before = tf.memory().numTensors;
        try {
          const m = readCovariates(SPECS, given, rows, 'test', { broadcast })!;
          expect([m.rows, m.cols]).toEqual([rows, 3]);
          for (let i = 0; i < rows; i++) {
            expect([0, 1, 2]).toContain(m.data[i * 3]);
            expect(Number.isFinite(m.data[i * 3 + 1])).toBe(true);
            expect([0, 1, 2, 3]).toContain(m.data[i * 3 + 2]);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(VariaError);
        }
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: runs(200), seed: 1515 },
    );
  });
});
